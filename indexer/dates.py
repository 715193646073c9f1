"""Dates as Vietnamese notices write them, including common OCR confusions.

Patterns run on folded text (no diacritics, lower case), which has the same length
as the NFC text it came from, so spans map straight back onto the original."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from itertools import chain
from typing import Iterator

from .normalize import fold

_OCR_DIGIT_TOKEN = re.compile(r"(?<![\w])(?=[0-9OoIl]*[0-9])(?=[0-9OoIl]*[OoIl])[0-9OoIl]{2,4}(?=[/.\-]|\b)")
# a run mixing digits and look-alike letters has a digit beside one of them
_DIGIT_BESIDE_LOOKALIKE = re.compile(r"[0-9][OoIl]|[OoIl][0-9]")
_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})
_DATE_CONTEXT = re.compile(r"[0-9OoIl]{1,4}[/.\-][0-9OoIl]{1,2}(?:[/.\-][0-9OoIl]{2,4})?|"
                           r"(?i:ng[àa]y|th[áảàạa]ng|n[ăa]m)\s+[0-9OoIl]{1,4}\b")

# NUMERIC and DAY_MONTH must not follow a digit or `/`; `_unpreceded` checks that after
# the match (a leading look-behind keeps `re` from skipping quickly to the next digit:
# 3× slower scans).
NUMERIC = re.compile(r"(\d{1,2})\s?[/.\-]\s?(\d{1,2})\s?[/.\-]\s?(\d{4})(?![\d/])")
# The leading word first, then the word-boundary check: a pattern that starts with a literal is
# found by a quick substring scan (several times quicker than trying `\b` at each position).
VERBAL = re.compile(r"ngay(?<!\wngay)\s+(\d{1,2})\s*(?:thang|[-/])\s*(\d{1,2})\s*(?:nam|[-/])\s*(\d{4})\b")
MONTH = re.compile(r"thang(?<!\wthang)\s+(\d{1,2})\s*(?:/|-|\s+nam\s+)\s*(\d{4})\b")
QUARTER = re.compile(r"quy(?<!\wquy)\s+(iv|iii|ii|i|[1-4])\s*(?:/|-|\s+nam\s+)\s*(\d{4})\b")
DAY_MONTH = re.compile(r"(\d{1,2})\s?/\s?(\d{1,2})(?![\d/])")

_ANY_DIGIT = re.compile(r"\d")
_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class DateMatch:
    start: int
    end: int
    date: dt.date | None  # None when the text names an impossible date (31/02)
    precision: str  # "day", "month", "quarter"


def make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        if not 1900 <= year <= 2100:
            return None
        return dt.date(year, month, day)
    except ValueError:
        return None


def end_of_month(year: int, month: int) -> dt.date | None:
    if not 1 <= month <= 12:
        return None
    return make_date(year, month, calendar.monthrange(year, month)[1])


def end_of_quarter(year: int, quarter: int) -> dt.date | None:
    return end_of_month(year, quarter * 3)


def repair_ocr_digits(text: str) -> tuple[str, int]:
    """Fix O/o → 0 and I/l → 1 inside numbers in date-like spans (`O8/7/2O21`).
    Returns the text and the number of tokens repaired."""
    count = 0

    def fix_token(match: re.Match) -> str:
        nonlocal count
        count += 1
        return match.group(0).translate(_OCR_DIGITS)

    def fix_span(match: re.Match) -> str:
        return _OCR_DIGIT_TOKEN.sub(fix_token, match.group(0))

    if not _DIGIT_BESIDE_LOOKALIKE.search(text):
        return text, 0  # nothing to repair (nearly every text): no span looked at
    return _DATE_CONTEXT.sub(fix_span, text), count


def find_dates(text: str, default_year: int | None = None) -> list[DateMatch]:
    """Every day-, month- or quarter-precision date in `text`, in order.
    Month and quarter dates resolve to their last day (as deadlines do).
    With default_year, `31/12` (no year) is a date too."""
    if not _ANY_DIGIT.search(text):  # every pattern needs one; most lines have none
        return []
    folded = fold(text)
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return not taken or all(end <= s or start >= e for s, e in taken)

    def add(match: re.Match, date: dt.date | None, precision: str) -> None:
        if free(match.start(), match.end()):
            taken.append((match.start(), match.end()))
            found.append(DateMatch(match.start(), match.end(), date, precision))

    for m in chain(VERBAL.finditer(folded), _unpreceded(NUMERIC, folded)):
        day, month, year = map(int, m.groups())
        add(m, make_date(year, month, day), "day")
    for m in MONTH.finditer(folded):
        add(m, end_of_month(int(m.group(2)), int(m.group(1))), "month")
    for m in QUARTER.finditer(folded):
        add(m, end_of_quarter(int(m.group(2)), _QUARTERS[m.group(1)]), "quarter")
    if default_year and "/" in folded:
        for m in _unpreceded(DAY_MONTH, folded):
            add(m, make_date(default_year, int(m.group(2)), int(m.group(1))), "day")
    return sorted(found, key=lambda d: d.start)


def _unpreceded(pattern: re.Pattern, text: str) -> Iterator[re.Match]:
    """`pattern.finditer(text)` as if the pattern began with `(?<![\\d/])`: a match
    right after a digit or `/` is dropped and the scan goes on from its next character."""
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        if m.start() and text[m.start() - 1] in _DIGITS_AND_SLASH:
            pos = m.start() + 1
            continue
        yield m
        pos = m.end()


_DIGITS_AND_SLASH = frozenset("0123456789/")


def parse_date(text: str) -> dt.date | None:
    """The first valid day-precision date in `text`, e.g. `ngày 8 tháng 7 năm 2021`."""
    for match in find_dates(text):
        if match.date and match.precision == "day":
            return match.date
    return None


def parse_iso(value: str) -> dt.date | None:
    """A strict YYYY-MM-DD (or YYYY-MM, YYYY) for filters; None if not valid."""
    value = value.strip()
    for pattern, parts in ((r"(\d{4})-(\d{1,2})-(\d{1,2})", 3), (r"(\d{4})-(\d{1,2})", 2), (r"(\d{4})", 1)):
        m = re.fullmatch(pattern, value)
        if m:
            nums = [int(g) for g in m.groups()] + [1] * (3 - parts)
            return make_date(*nums)
    return None
