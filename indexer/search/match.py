"""Which documents match, as boolean arrays over the snapshot's documents: each
clause's documents (from cached posting arrays), how many clauses each document
covers, the filters. Counting and facets are exact: every matching document is in
these arrays, nothing is sampled."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..normalize import fold
from .facets import UNKNOWN
from .query import Clause, Form


@dataclass
class ClauseMatch:
    anywhere: np.ndarray  # bool per document: the clause matches in the text or the header
    own_text: np.ndarray  # ... in the document's own text (an item's, not its notice header)
    number: np.ndarray  # ... the document's own number


def word_docs(snap, word: str, fieldname: str) -> np.ndarray:
    return snap.postings(fieldname, fold(word))[0]


def form_masks(snap, form: Form) -> tuple[np.ndarray, np.ndarray]:
    """(documents holding every word of the form in their own text, ... in their text
    or their notice's header); a quoted phrase: its words next to each other, in the
    text. Computed for each search, a few ms from the cached postings: the
    generation's cache keeps postings, which cost more to read again, rather than
    arrays over every document."""
    own = anywhere = None
    for word in form.words:
        in_text = snap.mask(word_docs(snap, word, "folded"))
        in_header = in_text.copy()
        in_header[word_docs(snap, word, "header")] = True
        own = in_text if own is None else np.logical_and(own, in_text, out=own)
        anywhere = in_header if anywhere is None else np.logical_and(anywhere, in_header, out=anywhere)
    if own is None:
        return np.zeros(snap.n, bool), np.zeros(snap.n, bool)
    if form.adjacent and len(form.words) > 1:  # positions are kept for the text only
        candidates = np.nonzero(own)[0]
        together = snap.phrase_matches("folded", [fold(w) for w in form.words], candidates)
        own = np.zeros(snap.n, bool)
        own[candidates[together]] = True
        anywhere = own
    return own, anywhere


def clause_match(snap, clause: Clause) -> ClauseMatch:
    anywhere = np.zeros(snap.n, bool)
    own = np.zeros(snap.n, bool)
    for form in clause.forms:
        form_own, form_anywhere = form_masks(snap, form)
        own |= form_own
        anywhere |= form_anywhere
    number = np.zeros(snap.n, bool)
    for key in clause.number_keys:
        number[snap.postings("number", key)[0]] = True
        anywhere[snap.postings("cites", key)[0]] = True  # however the citing text wrote the number
    return ClauseMatch(anywhere | number, own, number)


def coverage(snap, clauses) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(clauses matched anywhere, clauses matched in the document's own text, and each
    clause's matches packed eight documents to a byte: `matched_in`) per document. A
    clause's full arrays are let go before the next: a long query held 3 MB per clause
    at 100,000 notices. (Scoring comes after, for the documents that match.)"""
    covered = np.zeros(snap.n, np.uint8)
    own = np.zeros(snap.n, np.uint8)
    packed = []
    for clause in clauses:
        m = clause_match(snap, clause)
        covered += m.anywhere
        own += m.own_text | m.number
        packed.append(np.packbits(m.anywhere))
    return covered, own, packed


def matched_in(packed: np.ndarray, docnum: int) -> bool:
    """Whether a clause (its packed matches, from `coverage`) matches the document."""
    return bool(packed[docnum >> 3] & (0x80 >> (docnum & 7)))


def excluded_mask(snap, clauses) -> np.ndarray:
    """Documents holding any excluded clause; a notice is left out with all its items
    when its text holds it."""
    mask = np.zeros(snap.n, bool)
    for clause in clauses:
        mask |= clause_match(snap, clause).anywhere
    if mask.any():
        notices = np.unique(snap.parent[mask & snap.is_notice])
        mask |= np.isin(snap.parent, notices)
    return mask


def filter_mask(snap, request) -> np.ndarray:
    """The documents of the request's kind that pass its filters (cached per request's
    filters: the same few come back with every search)."""
    key = ("filter", request.kind, request.date_from, request.date_to, request.body, request.level,
           request.topic, request.doc_type, request.year, request.addressee, request.presiding,
           request.due_from, request.due_to)
    return snap.cached(key, lambda: _filter_mask(snap, request))


def _filter_mask(snap, request) -> np.ndarray:
    mask = (snap.is_notice if request.kind == "notice" else snap.is_item).copy()
    if request.date_from or request.date_to:
        mask &= _in_range(snap.column("date"), request.date_from, request.date_to)
    if request.body == UNKNOWN:  # the facet's "(không rõ)": notices whose issuer was not found
        mask[snap.keyword("issuer", request.kind).docs] = False
    for value, fieldname in ((request.body if request.body != UNKNOWN else "", "issuer"), (request.level, "level"), (request.topic, "topics"),
                             (request.doc_type, "doc_type"), (request.presiding, "presiding"),
                             (request.addressee.replace(",", ";"), "addressees")):
        if value:
            mask &= snap.mask(snap.postings(fieldname, value)[0])
    if request.year:
        mask &= snap.column("year") == request.year
    if request.due_from or request.due_to:
        due = snap.is_item & _in_range(snap.column("deadline"), request.due_from, request.due_to)
        if request.kind == "notice":  # notices with an item due in the window
            mask &= np.isin(np.arange(snap.n), snap.parent[due])
        else:
            mask &= due
    return mask


def _in_range(values: np.ndarray, start: dt.date | None, end: dt.date | None) -> np.ndarray:
    from ..index.columnar import MISSING_DATE, date_key
    ok = values != MISSING_DATE
    if start:
        ok &= values >= date_key(start)
    if end:
        ok &= values < date_key(end + dt.timedelta(days=1))
    return ok
