"""Vietnamese syllables, and repairing text whose spaces between them were lost or
scattered (`nhiệm vụtừngày`, `Đảng bộxã`, `H u ế`, `K ÉT LUẬN`), as PDF extraction
and some OCR engines leave it.

A syllable is an optional initial consonant, a vowel group from a closed list and an
optional final consonant, with at most one tone mark. That is regular enough to tell
whether a run of letters is one syllable, and to split a run back into syllables."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .normalize import normalize_line, remember

TONES = "\u0300\u0301\u0303\u0309\u0323"
INITIALS = ("ngh", "ng", "gh", "gi", "kh", "nh", "ph", "qu", "th", "tr", "ch",
            "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "")
VOWELS = {
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y",
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iêu", "iu", "oa", "oă", "oai", "oao",
    "oay", "oe", "oeo", "oi", "ôi", "ơi", "ua", "uâ", "uây", "uê", "ui", "uô", "uôi", "uơ", "ươ", "ươi",
    "ươu", "uy", "uya", "uyê", "uyu", "ưa", "ưi", "ưu", "yê", "yêu",
}
FINALS = ("ch", "nh", "ng", "c", "m", "n", "p", "t", "")
# Vowel groups that take no final consonant (`ai`, `ao`, `iêu`, `ia`...), and those that
# need one (`iê` as in tiến, `uô` as in muốn).
OPEN_ONLY = {"ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iu", "oai", "oao", "oay", "oeo", "oi", "ôi",
             "ơi", "ua", "uây", "ui", "uôi", "ươi", "ươu", "uya", "uyu", "ưa", "ưi", "ưu", "iêu", "yêu"}
NEEDS_FINAL = {"iê", "yê", "uô", "ươ", "uyê"}


def _strip_tone(syllable: str) -> tuple[str, int]:
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = sum(decomposed.count(t) for t in TONES)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES))
    return base, tones


@lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """`ngày`, `Huế`, `KẾT`, `quốc` yes; `vụtừ`, `xyz`, `HĐND` no."""
    base, tones = _strip_tone(word.lower())
    if tones > 1 or not base:
        return False
    for initial in INITIALS:
        if not base.startswith(initial):
            continue
        rest = base[len(initial):]
        for final in FINALS:
            if final and not rest.endswith(final):
                continue
            vowel = rest[:len(rest) - len(final)] if final else rest
            if vowel in VOWELS and not (final and vowel in OPEN_ONLY) and (final or vowel not in NEEDS_FINAL):
                if final in ("c", "ch", "p", "t") and tones and not _stop_tone_ok(word):
                    continue
                return True
    return False


def _stop_tone_ok(word: str) -> bool:
    """Syllables ending in c/ch/p/t take only the acute or dot-below tone."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return not any(t in decomposed for t in "\u0300\u0303\u0309")


SYLLABLE_COST = 4.0  # about log(1 + a common syllable's count): splitting further must pay


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[str, int], frozenset[str]]:
    """How many words of pyvi's dictionary use each syllable, and its two-syllable words:
    the prior that tells `thực hiện` from `thự chiện`."""
    from pathlib import Path

    import pyvi
    counts: dict[str, int] = {}
    pairs = set()
    path = Path(pyvi.__file__).parent / "models" / "words.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = normalize_line(line).lower().split()  # one tone placement: `uỷ` is `ủy`
        for part in parts:
            counts[part] = counts.get(part, 0) + 1
        if len(parts) == 2:
            pairs.add(" ".join(parts))
    return counts, frozenset(pairs)


def split_run(run: str) -> list[str] | None:
    """A run of letters split into syllables (`vụtừngày` → vụ, từ, ngày; `thựchiện` →
    thực, hiện): the split whose syllables are most common in the dictionary, with a
    bonus when neighbours form a word; None when no split into syllables exists."""
    import math
    counts, pairs = _lexicon()
    n = len(run)
    # best[end][last piece] = (score, parts)
    best: list[dict[str, tuple[float, list[str]]]] = [dict() for _ in range(n + 1)]
    best[0][""] = (0.0, [])
    for end in range(1, n + 1):
        for start in range(max(0, end - 7), end):
            piece = run[start:end]
            if not best[start] or not is_syllable(piece):
                continue
            key = _lookup_form(piece)  # the dictionary's tone placement: `uỷ` is `ủy`
            known = counts.get(key, 0)
            for last, (score, parts) in best[start].items():
                gain = math.log1p(known) - SYLLABLE_COST
                if last and f"{_lookup_form(last)} {key}" in pairs:
                    gain += 4
                candidate = (score + gain, parts + [piece])
                if piece not in best[end] or candidate[0] > best[end][piece][0]:
                    best[end][piece] = candidate
    if not best[n]:
        return None
    return max(best[n].values(), key=lambda v: v[0])[1]


@lru_cache(maxsize=65536)
def _lookup_form(piece: str) -> str:
    return normalize_line(piece).lower()


def _has_vietnamese_marks(text: str) -> bool:
    return any(ord(c) > 127 for c in text)


def repair_spacing(text: str) -> tuple[str, int]:
    """The text with glued syllables split and scattered letters joined, and the
    number of repairs. Only runs with Vietnamese letters are touched: `online`,
    `Covid`, `UBND` stay as they are."""
    count = 0
    # The text's whitespace tokens are looked at once each, those seen already to need
    # nothing (most) set aside in one set difference: a regex scan of the whole text for
    # long runs and for digits glued to a word cost ~90 ns a character, splitting it 20.
    # Neither a run of letters nor a glued number spans whitespace.
    splits, glued_number, clean = {}, False, []
    for token in set(text.split()).difference(_CLEAN_TOKENS):
        fine = True
        for run in _LONG_WORD.findall(token):
            split = _split_glued(run)
            if split is not None:
                splits[run] = split
                fine = False
        if _LETTER_DIGIT.search(token) and _GLUED_NUMBER.search(token):
            glued_number, fine = True, False
        if fine:
            clean.append(token)
    remember(_CLEAN_TOKENS, clean)
    if splits:
        def split_glued(match: re.Match) -> str:
            nonlocal count
            split = splits.get(match.group(0))
            if split is None:
                return match.group(0)
            count += 1
            return split

        text = _LONG_WORD.sub(split_glued, text)
        glued_number = True  # a split can put a space before `năm2024`: look again
    if glued_number:
        text, glued = _GLUED_NUMBER.subn(r"\1 \2", text)
        count += glued
    text, joined = _join_scattered(text)
    return text, count + joined


_LONG_WORD = re.compile(r"[^\W\d_]{4,}")  # shorter runs are never split
_CLEAN_TOKENS: set[str] = set()  # tokens seen already with no run to split and no glued number
# a number glued to the word that introduces it (`nhiệm kỳ2025`, `năm2024`, `ngày12`);
# other letter-digit runs (`F0`, `km2`, `Covid19`) are left alone
_LETTER_DIGIT = re.compile(r"[^\W\d_]\d")  # a quick test first: few tokens have one
_GLUED_NUMBER = re.compile(r"(?<![^\W\d_])(năm|ngày|tháng|kỳ|khóa|khoá|quý|số|đợt|lần|khu|tổ|ấp|thôn|xóm)(\d)",
                           re.IGNORECASE)


@lru_cache(maxsize=65536)
def _split_glued(run: str) -> str | None:
    """`nhiệmvụ` → `nhiệm vụ`; None when the run is a syllable or not Vietnamese."""
    if is_syllable(run) or not _has_vietnamese_marks(run):
        return None
    parts = split_run(run)
    if not parts or len(parts) < 2:
        return None
    return " ".join(parts)


_SCATTER = re.compile(r"(?<![^\W\d_])([^\W\d_]{1,2})((?: [^\W\d_]{1,3})+)(?![^\W\d_])")
# The same runs (first piece, the rest after its space), found from the space after
# the first piece: a pattern that begins with a literal is searched for quickly, one
# that begins with a character class is tried at every character (twice as slow here).
_L = r"[^\W\d_]"
_SCATTER_FROM_SPACE = re.compile(rf" (?:(?<=(?<!{_L})({_L}) )|(?<=(?<!{_L})({_L}{{2}}) ))({_L}{{1,3}}(?: {_L}{{1,3}})*)(?!{_L})")


def _join_scattered(text: str) -> tuple[str, int]:
    """`H u ế` → `Huế`, `K ÉT LUẬN` → `KÉT LUẬN`: a lone consonant that is not a word
    joined with the short pieces after it while the result is still one syllable.
    (A run of pieces never spans a line: `_SCATTER` joins with spaces only.)"""
    runs = {one + two + " " + rest for one, two, rest in _SCATTER_FROM_SPACE.findall(text)}.difference(_RUNS_AS_THEY_ARE)
    if not any(_joined(run)[1] for run in runs):
        remember(_RUNS_AS_THEY_ARE, runs)
        return text, 0  # (nearly every text) no run of short words needs joining
    count = 0

    def join(match: re.Match) -> str:
        nonlocal count
        joined, repairs = _joined(match.group(0))
        count += repairs
        return joined

    return _SCATTER.sub(join, text), count


_RUNS_AS_THEY_ARE: set[str] = set()  # runs of short words seen already that join nothing (`và các`)


@lru_cache(maxsize=65536)
def _joined(run: str) -> tuple[str, int]:
    """A run of short pieces (`H u ế`, `và các`) with its scattered syllables joined,
    and how many were."""
    pieces = run.split(" ")
    out: list[str] = []
    count = i = 0
    while i < len(pieces):
        word = pieces[i]
        j = i + 1
        if not is_syllable(word):
            while j < len(pieces) and is_syllable(word + pieces[j]) and (len(pieces[j]) == 1 or j == i + 1):
                word += pieces[j]
                j += 1
        if j > i + 1:
            count += 1
        out.append(word)
        i = j
    return " ".join(out), count
