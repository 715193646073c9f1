"""SearchRequest → SearchResult: the search path, one module per step.

    query.py    text → clauses (words, phrases, abbreviations, numbers, OR, -)
    match.py    clauses and filters → boolean arrays over the documents (exact counts)
    score.py    BM25F for every match at once; adjacency boosts for the best hundred
    facets.py   facet counts over the matches
    page.py     the page shown: its notices read from the archive, matched items, snippets
    suggest.py  "did you mean"

Everything runs over `index.snapshot()`: posting lists and columns read once from the
Whoosh segments into numpy arrays (`indexer/index/columnar.py`); this package never
imports whoosh.

The default view lists notices, one hit per notice, each with the items that match
(`matched_items`); `kind="item"` lists conclusion items instead."""
from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass, field

import numpy as np

from ..errors import BadQuery
from ..normalize import fold
from . import facets as facet_counts
from . import match, score
from .facets import FACET_FIELDS, UNKNOWN
from .page import Hit, MatchedItem, build_hit, highlight, matched_item, notice_items, read_shown, snippet
from .query import MAX_QUERY_CHARS, ParsedQuery, highlight_terms, parse_query
from .suggest import suggest

MAX_LIMIT = 200
SORTS = ("relevance", "newest", "oldest", "deadline")
KINDS = ("notice", "item")
MATCHED_ITEMS_SHOWN = 5  # per notice hit, with snippets (the page shows 3; `matched_count` says how many)

__all__ = ["SearchRequest", "SearchResult", "Hit", "MatchedItem", "search", "validate", "warm_up", "snippet", "highlight",
           "query_terms", "result_to_dict", "MAX_LIMIT", "MAX_QUERY_CHARS", "SORTS", "KINDS", "FACET_FIELDS",
           "UNKNOWN", "BadQuery"]


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    body: str = ""
    level: str = ""
    topic: str = ""
    doc_type: str = ""
    year: int | None = None
    addressee: str = ""
    presiding: str = ""
    due_from: dt.date | None = None  # an item's deadline (a notice: any of its items')
    due_to: dt.date | None = None
    kind: str = "notice"
    sort: str = "relevance"
    page: int = 1
    limit: int = 20


@dataclass(frozen=True)
class SearchResult:
    request: SearchRequest
    total: int  # notices (items in the item view)
    hits: tuple[Hit, ...]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    partial: bool = False  # no hit has every word: best partial matches shown instead
    terms: tuple = ()
    suggestion: str = ""  # "did you mean": the query with its likely diacritics
    notes: tuple[str, ...] = ()  # what was read differently from how it was typed


def validate(request: SearchRequest) -> None:
    if request.sort not in SORTS:
        raise BadQuery(f"unknown sort '{request.sort}'", f"Cách sắp xếp '{request.sort}' không hợp lệ.")
    if request.kind not in KINDS:
        raise BadQuery(f"unknown result kind '{request.kind}'", f"Loại kết quả '{request.kind}' không hợp lệ.")
    if not 1 <= request.limit <= MAX_LIMIT:
        raise BadQuery(f"limit must be between 1 and {MAX_LIMIT}", f"Số kết quả mỗi trang phải từ 1 đến {MAX_LIMIT}.")
    if not 1 <= request.page <= 10_000:
        raise BadQuery("page must be a positive number", "Số trang phải là số dương.")
    if request.date_from and request.date_to and request.date_from > request.date_to:
        raise BadQuery("the start date is after the end date", "Ngày bắt đầu sau ngày kết thúc.")
    if request.due_from and request.due_to and request.due_from > request.due_to:
        raise BadQuery("the deadline window starts after it ends", "Khoảng thời hạn có ngày bắt đầu sau ngày kết thúc.")


# Searches computed at once: one per core. A search is numpy over arrays of every
# document (a few MB each at 100,000 notices) under the GIL: more at once gain no
# speed, and each holds its arrays (the server's memory under many clients).
_RUNNING = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def search(index, request: SearchRequest) -> SearchResult:
    validate(request)
    with _RUNNING:
        return _search(index, request)


def _search(index, request: SearchRequest) -> SearchResult:
    snap = index.snapshot()
    with snap.pinning():
        return _search_in(index, snap, request)


def _search_in(index, snap, request: SearchRequest) -> SearchResult:
    parsed = parse_query(request.q)
    allowed = match.filter_mask(snap, request)
    if parsed.empty:
        return _browse(index, snap, allowed, request, highlight_terms(parsed), parsed)
    covered, own, matches = match.coverage(snap, parsed.clauses)
    excluded = match.excluded_mask(snap, parsed.excluded) if parsed.excluded else None
    n = len(parsed.clauses)
    partial = False
    need = parsed.minimum_should_match() if n else 0
    matching = _matching(allowed, covered, excluded, need)
    if n and not (matching & (covered >= n)).any():
        partial = True  # no document has every word: the best partial matches
        if not matching.any() and n > 1:
            matching = _matching(allowed, covered, excluded, 1)
    total = int(matching.sum())
    partial = partial and total > 0
    found = facet_counts.counts(snap, matching, request.kind)
    hint = suggest(snap, request.q, misspelt=total == 0 or partial)
    terms = highlight_terms(parsed, hint)
    hits = _ranked_page(index, snap, parsed, request, matching, covered, own, matches, excluded, terms) \
        if total and (request.page - 1) * request.limit < total else ()
    return SearchResult(request, total, hits, found, partial, terms, hint, parsed.notes)


def _matching(allowed, covered, excluded, need: int) -> np.ndarray:
    out = allowed & (covered >= need) if need else allowed.copy()
    if excluded is not None:
        out &= ~excluded
    return out


def _scores(snap, parsed: ParsedQuery, matches, needed: np.ndarray) -> np.ndarray:
    """The needed documents' scores before the adjacency boosts (the others' stay 0:
    they are never read), the clauses' words' postings taken from the cache that
    matching them just filled."""
    raw = np.zeros(snap.n, np.float32)
    # picking the needed postings out costs a pass of its own: worth it when few are
    only = needed if np.count_nonzero(needed) * SPARSE_SCORING < snap.n else None
    for clause, matched in zip(parsed.clauses, matches):
        score.add_clause_score(snap, clause, matched, raw, only=only)
    return raw


SPARSE_SCORING = 8  # score only the needed documents when they are under 1/8 of all


def _ranked_page(index, snap, parsed: ParsedQuery, request: SearchRequest, matching, covered, own, matches,
                 excluded, terms) -> tuple[Hit, ...]:
    n = len(parsed.clauses)
    # items that match, half of the query or more in their own text (not only through
    # their notice's header: `lam minh the` is not matched by an item that says `làm`)
    item_ok = snap.is_item & (covered >= max(parsed.minimum_should_match(), 1)) & (own >= max(1, -(-n // 2)))
    if excluded is not None:
        item_ok &= ~excluded
    # what is read of the scores: the matching documents' and, for notices, their
    # items' (a notice's score takes its best item's; its page shows the best items)
    raw = _scores(snap, parsed, matches, matching | item_ok if request.kind == "notice" else matching)
    bonus = score.number_bonus(snap, parsed)
    if bonus is not None:
        raw = raw + bonus
    raw = raw * score.coverage_factor(covered, n)
    if request.kind == "notice":
        ranked = score.combine_with_items(snap, raw, item_ok)
    else:
        ranked = raw
    candidates = np.nonzero(matching)[0]
    start = (request.page - 1) * request.limit
    if request.sort == "relevance":
        k = score.TOP_K if len(parsed.singles) <= 5 else score.TOP_K_LONG
        best = score.top(candidates, ranked, max(k, start + request.limit))
        head = best[:k]
        boosted = ranked[head] * score.adjacency_boosts(snap, parsed, head)
        order = np.lexsort((head, -boosted))
        page_docs = np.concatenate([head[order], best[k:]])[start:start + request.limit]
        final = dict(zip(head.tolist(), boosted.tolist()))
    else:
        page_docs = _sorted(snap, candidates, request)[start:start + request.limit]
        final = {}
    telling = {}
    if request.kind == "notice":
        matching_items = {d: (items := notice_items(snap, d))[item_ok[items]] for d in page_docs.tolist()}
        for docnum, items in _telling_items(snap, parsed, matching_items, own).items():
            telling[docnum] = items[np.lexsort((items, -raw[items]))]
    shown = read_shown(index.path, snap, [*page_docs.tolist(),
                                          *(d for items in telling.values() for d in items[:MATCHED_ITEMS_SHOWN].tolist())])
    hits = []
    for docnum in page_docs.tolist():
        value = final.get(docnum, float(ranked[docnum]))
        missing = tuple(c.text for c, m in zip(parsed.clauses, matches) if not match.matched_in(m, docnum)) \
            if covered[docnum] < n else ()
        if request.kind == "notice":
            items = telling[docnum]
            matched = [matched_item(shown[d], raw[d], terms) for d in items[:MATCHED_ITEMS_SHOWN].tolist()]
            hits.append(build_hit(shown[docnum], value, terms, matched, missing, len(items)))
        else:
            hits.append(build_hit(shown[docnum], value, terms, missing=missing))
    return tuple(hits)


def _telling_items(snap, parsed: ParsedQuery, items_of: dict, own) -> dict:
    """Of each notice's items that match, those that say what was asked: every clause
    in their own text, or two query words side by side in it. (`Trần Thị Bích Ngọc`
    found in a preamble is not a matched item just because an item says `thị trấn`.)
    The positions are read once for the whole page."""
    singles = [fold(w) for w in parsed.singles]
    if len(parsed.clauses) < 2 or len(singles) < 2:
        return items_of
    everything = np.unique(np.concatenate([np.zeros(0, np.int64), *items_of.values()]))
    together = np.zeros(len(everything), bool)
    if len(everything):
        for pair in dict.fromkeys(zip(singles, singles[1:])):
            together |= snap.phrase_matches("folded", list(pair), everything)
    said = everything[together]
    return {d: items[(own[items] >= len(parsed.clauses)) | np.isin(items, said)] for d, items in items_of.items()}


def _sorted(snap, candidates: np.ndarray, request: SearchRequest) -> np.ndarray:
    """Candidates by date (newest / oldest) or deadline (soonest), undated last."""
    column = snap.column("deadline" if request.sort == "deadline" else "date")[candidates]
    if request.sort == "newest":
        from ..index.columnar import MISSING_DATE
        undated = column == MISSING_DATE  # last (as a key, negating MISSING_DATE's stand-in would wrap around)
        return candidates[np.lexsort((candidates, -np.where(undated, 0, column), undated))]
    return candidates[np.lexsort((candidates, column))]  # MISSING_DATE is the largest key: undated last


def _browse(index, snap, allowed, request: SearchRequest, terms, parsed) -> SearchResult:
    """Filters and sort without words: every allowed document, newest first unless
    another order is asked for."""
    candidates = np.nonzero(allowed)[0]
    ordered = _sorted(snap, candidates, request if request.sort != "relevance" else
                      SearchRequest(sort="newest"))
    start = (request.page - 1) * request.limit
    page_docs = ordered[start:start + request.limit].tolist()
    shown = read_shown(index.path, snap, page_docs)
    hits = tuple(build_hit(shown[d], 0.0, terms) for d in page_docs)
    return SearchResult(request, len(candidates), hits, facet_counts.counts(snap, allowed, request.kind), False, terms, "",
                        parsed.notes)


WARM_UP_QUERY = "ủy ban nhân dân"


def warm_up(index) -> None:
    """Read what the first search after a start would otherwise wait for: the snapshot,
    the facet tables and the date column (a browse), the text fields' lengths and the
    compound-word model (a search). At 100,000 notices the first search took 14 s
    against 2 s once these were read. `ketluan serve` runs it in the background."""
    search(index, SearchRequest())
    search(index, SearchRequest(q=WARM_UP_QUERY))


def query_terms(q: str) -> tuple:
    """The word sequences of a query to highlight; none for a query that does not parse."""
    try:
        return highlight_terms(parse_query(q))
    except BadQuery:
        return ()


def result_to_dict(result: SearchResult) -> dict:
    """The JSON form shared by the CLI and the web API."""
    from ..model import to_dict
    return {
        "total": result.total,
        "kind": result.request.kind,
        "partial": result.partial,
        "page": result.request.page,
        "limit": result.request.limit,
        "pages": max(1, -(-result.total // result.request.limit)),
        "hits": [to_dict(h) for h in result.hits],
        "facets": result.facets,
        "suggestion": result.suggestion or None,
        "notes": list(result.notes),
    }
