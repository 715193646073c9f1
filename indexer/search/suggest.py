"""'Did you mean': a query typed without diacritics gets its likely diacritics back,
learnt from the archive's own words and word pairs; a misspelt word that the archive
does not have is replaced by its most common close word."""
from __future__ import annotations

import math
import re

from .. import index as ix
from ..normalize import fold, has_diacritics
from .query import MAX_QUERY_CHARS, _CONTROL

_PLAIN_WORD = re.compile(r"[a-z]+")


def suggest(snap, q: str, misspelt: bool = False) -> str:
    """For a query typed without diacritics, its most likely diacritised form according
    to the archive itself (`giai phong mat bang` → `giải phóng mặt bằng`). When the
    query found nothing (`misspelt`), words the archive does not have are first
    replaced by the closest ones it has (`giai phong mat bnag`). "" when there is
    nothing better to offer."""
    if not q or len(q) > MAX_QUERY_CHARS:
        return ""
    tokens = re.findall(r"\S+", _CONTROL.sub(" ", q))
    changed = False
    if misspelt:
        tokens, changed = _corrected(snap, tokens)
    if has_diacritics(" ".join(tokens)):
        return " ".join(tokens) if changed else ""
    words = [t.lower() for t in tokens]
    if not any(_PLAIN_WORD.fullmatch(w) for w in words):
        return ""
    choice = _best_spelling(snap, words)
    suggestion = " ".join(c or t for c, t in zip(choice, tokens))
    if changed:
        return suggestion
    return suggestion if has_diacritics(suggestion) and fold(suggestion).lower() == fold(q).lower() else ""


def _corrected(snap, tokens: list[str]) -> tuple[list[str], bool]:
    """Each plain word the archive lacks, replaced by the closest word it has: of those
    as close, the one the archive writes most often beside the neighbouring words
    (`mat bagn` → `mat bang`, not the commoner `ban`), then the most common."""
    out, changed = [], False
    for i, token in enumerate(tokens):
        word = fold(token).lower()
        if len(word) >= 3 and _PLAIN_WORD.fullmatch(word) and not ix.spelling_counts(snap, word):
            close = ix.close_words(snap, word)
            before = fold(out[-1]).lower() if out else ""
            after = fold(tokens[i + 1]).lower() if i + 1 < len(tokens) else ""
            ranked = sorted((_edit_distance(word, w), -_beside(snap, before, w, after), -n, w) for w, n in close.items())
            if ranked and ranked[0][0] <= (1 if len(word) < 5 else 2):
                token = ranked[0][3]
                changed = True
        out.append(token)
    return out, changed


def _beside(snap, before: str, word: str, after: str) -> int:
    """How many notices write `word` next to the words before and after it."""
    pairs = [f"{before} {word}"] if before else []
    pairs += [f"{word} {after}"] if after else []
    return sum(n for pair in pairs for n in ix.spelling_counts(snap, pair).values())


def _written_forms(snap, word: str) -> dict[str, int]:
    """The ways the archive writes a word; the all-capitals forms of headings (`TỈNH`)
    count for the word in lower case (`tỉnh`): their diacritics are evidence too, but a
    suggestion is never shouted. Abbreviations (`UBND`) stay as they are."""
    forms = ix.spelling_counts(snap, word)
    out: dict[str, int] = {}
    for form, n in forms.items():
        key = form.lower() if form.isupper() and len(form) > 1 and has_diacritics(form) else form
        out[key] = out.get(key, 0) + n
    return out


def _edit_distance(a: str, b: str) -> int:
    """Edits between two words, a swap of neighbours counting as one (`bnag` → `bang`)."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, prev2[j - 2] + 1)
            row.append(cost)
        prev2, prev = prev, row
    return prev[-1]


def _best_spelling(snap, words: list[str]) -> list[str | None]:
    """Viterbi over each word's written forms, scored by how many notices write the
    form (unigram) and the pair with the previous word (bigram)."""
    options = [_written_forms(snap, w) if _PLAIN_WORD.fullmatch(w) else {} for w in words]
    best: dict[str | None, tuple[float, list]] = {None: (0.0, [])}
    for i, forms in enumerate(options):
        if not forms:
            best = {None: (max(score for score, _ in best.values()),
                           max(best.values(), key=lambda v: v[0])[1] + [None])}
            continue
        # a pair as written, and (weaker) whatever its case: `TỈNH HÀ TĨNH` in a heading
        # supports `tỉnh Hà`, while `Ban Thường vụ` as written still beats `ban Thường vụ`
        pairs = ix.spelling_counts(snap, f"{words[i - 1]} {words[i]}") if i and options[i - 1] else {}
        any_case: dict[str, int] = {}
        for pair, n in pairs.items():
            any_case[pair.lower()] = any_case.get(pair.lower(), 0) + n
        new: dict[str | None, tuple[float, list]] = {}
        for form, count in forms.items():
            candidates = []
            for prev, (score, path) in best.items():
                exact = pairs.get(f"{prev} {form}", 0) if prev else 0
                loose = any_case.get(f"{prev} {form}".lower(), 0) if prev else 0
                candidates.append((score + math.log1p(count) + 3 * math.log1p(exact) + 1.5 * math.log1p(loose),
                                   path + [form]))
            new[form] = max(candidates, key=lambda c: c[0])
        best = new
    return max(best.values(), key=lambda v: v[0])[1]
