"""Copies of one notice: the typed file, its scan, the portal's HTML, a legacy-encoded
copy. Two archived notices are copies when nothing they both state disagrees — number,
issue date, meeting date, issuing body — and their texts are near-identical once
normalised: the words folded (OCR's lost diacritics do not count), line breaks and
formats gone, compared as overlapping three-word shingles through a MinHash signature
(OCR noise changes a few shingles, not the most of them).

A number or date that differs keeps two notices apart however alike their texts are
(templates, yearly notices). The archive groups copies (`archive.py`); this module
only decides, from the notices and their signatures.

Which copy is shown (the group's primary) is decided by `primary_rank`: typed text
before a legacy encoding or a PDF's text layer, before OCR; then the text with fewer
misread words; then fewer warnings; then the file archived first."""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Iterable
from difflib import SequenceMatcher

import numpy as np

from .model import Notice
from .normalize import fold, per_token
from .references import number_key
from .syllables import is_syllable

HASHES = 64
BANDS = 16  # locality-sensitive hashing: 16 bands of 4 hashes; a pair whose signatures
ROWS = HASHES // BANDS  # agree on a whole band is compared (Jaccard 0.6 → 89%, 0.7 → 99%)
SHINGLE = 3  # words per shingle (signature() combines exactly three)
MIN_SHINGLES = 8  # fewer words than this: too little text to call two notices one
SAME_TEXT = 0.5  # estimated Jaccard similarity of the shingles at least
SAME_ISSUER = 0.8  # folded issuing bodies at least this alike (OCR misreads a letter or two)
OCR_FORMATS = frozenset({"hocr", "alto"})  # OCR output; scans read by OCR have encoding `ocr-…`

_rng = np.random.default_rng(20261202)  # fixed: signatures are stored and compared across runs
_A = _rng.integers(1, 2**63, HASHES, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63, HASHES, dtype=np.uint64)
_MIX = _rng.integers(1, 2**63, 2, dtype=np.uint64) | np.uint64(1)
_WORD = re.compile(r"\w+")


def signature(text: str) -> bytes:
    """The MinHash signature of a text's shingles (HASHES × uint32), b'' when the text
    is too short to judge."""
    ids = _word_ids(text)
    if len(ids) < SHINGLE + MIN_SHINGLES - 1:
        return b""
    with np.errstate(over="ignore"):  # wrapping multiplications are intended: hashing
        shingles = ids[:-2] * _MIX[0] + ids[1:-1] * _MIX[1] + ids[2:]  # three words in a row, in order
        # multiply-shift hashing: one 64-bit multiply per hash function, a row per
        # function (the minimum along a row is quick), in place; a shingle seen twice
        # changes no minimum, so none is removed first
        hashed = np.multiply.outer(_A, shingles)
        hashed += _B[:, None]
        hashed >>= np.uint64(32)
    return hashed.min(axis=1).astype("<u4").tobytes()


def _word_ids(text: str) -> np.ndarray:
    """The hash of each word (`\\w+`) of the text, in order, found token by token (split
    at whitespace, which no word spans; a regex over the text cost twice as much)."""
    hashes = per_token(_token_hashes, text.split(), _token_word_hashes)
    return np.fromiter(chain.from_iterable(hashes), np.uint64)


def _token_word_hashes(token: str) -> tuple[int, ...]:
    return tuple(_word_hash(word) for word in _WORD.findall(token))


_token_hashes: dict[str, tuple[int, ...]] = {}  # a token → its words' hashes


@lru_cache(maxsize=65536)
def _word_hash(word: str) -> int:
    """A 64-bit hash of the folded word: `Đảng`, `đảng` and `dang` hash alike."""
    folded = fold(word).encode()
    return zlib.crc32(folded) | (zlib.adler32(folded) << 32)


def bands(sig: bytes) -> list[int]:
    """One key per band of the signature (the band's number mixed in), as signed 64-bit
    integers for SQLite: a band's CRC-32 in the low half, its number in the high."""
    if not sig:
        return []
    size = ROWS * 4  # a band's bytes (uint32 each)
    return [zlib.crc32(sig[band * size:(band + 1) * size]) | (band << 32) for band in range(BANDS)]


def band_bytes(keys: Iterable[int]) -> bytes:
    """Band keys as the catalog keeps them (signed 64-bit, little-endian)."""
    return np.array(list(keys), "<i8").tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures' texts."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return float(np.mean(np.frombuffer(a, "<u4") == np.frombuffer(b, "<u4")))


@dataclass(frozen=True)
class Facts:
    """What copies must agree on, as the catalog keeps it, and the signature's LSH
    keys (`bands`)."""
    number_key: str
    issue_date: str
    meeting_date: str
    issuer: str  # folded
    signature: bytes
    bands: tuple[int, ...] = ()


def facts(notice: Notice) -> Facts:
    """A notice's facts, computed where it is parsed (the ingest workers): the
    signature is most of the work."""
    sig = signature(notice.body)
    return Facts(number_key(notice.number) if notice.number else "",
                 notice.issue_date.isoformat() if notice.issue_date else "",
                 notice.meeting_date.isoformat() if notice.meeting_date else "",
                 fold(notice.issuer_canonical or notice.issuer), sig, tuple(bands(sig)))


COMMON_BAND = 64  # a band shared by more notices than this is boilerplate, not a sign of a copy


class Candidates:
    """Which linked notices a new notice is compared with: those sharing a band of its
    signature, unless the band is boilerplate (shared by more than COMMON_BAND
    notices), and not disagreeing on number or dates. Held in memory while an archive
    links (the catalog keeps each notice's bands and facts, and this is built from
    them): a lookup is a few binary searches whatever the archive's size, where a
    band table on disk cost a random read per band and a dirty page per new row.

    Everything is kept in arrays: the bands sorted with the notices (slots) that have
    them, and per slot the facts as codes (0: not stated) and whether it is still
    linked (held as Python lists, the bands of a whole run, 16 per notice, made
    millions of objects that every garbage collection, and every index sub-writer
    forked from the process, walked through). Notices are added, and looked up, a
    batch at a time (`add_many`, `of_many`: a link's batch of files): numpy's work
    for one notice at a time was mostly its per-call cost, 12 s of the main
    process's 65 at 100,000 notices. A band's entries stay in the arrays once it is
    found to be boilerplate (`_common`): it is never looked at again."""

    def __init__(self, rows: Iterable[tuple[str, str, str, str, bytes]]):
        """rows: (id, number_key, issue_date, meeting_date, bands) of linked notices."""
        self._ids: list[str] = []
        self._codes: dict[str, int] = {"": 0}  # a fact as written → its code
        facts, blobs = [], []
        for nid, number, issue, meeting, blob in rows:
            if blob:
                self._ids.append(nid)
                facts.append(self._facts_code(number, issue, meeting))
                blobs.append(blob)
        self._slot = {nid: slot for slot, nid in enumerate(self._ids)}
        self._facts = np.zeros((max(len(facts), 1024), 3), np.int64)  # grows by doubling
        self._facts[:len(facts)] = np.array(facts, np.int64).reshape(-1, 3)
        self._linked = np.zeros(len(self._facts), bool)
        self._linked[:len(facts)] = True
        keys = np.frombuffer(b"".join(blobs), "<i8")
        owners = np.repeat(np.arange(len(blobs), dtype=np.int32), [len(blob) // 8 for blob in blobs])
        order = np.argsort(keys, kind="stable")
        self._keys, self._owners = keys[order], owners[order]
        distinct, counts = np.unique(self._keys, return_counts=True)
        self._common = set(distinct[counts > COMMON_BAND].tolist())

    def _facts_code(self, number: str, issue: str, meeting: str) -> tuple[int, int, int]:
        codes = self._codes
        return tuple(codes.setdefault(fact, len(codes)) for fact in (number, issue, meeting))

    def __len__(self) -> int:
        return len(self._slot)

    def add(self, nid: str, facts: Facts) -> None:
        self.add_many([(nid, facts)])

    def add_many(self, notices: Iterable[tuple[str, Facts]]) -> None:
        """Link these notices, in order (a notice linked again replaces its entry)."""
        common = self._common
        keys: list[int] = []
        owners: list[int] = []
        for nid, facts in notices:
            if not facts.bands:
                continue
            self.remove(nid)
            slot = len(self._ids)
            if slot == len(self._facts):
                self._facts = np.concatenate([self._facts, np.zeros_like(self._facts)])
                self._linked = np.concatenate([self._linked, np.zeros_like(self._linked)])
            self._ids.append(nid)
            self._facts[slot] = self._facts_code(facts.number_key, facts.issue_date, facts.meeting_date)
            self._linked[slot] = True
            self._slot[nid] = slot
            kept = [band for band in facts.bands if band not in common]
            keys += kept
            owners += [slot] * len(kept)
        if keys:
            new = np.array(keys, np.int64)
            order = np.argsort(new, kind="stable")
            new = new[order]
            at = np.searchsorted(self._keys, new, "right")  # after the band's entries: slots stay in order
            self._keys = np.insert(self._keys, at, new)
            self._owners = np.insert(self._owners, at, np.array(owners, np.int32)[order])

    def remove(self, nid: str) -> None:
        slot = self._slot.pop(nid, None)
        if slot is not None:
            self._linked[slot] = False

    def of(self, nid: str, facts: Facts) -> list[str]:
        return self.of_many([(nid, facts)])[0]

    def of_many(self, notices: list[tuple[str, Facts]]) -> list[list[str]]:
        """For each notice, the ids of the linked notices to compare it with, in the
        order they were linked (itself excepted). A band shared by more than
        COMMON_BAND notices is boilerplate from then on."""
        found: list[list[str]] = [[] for _ in notices]
        common = self._common
        looked_up = [(n, band) for n, (_, facts) in enumerate(notices) for band in facts.bands if band not in common]
        if not looked_up:
            return found
        which = np.array([n for n, _ in looked_up], np.int64)
        bands = np.array([band for _, band in looked_up], np.int64)
        order = np.argsort(bands)  # searched in order: each search starts near the last one
        which, bands = which[order], bands[order]
        starts = np.searchsorted(self._keys, bands, "left")
        counts = np.searchsorted(self._keys, bands, "right") - starts
        boilerplate = counts > COMMON_BAND
        if boilerplate.any():
            common.update(bands[boilerplate].tolist())
            counts[boilerplate] = 0
        total = int(counts.sum())
        if not total:
            return found
        # every (notice, slot) pair: each band's run of entries, laid end to end
        run_start = np.cumsum(counts) - counts
        at = np.repeat(starts - run_start, counts) + np.arange(total)
        notice, slots = np.repeat(which, counts), self._owners[at]
        codes = self._codes
        own = np.array([[codes.get(fact, -1) for fact in (f.number_key, f.issue_date, f.meeting_date)]
                        for _, f in notices], np.int64)[notice]
        theirs = self._facts[slots]
        keep = self._linked[slots] & ((theirs == 0) | (own == 0) | (theirs == own)).all(axis=1)  # nothing both state differs
        pairs = np.unique((notice[keep] << 32) | slots[keep].astype(np.int64))  # by notice, then slot
        ids = self._ids
        for n, slot in zip((pairs >> 32).tolist(), (pairs & 0xFFFFFFFF).tolist()):
            if ids[slot] != notices[n][0]:
                found[n].append(ids[slot])
        return found


def agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Nothing both state differs (number key, issue date, meeting date)."""
    return all(not x or not y or x == y for x, y in zip(a, b))


def same_notice(a: Facts, b: Facts) -> bool:
    if not agree((a.number_key, a.issue_date, a.meeting_date), (b.number_key, b.issue_date, b.meeting_date)):
        return False
    if a.issuer and b.issuer and SequenceMatcher(None, a.issuer, b.issuer).ratio() < SAME_ISSUER:
        return False
    return similarity(a.signature, b.signature) >= SAME_TEXT


LEGACY_ENCODINGS = frozenset({"tcvn3", "vni", "cp1258"})


def source_tier(file_format: str, encoding: str) -> int:
    """How directly a file holds the text: 0 typed Unicode (text, Word, HTML, XML);
    1 a guessed legacy 8-bit encoding, or a PDF's text layer (whose columns extraction
    may interleave); 2 OCR (hOCR, ALTO, scans read by Tesseract)."""
    if file_format in OCR_FORMATS or encoding.startswith("ocr"):
        return 2
    if encoding in LEGACY_ENCODINGS or file_format == "pdf":
        return 1
    return 0


_LOWER_WORD = re.compile(r"(?<![\w.])[^\W\d_A-ZĐ]+(?![\w.])")


def text_noise(text: str) -> float:
    """The share of lower-case words that are not Vietnamese syllables (`gial`,
    `nbân`): what OCR's misread letters leave, rounded to steps of 0.5%."""
    words = _LOWER_WORD.findall(text)
    if not words:
        return 0.0
    bad = sum(1 for w in words if not is_syllable(w))
    return round(bad / len(words) * 200) / 200


def primary_rank(tier: int, noise: float, warnings: int, ingested_at: str, notice_id: str) -> tuple:
    """Lower is shown first: the text held most directly (`source_tier`: typed text
    before a legacy encoding or a PDF's text layer, before OCR), then the cleaner text
    (`text_noise`), then fewer warnings (the file's and the notice's), then the earlier
    archived, then the notice id (any fixed order)."""
    return (tier, noise, warnings, ingested_at, notice_id)
