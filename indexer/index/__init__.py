"""The Whoosh index: the only package that imports whoosh.

One document per notice and one per conclusion item (`kind`), written as a group: a
notice's items follow it in the same segment (the fast search path finds an item's
notice by that). Text is indexed two ways, both with positions: exact (NFC, lower case,
diacritics kept) and folded (no diacritics, đ → d), so a query without diacritics still
matches, and exact, phrase and compound-word matches rank higher. The notice's header
(type, number, issuer, title, meeting, presiding official, signer) is a field of its
own. An item document holds only what is the item's own: the search path gives it its
notice's header and fields (date, issuer, level, type, number, citations) when it reads
them (`INHERITED_FIELDS`). Segments are written by `segments.py` (the same files as
whoosh's own writer, with numpy doing the per-posting work); `columnar.py` reads them
back as arrays for searching."""
from __future__ import annotations

import datetime as dt
import pickle
import re
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from whoosh import index as windex
from whoosh import query as wq
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.columns import ColumnWriter, VarBytesColumn
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.writing import CLEAR, SegmentWriter

from ..archive import StoredNotice
from ..errors import IndexBusy, KetluanError
from ..faults import checkpoint
from ..model import Notice
from ..normalize import FOLD_TABLE, fold, per_token
from ..references import number_key, number_parts
from .columnar import WHOOSH_LOCK, ByteCache, POSTINGS_BUDGET, Snapshot
from .segments import FastMpWriter, FastSegmentWriter, IdTerms, KeywordTerms, TextTerms, WordTokens


def _cached_reader(self, fieldname, column):
    """W3PerDocReader._cached_reader, but remembering fields that have no column too:
    whoosh looks up the length of every posting it writes, and for a field without
    lengths (keywords) the original asks the file system each time — one stat() per
    posting, a third of the commit time here. A segment's columns never change."""
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
        return reader


W3PerDocReader._cached_reader = _cached_reader


def _fill_fixed(self, docnum):
    """ColumnWriter.fill (fixed-size and numeric columns): the default value of each
    document before `docnum` that has none, written at once; whoosh writes them one
    call each, and the date, year and deadline columns are sparse (an item has no
    date, most items no deadline): a few percent of a sub-writer's time."""
    if docnum > self._count:
        self._dbfile.write(self._defaultbytes * (docnum - self._count))


def _fill_varbytes(self, docnum):
    """VarBytesColumn.Writer.fill (the stored fields, which only notices have), the
    same entries appended at once: the first through whoosh's growable array (which
    widens its type for a large offset), the rest as the same value."""
    gap = docnum - self._count
    if gap > 0:
        for column, value in ((self._lengths, 0), (self._offsets, self._offset_base)):
            column.append(value)
            column.array.extend([value] * (gap - 1))


WHOOSH_FILLS = (ColumnWriter.fill, VarBytesColumn.Writer.fill)  # the originals, for the tests
ColumnWriter.fill = _fill_fixed
VarBytesColumn.Writer.fill = _fill_varbytes


def _commit_toc(self, segments):
    checkpoint("toc")  # the crash tests stop here: segments written, not yet listed
    return _original_commit_toc(self, segments)


_original_commit_toc = SegmentWriter._commit_toc
SegmentWriter._commit_toc = _commit_toc

TOKEN_PATTERN = r"\w+"  # `Covid-19` → covid, 19: a query for `Covid` must find it
EXACT = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()
FOLDED = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(FOLD_TABLE)


# The same postings as the analysers above, computed faster (see segments.py); the
# exact and folded fields of a document hold the same text, split once.
_WORDS = WordTokens(TOKEN_PATTERN)
FAST_ANALYZERS = {
    "exact": TextTerms(_WORDS, positions=False),
    "folded": TextTerms(_WORDS, FOLD_TABLE),
    "header": TextTerms(TOKEN_PATTERN, FOLD_TABLE, positions=False),
    "kind": IdTerms(), "notice_id": IdTerms(),
    "number": KeywordTerms(lowercase=True),
    **{name: KeywordTerms() for name in ("issuer", "level", "doc_type", "topics", "addressees", "presiding",
                                         "cites")},
}
UNSTORED = ("notice_id",)  # found through whoosh only (replacing a notice deletes by it)


def _column_only(field):
    """A field kept as a sortable column and not indexed: date and year filters and
    sorts read the column (`Snapshot.column`), never a posting list."""
    field.indexed = False
    return field


# A notice document's text fields hold only its own text (`own_text`); its items'
# postings are added to it when read (`Snapshot.postings`).
AGGREGATED_FIELDS = ("exact", "folded")
# The notice's header and fields, written in its document only: its items are given
# them when read (`Snapshot.postings`, `Snapshot.column`), as if written in theirs.
INHERITED_FIELDS = ("header", "number", "issuer", "level", "doc_type", "cites")
INHERITED_COLUMNS = ("year", "date")


def make_schema() -> Schema:
    # Stored: only a notice document's id, which finds it in the archive's catalog,
    # from which the page of hits is read (storing titles and texts here repeated the
    # catalog and was a third of the index). An item document stores nothing: its
    # notice is the notice document before it and its position its distance from it
    # (`Snapshot.document_key`).
    return Schema(
        id=STORED(),
        kind=ID(),
        notice_id=ID(),  # replacing a notice deletes by it
        # exact: no positions: phrases are matched on `folded`, whose positions are the same
        exact=TEXT(analyzer=EXACT, phrase=False),
        folded=TEXT(analyzer=FOLDED, phrase=True),
        # the notice's header; an item's holds its section's heading (and inherits its notice's)
        header=TEXT(analyzer=FOLDED, phrase=False),
        number=KEYWORD(lowercase=True, commas=True),
        # facets and filters read these keywords' postings (`Snapshot.keyword`): no columns
        issuer=KEYWORD(commas=True),
        level=KEYWORD(commas=True),
        doc_type=KEYWORD(commas=True),
        topics=KEYWORD(commas=True),
        addressees=KEYWORD(commas=True),
        presiding=KEYWORD(commas=True),  # the official who chaired and concluded
        cites=KEYWORD(commas=True),  # number keys of the documents the notice cites
        year=_column_only(NUMERIC(sortable=True)),
        date=_column_only(DATETIME(sortable=True)),
        deadline=_column_only(DATETIME(sortable=True)),
    )


def number_keys(number: str) -> str:
    """Every way a document number is typed: `447/TB-VPCP` → 447-tb-vpcp, 447, tb, vpcp
    (the whole number's key, then its parts)."""
    if not number:
        return ""
    parts = number_parts(number)
    return ",".join(dict.fromkeys([number_key(number), *parts])) if parts else ""


def _header(notice) -> str:
    """What a notice is found by besides its text, weighted above it."""
    people = [notice.presiding.name if notice.presiding else "", notice.presiding.position if notice.presiding else "",
              notice.signer.name if notice.signer else ""]
    return " ".join(filter(None, [notice.doc_type, notice.number, notice.issuer, notice.issuer_canonical,
                                  notice.title, notice.meeting, notice.period, *people]))


def documents(stored: StoredNotice) -> Iterator[dict]:
    """The notice's own document and one per item. An item's document holds what is
    its own (text, section heading, addressees, deadline, topics); the notice's header,
    number, issuer, level, type, citations and date are read from the notice's document
    (`INHERITED_FIELDS`, `INHERITED_COLUMNS`)."""
    return notice_documents(stored.id, stored.notice)


@dataclass(frozen=True)
class PackedNotice:
    """A notice's documents pickled as one list, as an ingest worker prepares them: the
    main process hands them to a writer (`IndexWriter.add_packed`) without unpickling
    them, and never holds the notice's objects (unpickling those was its largest
    single cost)."""
    id: str
    sha256: str
    documents: bytes
    count: int  # how many documents


def packed_documents(nid: str, sha256: str, notice: Notice) -> PackedNotice:
    docs = list(notice_documents(nid, notice))
    return PackedNotice(nid, sha256, pickle.dumps(docs, pickle.HIGHEST_PROTOCOL), len(docs))


def notice_documents(nid: str, notice: Notice) -> Iterator[dict]:
    date = notice.date
    when = dt.datetime(date.year, date.month, date.day) if date else None
    topics = ",".join(notice.topics)
    texts = [item.full_text for item in notice.items]
    own = own_text(notice.body, notice.items, texts)
    presiding = notice.presiding.name if notice.presiding and notice.presiding.name else None
    yield _present(id=nid, kind="notice", notice_id=nid, exact=own, folded=own, header=_header(notice),
                   spelling=notice.title + "\n" + notice.body, number=number_keys(notice.number),
                   issuer=notice.issuer_canonical or notice.issuer, level=notice.body_level, doc_type=notice.doc_type,
                   topics=topics, year=date.year if date else None, date=when,
                   cites=",".join(dict.fromkeys(number_key(r.number) for r in notice.references)),
                   addressees=_keywords(a for i in notice.items for a in i.addressees),
                   presiding=presiding and presiding.replace(",", ";"))
    for item, text in zip(notice.items, texts):
        yield _item_document(nid, item, text, topics)


def _item_document(notice_id: str, item, text: str, notice_topics: str) -> dict:
    """`_present(kind="item", notice_id=..., exact=text, folded=text, header=section,
    addressees=..., topics=..., deadline=...)` written out: it runs for every item."""
    doc = {"kind": "item", "notice_id": notice_id}
    if text:
        doc["exact"] = doc["folded"] = text
    if item.section:
        doc["header"] = item.section
    if item.addressees and (addressees := _keywords(item.addressees)):
        doc["addressees"] = addressees
    if topics := (",".join(item.topics) if item.topics else notice_topics):
        doc["topics"] = topics
    if item.deadline and (d := item.deadline.date):
        doc["deadline"] = dt.datetime(d.year, d.month, d.day)
    return doc


def _present(**fields) -> dict:
    """The fields that have a value (whoosh indexes no empty keyword)."""
    return {k: v for k, v in fields.items() if v is not None and v != ""}


_TOKEN = re.compile(TOKEN_PATTERN)


def own_text(body: str, items, texts: list[str] | None = None) -> str:
    """The notice's text outside its items (the preamble, the attendance, the closing
    lines): a notice document indexes only this, and the search path adds its items'
    postings to it (`AGGREGATED_FIELDS`), so each text is indexed once.

    Each item's words are found, in order, as a run of the body's words and cut out
    (where the item was, a line break: no phrase spans the gap). An item not found so
    (its text rewritten by the parser) has its words taken out one by one, the first
    occurrences left over. `texts`: the items' full texts, when already at hand."""
    if texts is None:
        texts = [item.full_text for item in items]
    cuts = _verbatim_cuts(body, texts)
    if cuts is not None:  # every item's text as it stands in the body (nearly always)
        return _cut(body, cuts)
    tokens = list(_TOKEN.finditer(body))
    words = [t.group().lower() for t in tokens]
    cuts: list[tuple[int, int]] = []
    missing: list[str] = []
    at = 0
    for text in texts:
        item_words = [w.lower() for w in _TOKEN.findall(text)]
        start = _find_run(words, item_words, at)
        if start < 0:
            missing.extend(item_words)
            continue
        if item_words:
            cuts.append((tokens[start].start(), tokens[start + len(item_words) - 1].end()))
            at = start + len(item_words)
    text = _cut(body, cuts)
    return _without_words(text, missing) if missing else text


def _verbatim_cuts(body: str, texts: list[str]) -> list[tuple[int, int]] | None:
    """Where each item's text stands in the body, in order, cut at word edges; None
    when one does not stand there as written."""
    cuts, at = [], 0
    for text in texts:
        if not text:
            continue
        start = body.find(text, at)
        end = start + len(text)
        if start < 0 or (start and _is_word(body[start - 1]) and _is_word(text[0])) or \
                (end < len(body) and _is_word(body[end]) and _is_word(text[-1])):
            return None
        cuts.append((start, end))
        at = end
    return cuts


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what `\w` matches


def _cut(body: str, cuts: list[tuple[int, int]]) -> str:
    """The body without the spans, a line break where each was."""
    parts, last = [], 0
    for start, end in cuts:
        parts.append(body[last:start])
        last = end
    parts.append(body[last:])
    return "\n".join(parts)


def _find_run(words: list[str], run: list[str], start: int) -> int:
    if not run:
        return start
    first, size = run[0], len(run)
    for i in range(start, len(words) - size + 1):
        if words[i] == first and words[i:i + size] == run:
            return i
    return -1


def _without_words(text: str, words: list[str]) -> str:
    left = {}
    for word in words:
        left[word] = left.get(word, 0) + 1
    kept = []
    for token in _TOKEN.findall(text):
        lower = token.lower()
        if left.get(lower):
            left[lower] -= 1
        else:
            kept.append(token)
    return " ".join(kept)


_SPELL_WORD = re.compile(r"[^\W\d_]+")
_SPELL_BREAKS = frozenset("\n.,;:!?()[]\"“”")  # no pair of words spans these
_SPELL_BREAK_RUN = re.compile("[" + re.escape("".join(sorted(_SPELL_BREAKS))) + "]+")


def spelling_terms(text: str) -> list[tuple[str, str]]:
    """The words of a notice and its adjacent pairs, each as (folded, as written)
    (`giai phong`, `giải phóng`), once per notice: the statistics "did you mean" uses
    to put diacritics back on a query typed without them. They are counted, not
    indexed: each segment's posting store keeps how many notices write each. Words
    are letters only (digits between two words do not part them); punctuation that
    ends a phrase does."""
    return [(spelling_key(form), form) for form in spelling_forms(text)]


def spelling_forms(text: str) -> list[str]:
    """`spelling_terms` as written only: what a writer counts per notice (the folded
    key is found once per distinct form when the segment is written)."""
    words, pairs = set(), set()
    for stretch in _SPELL_BREAK_RUN.split(text):  # no pair spans a break: pairs are found between them
        found = _SPELL_WORD.findall(stretch)
        words.update(found)
        if len(found) > 1:
            pairs.update(map(" ".join, zip(found, found[1:])))
    return [*words, *pairs]


def spelling_key(form: str) -> str:
    """The folded key of a word or pair as written: `Giải phóng` → `giai phong` (fold
    maps character by character, so a pair's key is its two words' keys)."""
    return fold(form)


class SpellingCounts:
    """How many notices write each of `spelling_forms`, as a writer counts them: a
    notice's words are numbered (each distinct whitespace token's words and breaks
    found once, `per_token`) and its distinct words and pairs kept as numbers; the
    forms' strings are made once per segment, when its counts are written (`items`),
    not once per notice (a Counter of each notice's forms cost a sixth of a writer's
    time)."""

    _PIECES = re.compile(f"{_SPELL_WORD.pattern}|{_SPELL_BREAK_RUN.pattern}")  # a word, or a run of breaks

    def __init__(self):
        self._numbers: dict[str, int] = {}  # a word as written → its number, from 1 (0: a break)
        self._words = [""]
        self._token_numbers: dict[str, tuple[int, ...]] = {}
        self._codes: list[np.ndarray] = []  # each notice's distinct words and pairs, as codes
        self._merged: Counter = Counter()  # counts of merged segments, by form

    def add(self, text: str) -> None:
        tokens = text.replace("\n", " \n ").split(" ")  # a newline is a break: kept as a token
        numbers = np.fromiter(chain.from_iterable(per_token(self._token_numbers, tokens, self._numbers_of)), np.int64)
        if not len(numbers):
            return
        both = (numbers[:-1] > 0) & (numbers[1:] > 0)
        pairs = (numbers[:-1][both] << 32) | numbers[1:][both]  # a pair's code: its first word's number above
        self._codes.append(np.unique(np.concatenate((numbers[numbers > 0], pairs))))

    def _numbers_of(self, token: str) -> tuple[int, ...]:
        out = []
        for piece in self._PIECES.findall(token):
            if piece[0] in _SPELL_BREAKS:
                out.append(0)
                continue
            number = self._numbers.get(piece)
            if number is None:
                number = self._numbers[piece] = len(self._words)
                self._words.append(piece)
            out.append(number)
        return tuple(out)

    def update(self, forms: dict[str, int]) -> None:
        self._merged.update(forms)

    def items(self):
        counts = Counter(self._merged)
        if self._codes:
            codes, notices = np.unique(np.concatenate(self._codes), return_counts=True)
            words = self._words
            for code, n in zip(codes.tolist(), notices.tolist()):
                counts[words[code] if code <= _LOW else words[code >> 32] + " " + words[code & _LOW]] += n
        return counts.items()


_LOW = 2**32 - 1

# Kept in each segment's posting store only, as counts (see poststore.py). A notice's
# document carries its text, and the writer (a sub-writer process, with several) finds
# the words and pairs: the main process neither computes nor pickles them.
COUNTED = {"spelling": (SpellingCounts, spelling_key)}


def spelling_counts(snap: Snapshot, folded: str) -> dict[str, int]:
    """How many notices write the (lower-case, folded) word or pair each way (kept
    with the index generation: the same words come back in query after query). Like
    whoosh's document frequencies, the counts include notices deleted (replaced)
    since their segment was written, until a reindex."""
    return snap.cached(("spelling", folded), lambda: snap.counts("spelling", folded))


def close_words(snap: Snapshot, word: str) -> dict[str, int]:
    """Indexed (folded) words one edit from `word` (a letter added, dropped, changed, or
    two neighbours swapped), with how many documents hold each: candidates for
    correcting a misspelt query word. Found through a table of every word with one
    letter dropped (symmetric delete), built once per index generation; whoosh's
    `terms_within` walks the vocabulary in Python (60 ms a word)."""
    word = fold(word).lower()
    table = snap.table(("deletes",), lambda: _deletes_table(snap.searcher))
    keys = {word, *_deletes(word), *(word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1))}
    found = {w for key in keys for w in table.get(key, ())}
    with WHOOSH_LOCK:
        reader = snap.searcher.reader()
        return {w: reader.doc_frequency("folded", w) for w in sorted(found)}


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _deletes_table(searcher) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    with WHOOSH_LOCK:
        terms = list(searcher.reader().lexicon("folded"))
    for term in terms:
        text = term.decode("utf-8") if isinstance(term, bytes) else term
        if len(text) < 3 or not text.isalpha() or not text.isascii():
            continue
        for k in {text, *_deletes(text)}:
            table.setdefault(k, []).append(text)
    return {k: tuple(v) for k, v in table.items()}


def _layout(schema: Schema) -> set:
    """What an index keeps of each field: an index with another layout is rebuilt."""
    return {(name, type(f).__name__, f.stored, f.indexed, type(f.format).__name__) for name, f in schema.items()}


def _keywords(values) -> str:
    """Comma-separated keyword values; commas inside a value become semicolons."""
    return ",".join(dict.fromkeys(v.replace(",", ";") for v in values))


def _storage(path: Path) -> FileStorage:
    """The index's files, read with file reads rather than memory maps: whoosh-reloaded
    copies each memory-mapped part of a compound segment into a BytesIO (a private copy
    of the index per searcher, about 290 MB at 10,000 notices), and mapped pages count
    in the server's resident memory anyway."""
    return FileStorage(str(path), supports_mmap=False)


class Index:
    """Open (or create) the index in a directory."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        storage = _storage(self.path)
        self.ix = storage.open_index() if windex.exists_in(str(self.path)) else storage.create_index(make_schema())
        self._checked: tuple[int | None, bool] = (None, False)  # (generation, outdated?)
        self._searcher = None
        self._snapshot: Snapshot | None = None
        self._segments: dict = {}  # segment id → its arrays, kept while the segment is in the index
        self._postings = ByteCache(POSTINGS_BUDGET)
        self._lock = threading.Lock()

    def outdated(self) -> bool:
        """Built by an older version (other fields): `ketluan reindex` rebuilds it.
        Checked once per index generation."""
        generation = self.ix.latest_generation()
        if self._checked[0] != generation:
            for _ in range(40):
                try:
                    names = _layout(self.ix.schema)
                    break
                except FileNotFoundError:  # a writer replaced the table of contents meanwhile
                    time.sleep(0.05)
                    generation = self.ix.latest_generation()
            else:
                raise IndexBusy(f"the index at {self.path} keeps changing; try again")
            self._checked = (generation, names != _layout(make_schema()))
        return self._checked[1]

    def snapshot(self) -> Snapshot:
        """The index as arrays for searching, shared by every thread: one searcher,
        refreshed when a writer has committed, so searching goes on while the bulk
        indexer runs and sees its commits."""
        with self._lock:
            with WHOOSH_LOCK:
                searcher = self._searcher
                if searcher is None:
                    searcher = self.ix.searcher()
                elif not searcher.up_to_date():
                    try:
                        searcher = searcher.refresh()  # reuses the segments that did not change
                    except TypeError:  # whoosh cannot refresh a searcher of an empty index
                        searcher = self.ix.searcher()
            if self._snapshot is None or searcher is not self._searcher:
                self._searcher = searcher
                self._snapshot = Snapshot(searcher, self._segments, self._postings, str(self.path),
                                          aggregated=AGGREGATED_FIELDS, inherited=INHERITED_FIELDS,
                                          inherited_columns=INHERITED_COLUMNS)
                current = {a.segid for a, _ in self._snapshot.parts}
                for segid in [s for s in self._segments if s not in current]:
                    del self._segments[segid]
            return self._snapshot

    @contextmanager
    def reading(self):
        """The shared searcher, for whoosh calls outside the fast path (one thread at a
        time: whoosh's readers share file positions)."""
        searcher = self.snapshot().searcher
        with WHOOSH_LOCK:
            yield searcher

    @contextmanager
    def writer(self, timeout: float = 10.0, procs: int = 1, replace_all: bool = False):
        """Commits on success, cancels on error; waits up to `timeout` s for the lock.
        `replace_all`: the commit drops every existing segment, so the documents added
        replace the whole index in one step (searchers never see it empty)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                # With several processes each writes its own segment (no merge at commit).
                # Documents go to the sub-writers 250 at a time (whoosh: 100), one temporary
                # file each: fewer files to create, and still even shares for each process.
                writer = (FastMpWriter(self.ix, procs=procs, multisegment=True, batchsize=250,
                                       analyzers=FAST_ANALYZERS, limit_postings=MAX_POSTINGS_PER_PROCESS,
                                       max_segment_docs=MAX_SEGMENT_DOCS, group_start=GROUP_START,
                                       counted=COUNTED, unstored=UNSTORED)
                          if procs > 1
                          else FastSegmentWriter(self.ix, analyzers=FAST_ANALYZERS, limit_postings=MAX_POSTINGS_SINGLE,
                                                 max_segment_docs=MAX_SEGMENT_DOCS, group_start=GROUP_START,
                                                 counted=COUNTED, unstored=UNSTORED))
                break
            except LockError:
                if time.monotonic() > deadline:
                    raise IndexBusy(f"the index at {self.path} is locked by another process; try again later")
                time.sleep(0.2)
        committing = False
        try:
            yield IndexWriter(writer)
            committing = True
            writer.commit(mergetype=CLEAR if replace_all else merge_when_many)
        except BaseException:
            if not committing:
                writer.cancel()
            _end_sub_writers(writer)
            raise
        failed = [t for t in getattr(writer, "tasks", ()) if t.exitcode]
        if failed:  # their documents are not in the commit: the caller must not mark them indexed
            raise KetluanError(f"{len(failed)} index sub-writer(s) failed; run the same command again",
                               "Ghi chỉ mục song song bị lỗi; hãy chạy lại lệnh.")

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def kind_counts(self) -> dict[str, int]:
        snap = self.snapshot()  # live documents only (whoosh's doc_frequency counts deleted ones)
        return {"notice": snap.notices, "item": snap.items}


GROUP_START = ("kind", "notice")  # a notice's document starts its group
# Postings a writer holds in memory before spilling them to a run file (~40 bytes each;
# a 10k reindex peaked at 387 MB with 4 M, at 301 MB with 1 M, in the same time).
MAX_POSTINGS_SINGLE = 1_000_000
MAX_POSTINGS_PER_PROCESS = 2_000_000
# Documents per segment at most (a reindex writes the whole archive in one commit). A
# segment's postings are sorted in memory when it is written: a 10k reindex in one
# process peaked at 344 MB with 50,000 and at 193 MB with 20,000 (29 s; the per-posting
# pool before it, which spilled runs to disk, peaked at 99 MB and took 48 s).
MAX_SEGMENT_DOCS = 20_000
MAX_SEGMENTS = 128  # beyond this, the smallest segments are merged
MERGE_AT_ONCE = 32


def merge_when_many(writer, segments):
    """Whoosh's merges are as slow as indexing the documents again (a 10k-notice index
    took 198 s to merge into one segment), and its default policy merges most of the
    index every so often. A search over 22 segments was only ~15% slower than over one
    (p50 181 vs 153 ms at 10k notices), so: no merge until there are many segments,
    then merge the smallest ones."""
    if len(segments) <= MAX_SEGMENTS:
        return list(segments)
    from whoosh.reading import SegmentReader

    ordered = sorted(segments, key=lambda s: s.doc_count_all())
    for segment in ordered[:MERGE_AT_ONCE]:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return ordered[MERGE_AT_ONCE:]


def _end_sub_writers(writer) -> None:
    """Sub-writers of a cancelled or interrupted write wait for work that will not come,
    and Python waits for them at exit (Ctrl-C would hang): end them."""
    for task in getattr(writer, "tasks", ()):
        if task.is_alive():
            task.terminate()
            task.join(5)


class IndexWriter:
    def __init__(self, writer):
        self._w = writer

    def add_notices(self, notices: Iterable[StoredNotice], new_files: frozenset[str] = frozenset(),
                    replace: bool = True) -> int:
        """Index the notices that are shown (not another's copy). `new_files`: hashes of files never archived before, whose notices cannot be
        in the index yet (no lookup needed to replace them). `replace=False`: nothing
        is looked up (a rebuild, whose commit drops every old segment)."""
        count = 0
        for stored in notices:
            if replace and stored.sha256 not in new_files:
                self._w.delete_by_term("notice_id", stored.id)
            if stored.copy_of:
                continue  # another file's copy of the notice is the one indexed
            with self._w.group():  # the notice and its items in one segment, in this order
                for doc in documents(stored):
                    self._w.add_document(**doc)
                    count += 1
        return count

    def add_packed(self, notices: Iterable[PackedNotice], copies: set[str] = frozenset(),
                   new_files: frozenset[str] = frozenset()) -> None:
        """`add_notices` for notices an ingest worker packed; `copies`: the ids of those
        that are another notice's copy (not indexed)."""
        for packed in notices:
            if packed.sha256 not in new_files:
                self._w.delete_by_term("notice_id", packed.id)
            if packed.id not in copies:
                self._w.add_packed(packed.documents, packed.count)

    def delete_notices(self, ids: Iterable[str]) -> None:
        for nid in ids:
            self._w.delete_by_term("notice_id", nid)


def for_rebuild(path: str | Path) -> Index:
    """The index to rebuild (reindex) with `writer(replace_all=True)`; one built with
    an older schema is recreated empty first."""
    index = Index(path)
    if index.outdated():
        _storage(index.path).create_index(make_schema())
        index = Index(path)
    return index
