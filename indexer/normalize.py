"""Vietnamese text normalisation, shared by indexing and querying.

`normalize()` makes text canonical (NFC, Đ, tone placement, no markdown emphasis,
tidy whitespace); `fold()` strips it to bare lower-case ASCII-ish letters for
diacritic-insensitive matching, keeping one output character per input character
so positions found in folded text can be mapped back onto the original.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import islice
from typing import Sequence

import numpy as np

TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
SHAPED_VOWELS = set("ăâêôơư")
VOWELS = set("aăâeêioôơuưy")

_SYLLABLE = re.compile(
    r"^(ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnpqrstvx])?"
    r"([aăâeêioôơuưy]{1,3})"
    r"(ch|ng|nh|[cmnpt])?$"
)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_UNUSUAL_SPACE = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_SPACE_RUN = re.compile(r"  +")
_COLUMN_GAP = re.compile(r"(?:\t|[ \u00a0]{3,})[\t \u00a0]*")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")

_TONED_CHARS = frozenset(
    ch for cp in range(0xC0, 0x1F00)
    for ch in [chr(cp)]
    if any(m in TONE_MARKS for m in unicodedata.normalize("NFD", ch))
)


def _split_letters(word_nfd: str) -> tuple[list[str], str | None, int]:
    """Split a decomposed word into letters (base + shape marks), its tone mark, and
    the index of the letter that carries it. Returns tone None when there is not
    exactly one tone mark."""
    letters: list[str] = []
    tone = None
    tone_at = -1
    for ch in word_nfd:
        if ch in TONE_MARKS:
            if tone is not None or not letters:
                return letters, None, -1
            tone, tone_at = ch, len(letters) - 1
        elif unicodedata.combining(ch) and letters:
            letters[-1] += ch
        else:
            letters.append(ch)
    return letters, tone, tone_at


def _tone_target(syllable: str) -> int | None:
    """Index (into the syllable's letters) where the tone belongs, in the
    traditional placement (hòa, thủy, quý, người, khuỷu), or None when the word is
    not a Vietnamese syllable."""
    match = _SYLLABLE.match(syllable)
    if not match:
        return None
    start = match.start(2)
    vowels = match.group(2)
    shaped = [i for i, v in enumerate(vowels) if v in SHAPED_VOWELS]
    if shaped:
        offset = shaped[-1]
    elif match.group(3):
        offset = len(vowels) - 1
    elif len(vowels) == 3:
        offset = 1
    else:
        offset = 0
    return start + offset


@lru_cache(maxsize=65536)
def canonical_tone(word: str) -> str:
    """Move a word's tone mark to its canonical vowel: `hoà` → `hòa`, `thuỷ` → `thủy`."""
    letters, tone, tone_at = _split_letters(unicodedata.normalize("NFD", word))
    if tone is None:
        return word
    plain = "".join(unicodedata.normalize("NFC", letter) for letter in letters).lower()
    if len(plain) != len(letters):
        return word
    target = _tone_target(plain)
    if target is None or target == tone_at:
        return word
    letters[target] += tone
    return unicodedata.normalize("NFC", "".join(letters))


MAX_REMEMBERED = 200_000  # words a process remembers as needing no repair (a few MB)


def remember(seen: set[str], words) -> None:
    """Add words found to need no repair to `seen`, up to MAX_REMEMBERED in all: the
    next texts set them aside in one set difference."""
    room = MAX_REMEMBERED - len(seen)
    if room > 0:
        seen.update(islice(words, room))


def per_token(table: dict, tokens: list[str], compute) -> list:
    """`compute(token)` for each token, remembered in `table` (emptied past
    MAX_REMEMBERED): a text's whitespace tokens mostly come back, and looking each up
    costs less than a regex over the text. (`compute` never gives None.)"""
    values = list(map(table.get, tokens))
    if None not in values:  # (nearly always, once the first texts are read)
        return values
    if len(table) > MAX_REMEMBERED:
        table.clear()
    for token in set(tokens).difference(table):
        table[token] = compute(token)
    return list(map(table.__getitem__, tokens))


_CANONICAL_TOKENS: set[str] = set()  # whitespace-separated tokens seen already with every tone canonical

# Words with a tone mark (the others have nothing to move).
_TONED_WORD = re.compile(r"[^\W\d_]*[%s][^\W\d_]*" % "".join(sorted(_TONED_CHARS)))


def canonical_tones(text: str) -> str:
    # The text's tokens (split at whitespace, which no word spans) are looked at once
    # each, those known to need nothing (most) set aside in one set difference; only
    # new tokens are searched for toned words. (A regex scan of the whole text for
    # toned words cost 70 ns a character, splitting it 25.) The text is rewritten only
    # when a word's tone must move.
    moved, canonical = {}, []
    for token in set(text.split()).difference(_CANONICAL_TOKENS):
        fine = True
        for word in _TONED_WORD.findall(token):
            fixed = canonical_tone(word)
            if fixed != word:
                moved[word] = fixed
                fine = False
        if fine:
            canonical.append(token)
    remember(_CANONICAL_TOKENS, canonical)
    if not moved:
        return text
    return _TONED_WORD.sub(lambda m: moved.get(m.group(0), m.group(0)), text)


def strip_markdown(text: str) -> str:
    """Drop markdown emphasis markers, keeping the words: `**Lâm**` → `Lâm`."""
    if "**" in text or "__" in text:
        text = _BOLD.sub(r"\2", text)
    return _ITALIC.sub(r"\1", text) if "*" in text else text


def normalize(text: str, keep_columns: bool = False) -> str:
    """Canonical form of a text, line structure kept.

    NFC; Ð (U+00D0) → Đ; canonical tone placement; markdown emphasis removed;
    runs of spaces collapsed. With keep_columns, a wide gap inside a line (a tab or
    three spaces or more, as OCR leaves between two columns) becomes one tab."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = _ZERO_WIDTH.sub("", text)
    text = canonical_tones(text)
    text = strip_markdown(text)
    # whole-text substitutions: none of the patterns spans a line break
    if keep_columns:
        text = "\n".join(line.strip(" \t\u00a0") for line in text.split("\n"))
        if "\t" in text or "\u00a0" in text or "   " in text:  # what a column gap needs (a quick test)
            text = _COLUMN_GAP.sub("\t", text)
    else:
        text = text.replace("\t", " ")
    # a regex over a character class costs ~30 ns a character: without unusual spaces
    # (nearly every text), only runs of ordinary ones change, found by a literal search
    text = _SPACES.sub(" ", text) if _UNUSUAL_SPACE.search(text) else _SPACE_RUN.sub(" ", text)
    return "\n".join(line.strip(" ") for line in text.split("\n"))


def normalize_line(text: str) -> str:
    """normalize() for one line of text (a query, a field): all whitespace → one space."""
    return " ".join(normalize(text).split())


def _build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for cp in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        decomposed = unicodedata.normalize("NFD", chr(cp))
        base = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
        if len(base) == 1 and base != chr(cp):
            table[cp] = base
    for cp in range(0x300, 0x370):
        table[cp] = None
    table.update({0x110: "d", 0x111: "d", 0xD0: "d", 0xF0: "d", 0x130: "i"})
    return table


FOLD_TABLE = _build_fold_table()


def fold(text: str) -> str:
    """Lower case without any diacritics, đ → d: `Đảng ủy` → `dang uy`.

    For NFC input without stray combining marks, len(fold(s)) == len(s).

    Remembered: parsing a notice folds the same lines and texts again and again (half
    the characters folded were repeats), and `str.translate` costs about 35 ns a
    character outside ASCII."""
    if text.isascii():
        return text.lower()
    found = _FOLDED.get(text)
    if found is None:
        found = (_fold_long(text) if len(text) > _LONG_TEXT else text.translate(FOLD_TABLE)).lower()
        global _folded_chars
        _folded_chars += len(text)
        if _folded_chars > _MAX_FOLDED_CHARS:
            _FOLDED.clear()
            _folded_chars = len(text)
        _FOLDED[text] = found
    return found


def fold_lines(text: str) -> None:
    """Fold a whole text at once and remember the fold of each of its lines: the parser
    then folds the lines one by one (titles, headers, stamps) from the cache. One pass
    over the text costs a quarter of folding its lines separately."""
    if text.isascii() or len(text) <= _LONG_TEXT:
        return
    lines, folded_lines = text.split("\n"), fold(text).split("\n")
    if len(lines) != len(folded_lines):
        return
    global _folded_chars
    for line, folded in zip(lines, folded_lines):
        if line not in _FOLDED:  # folding works character by character: a line's part is its fold
            _FOLDED[line] = folded
            _folded_chars += len(line)


_COMBINING = re.compile("[\u0300-\u036f]")
_FOLDED: dict[str, str] = {}
_LONG_TEXT = 200  # characters; below, `str.translate` is quicker than numpy's setup
_FOLD_CODES = np.arange(0x1F00, dtype=np.uint32)  # code point → its fold's (FOLD_TABLE's one-character entries)
for _cp, _to in FOLD_TABLE.items():
    if _to is not None:
        _FOLD_CODES[_cp] = ord(_to)


def _fold_long(text: str) -> str:
    """`text.translate(FOLD_TABLE)` as a table lookup over the code points (a notice's
    text, four times quicker); text with combining marks, which folding deletes, or
    with lone surrogates goes through `translate`."""
    if _COMBINING.search(text):
        return text.translate(FOLD_TABLE)
    try:
        codes = np.frombuffer(text.encode("utf-32-le"), np.uint32)
    except UnicodeEncodeError:
        return text.translate(FOLD_TABLE)
    last = len(_FOLD_CODES) - 1
    folded = np.where(codes <= last, _FOLD_CODES.take(np.minimum(codes, last)), codes)
    return folded.tobytes().decode("utf-32-le")


_MAX_FOLDED_CHARS = 2_000_000  # about 8 MB of texts and their folds
_folded_chars = 0


def fold_with_offsets(text: str) -> tuple[str, Sequence[int]]:
    """fold(), plus for each folded character the index of its source character
    in `text` (which may be NFD or contain stray combining marks)."""
    folded = fold(text)
    if len(folded) == len(text) and not _COMBINING.search(text):  # one folded character for each (NFC text)
        return folded, range(len(text))  # (a list of them cost as much as the fold)
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        folded = fold(ch)
        for f in folded:
            out.append(f)
            offsets.append(i)
    return "".join(out), offsets


_NOT_LETTERS = re.compile(r"[\W_]+")


def squeeze(text: str) -> str:
    """fold() with everything but letters and digits removed: `Ủy ban, nhân dân` →
    `uybannhandan`. OCR and the parser space and punctuate text differently; the
    letters agree."""
    return _NOT_LETTERS.sub("", fold(text))


def has_diacritics(text: str) -> bool:
    """True when folding would change more than letter case."""
    return fold(text) != text.lower()


def lower_nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()
