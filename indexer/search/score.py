"""Ranking: BM25F computed for every matching document at once (numpy over the
cached posting arrays), then the adjacency boosts for the best hundred only.

A document's score is the sum, over the query's clauses, of its best form's word
scores. A word scores in three places:
- the text (folded, no diacritics), weight 1;
- the header (type, number, issuer, title, meeting, presiding official, signer),
  weight HEADER_WEIGHT: a word of the title counts more than one of the body;
- the exact text, when the query word carries diacritics, weight EXACT_WEIGHT: `bảo`
  ranks a notice with `bảo` above one with only `báo`.
A document number clause that is the notice's own number adds NUMBER_WEIGHT × its
idf: the notice bearing `318-TB/HU` ranks above the notices citing it, which add
CITES_WEIGHT × its idf (above notices that merely hold the number's words).
Documents covering fewer clauses than the query has (long queries) are scaled by the
share they cover, squared.

Notices (the default view) combine their own score and their best item's:
`max(notice, item) + ITEM_SHARE × min(notice, item)` — a notice is found by anything
in it, and one whose single item says it all is not beaten by a long notice that
mentions each word once somewhere.

Then, for the TOP_K (100; 50 for queries of 6+ words) best only: the query's words standing together in that order
(×PHRASE_BOOST), each also written as typed, with diacritics (×EXACT_PHRASE_BOOST), and each compound word
of the query (pyvi) together (×COMPOUND_BOOST); long queries also count adjacent
pairs of query words found together."""
from __future__ import annotations

import numpy as np

from ..normalize import fold, has_diacritics
from .query import ParsedQuery, compound_words

K1, B = 1.2, 0.75
HEADER_WEIGHT = 2.0
EXACT_WEIGHT = 0.6
NUMBER_WEIGHT = 6.0
CITES_WEIGHT = 2.0
ITEM_SHARE = 0.5
TOP_K = 100
TOP_K_LONG = 50  # long queries (6+ words): reading every word's positions costs more
PHRASE_BOOST = 1.5
EXACT_PHRASE_BOOST = 1.15
COMPOUND_BOOST = 0.3  # shared by the query's compounds: ×(1 + 0.3 × share together)
PAIR_BOOST = 0.3  # long queries: ×(1 + 0.3 × share of adjacent pairs together)


def word_scores(snap, word: str, into: np.ndarray, only: np.ndarray | None = None) -> None:
    """Adds one query word's BM25F to every document holding it (of those in `only`,
    when given: the others' scores are never read)."""
    folded = fold(word)
    _add(snap, into, "folded", folded, 1.0, only)
    _add(snap, into, "header", folded, HEADER_WEIGHT, only)
    if has_diacritics(word):
        _add(snap, into, "exact", word, EXACT_WEIGHT, only)


def _add(snap, into: np.ndarray, fieldname: str, text: str, weight: float, only: np.ndarray | None = None) -> None:
    ids, tf = snap.postings(fieldname, text)
    if not len(ids):
        return
    notice = snap.is_notice[ids]
    df_notice = int(np.count_nonzero(notice))  # the idf counts every document holding the word
    idf_notice = weight * snap.idf(df_notice, max(snap.notices, 1))
    idf_item = weight * snap.idf(len(ids) - df_notice, max(snap.items, 1))  # > 0: df ≤ the items
    if only is not None:  # a common word's postings are mostly documents that do not match
        wanted = only[ids]
        ids, tf, notice = ids[wanted], tf[wanted], notice[wanted]
        if not len(ids):
            return
        df_notice = int(np.count_nonzero(notice))
    part = _norms(snap, fieldname)[ids]  # one array the size of the postings, worked in place
    part += tf
    np.divide(tf, part, out=part)
    part *= np.float32(idf_item * (K1 + 1))
    if df_notice:
        part[notice] *= np.float32(idf_notice / idf_item)
    into[ids] += part


def _norms(snap, fieldname: str) -> np.ndarray:
    """BM25's K1 × (1 - B + B × length / average length) of every document, each
    against the average of its kind (notices, items)."""
    def build():
        lengths = snap.lengths(fieldname)
        if not lengths.any():
            return np.full(snap.n, K1, np.float32)
        average = np.where(snap.is_notice, _mean(lengths[snap.is_notice]), _mean(lengths[snap.is_item]))
        return (K1 * (1 - B + B * lengths / average)).astype(np.float32)
    return snap.table(("bm25 norms", fieldname), build)


def _mean(lengths: np.ndarray) -> float:
    return float(lengths.mean()) or 1.0 if len(lengths) else 1.0


def add_clause_score(snap, clause, matched: np.ndarray, into: np.ndarray, only: np.ndarray | None = None) -> None:
    """Adds every document's score for one clause (before the adjacency boosts) to
    `into`: its best form's, where the clause matches (`matched`: the documents, packed
    eight to a byte, as `match.coverage` gives them). `only`: the documents whose scores
    are read (the others are left as they are)."""
    forms = clause.forms
    if len(forms) == 1 and len(forms[0].words) == 1 and not forms[0].adjacent:
        # every document holding the word matches the clause: no other array needed
        word_scores(snap, forms[0].words[0], into, only)
        _add_number_scores(snap, clause, into)
        return
    best = np.zeros(snap.n, np.float32)
    score = np.empty(snap.n, np.float32)
    for form in forms:
        score.fill(0)
        for word in form.words:
            word_scores(snap, word, score, only)
        np.maximum(best, score, out=best)
    del score
    _add_number_scores(snap, clause, best)
    best *= np.unpackbits(matched, count=snap.n).view(bool)
    into += best


def _add_number_scores(snap, clause, into: np.ndarray) -> None:
    for key in clause.number_keys:
        ids = snap.postings("number", key)[0]
        into[ids] += NUMBER_WEIGHT * snap.idf(int(snap.is_notice[ids].sum()), max(snap.notices, 1))
        ids = snap.postings("cites", key)[0]
        into[ids] += CITES_WEIGHT * snap.idf(int(snap.is_notice[ids].sum()), max(snap.notices, 1))


def number_bonus(snap, parsed: ParsedQuery) -> np.ndarray | None:
    """Plain words that are parts of a notice's own number (`318 TB HU`, `TB 623`):
    the notice whose number holds them all ranks first."""
    words = [fold(c.words[0]) for c in parsed.clauses if len(c.words) == 1 and not c.number_keys]
    if not words or not any(w.isdigit() for w in words):
        return None
    hits = np.zeros(snap.n, np.uint8)
    digit_hits = np.zeros(snap.n, np.uint8)
    digits = [w for w in words if w.isdigit()]
    for word in words:
        ids = snap.postings("number", word)[0]
        hits[ids] += 1
        if word.isdigit():
            digit_hits[ids] += 1
    bonus = np.zeros(snap.n, np.float32)
    rarest = min(snap.idf(int(snap.is_notice[snap.postings("number", w)[0]].sum()), max(snap.notices, 1))
                 for w in digits)
    bonus[(hits >= min(len(words), 2)) & (digit_hits == len(digits))] = NUMBER_WEIGHT * rarest
    return bonus


def coverage_factor(covered: np.ndarray, clauses: int) -> np.ndarray:
    if clauses <= 1:
        return np.ones(len(covered), np.float32)
    return (covered.astype(np.float32) / clauses) ** 2


def combine_with_items(snap, score: np.ndarray, item_ok: np.ndarray) -> np.ndarray:
    """Each notice's combined score: max(notice, best item) + ITEM_SHARE × min(...),
    computed as notice + best item - (1 - ITEM_SHARE) × min(...), in place."""
    combined = np.zeros(snap.n, np.float32)  # first each notice's best item score
    items = np.flatnonzero(item_ok)
    if len(items):
        np.maximum.at(combined, snap.parent[items], score[items])
    low = np.minimum(score, combined)
    combined += score
    low *= np.float32(1 - ITEM_SHARE)
    combined -= low
    return combined


def top(candidates: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """The k best candidates (document numbers, in ascending order), best first; ties
    by document order: the first k of sorting them all. Of the candidates tied with
    the k-th, the first in document order are kept (`argpartition` would keep any of
    them, and a page reaching into a large tie could differ from the full sort's)."""
    scores = score[candidates]
    if np.isnan(scores).any():  # last, as a full sort puts them (a comparison with NaN keeps nothing)
        scores = np.where(np.isnan(scores), -np.inf, scores)
    if len(candidates) > k:
        kth = -np.partition(-scores, k - 1)[k - 1]
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)[:k - len(above)]
        keep = np.concatenate([above, tied])
        candidates, scores = candidates[keep], scores[keep]
    return candidates[np.lexsort((candidates, -scores))]


def adjacency_boosts(snap, parsed: ParsedQuery, docnums: np.ndarray) -> np.ndarray:
    """A factor ≥ 1 for each of the (top) documents: the query's words together. The
    positions of each query word in these documents are read once."""
    factor = np.ones(len(docnums), np.float32)
    singles = parsed.singles
    if len(singles) < 2 or not len(docnums):
        return factor
    folded = [fold(w) for w in singles]
    compounds = [[fold(w) for w in c] for c in compound_words(" ".join(singles)) if len(c) < len(singles)]
    compounds = [c for c in compounds if set(c) <= set(folded)]
    pairs = [list(p) for p in zip(folded, folded[1:])] if len(singles) >= 4 else []
    whole, *rest = snap.adjacency("folded", docnums, [folded, *compounds, *pairs])
    factor *= np.where(whole, PHRASE_BOOST, 1.0).astype(np.float32)
    if any(has_diacritics(w) for w in singles):
        # the exact field keeps no positions: the words together (folded) and each
        # written as typed somewhere in the document
        as_typed = np.logical_and.reduce([snap.holding("exact", w.lower(), docnums) for w in singles])
        factor *= np.where(whole & as_typed, EXACT_PHRASE_BOOST, 1.0).astype(np.float32)
    if compounds:
        share = sum(t.astype(np.float32) for t in rest[:len(compounds)]) / len(compounds)
        factor *= 1 + COMPOUND_BOOST * share
    if pairs:
        share = sum(t.astype(np.float32) for t in rest[len(compounds):]) / len(pairs)
        factor *= 1 + PAIR_BOOST * share
    return factor
