"""Compact arrays read from the index's segments, for the fast search path.

Whoosh stays the index of record; everything here is derived from its segment files
and rebuilt from them. A segment never changes once written (only its deletions do),
so what is read from it is kept per segment id:

- a term's postings (document numbers, frequencies) and occurrences (document,
  position), read from the segment's posting store (`poststore.py`) with one read
  and numpy; a segment without one (written by whoosh's own writer) is read
  through whoosh's blocks instead (`read_postings`), much slower;
- each text field's lengths, the kind of each document and its notice (a notice's
  items follow it in the same segment: `IndexWriter.add_notices` writes them as a
  group), keyword values as codes, and the date columns.

A `Snapshot` puts the segments of one searcher together with global document numbers,
adds each notice's items to its text fields (`AGGREGATED_FIELDS`) and matches phrases
over occurrence keys. Reading whoosh's columns and blocks leans on whoosh-reloaded's
private formats (W3LeafMatcher's posting layout, NumericColumn's fixed-width values,
`SegmentReader._segment`): whoosh-reloaded is pinned to the exact version these were
written against, and tests/test_columnar.py and tests/test_segments.py check every
array against whoosh's own readers and matchers.
"""
from __future__ import annotations

import bisect
import heapq
import io
import math
import struct
import threading
import time
import zlib
from pickle import load, loads
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.matching import FilterMatcher
from whoosh.util.times import datetime_to_long
from whoosh.util.numeric import byte_to_length

from .poststore import StoreSet, open_store

LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)
MISSING_DATE = np.iinfo(np.int64).max  # documents without a date sort last
POSTINGS_BUDGET = 64 * 2**20  # bytes of whoosh-block postings kept (segments without a store)
# bytes of postings and positions kept per index generation (the 29 bench queries at
# 100,000 notices build about 230 MB of them per round; the server must fit in 600 MB)
SNAPSHOT_BUDGET = 160 * 2**20
_EMPTY = (np.zeros(0, np.int32), np.zeros(0, np.float32))
# Whoosh's readers seek and read shared file objects: one thread at a time.
WHOOSH_LOCK = threading.RLock()


def nbytes(value) -> int:
    """Memory a cached value holds (numpy arrays and containers of them)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, bytes):
        return len(value) + 33
    if isinstance(value, (tuple, list)):
        if value and isinstance(value[0], bytes):  # a block's position values
            return sum(map(len, value)) + 40 * len(value)
        return sum(nbytes(v) for v in value) + 64
    if hasattr(value, "__dict__"):
        return sum(nbytes(v) for v in vars(value).values()) + 64
    return 64


class ByteCache:
    """A cache bounded by the bytes its values hold, which keeps what is dearest to
    build again per byte held: GreedyDual-Size-Frequency. An entry's priority is the
    cache's clock + its uses × its build time ÷ its bytes; the least is evicted, and the
    clock rises to it, so entries not used for a while age out.

    (Least-recently-used kept nothing useful when a loop of searches needed more than
    the budget: each search evicted what the next one would read.)"""

    def __init__(self, budget: int, clock=time.thread_time):
        self.budget, self.used = budget, 0
        self._items: dict = {}  # key -> [value, bytes, build seconds, uses, priority, sequence]
        self._heap: list = []  # (priority, sequence, key); stale unless the entry's sequence is still this one
        self._sequence = 0
        self._age = 0.0
        self._clock = clock
        self._pins: dict[int, set] = {}  # thread -> keys its running search has used
        self._lock = threading.Lock()

    @contextmanager
    def pinning(self):
        """What the calling thread uses inside is evicted last: a search reads the same
        words' postings when matching, scoring and building its page, and a new entry
        is often the cheapest per byte (a common word's postings)."""
        me = threading.get_ident()
        with self._lock:
            outer = me not in self._pins
            if outer:
                self._pins[me] = set()
        if not outer:  # already inside
            yield
            return
        try:
            yield
        finally:
            with self._lock:
                del self._pins[me]

    def get(self, key, build):
        with self._lock:
            pins = self._pins.get(threading.get_ident())
            if pins is not None:
                pins.add(key)
            entry = self._items.get(key)
            if entry is not None:
                entry[3] += 1
                self._prioritise(key, entry)
                return entry[0]
        started = self._clock()
        value = build()
        seconds = max(self._clock() - started, 1e-9)
        size = nbytes(value)
        with self._lock:
            if key not in self._items:
                entry = self._items[key] = [value, size, seconds, 1, 0.0, 0]
                self._prioritise(key, entry)
                self.used += size
            self._evict()
        return value

    def __contains__(self, key) -> bool:
        return key in self._items

    def _prioritise(self, key, entry: list) -> None:
        entry[4] = self._age + entry[3] * entry[2] / max(entry[1], 1)
        self._sequence += 1
        entry[5] = self._sequence
        heapq.heappush(self._heap, (entry[4], self._sequence, key))
        if len(self._heap) > 4 * len(self._items) + 64:  # mostly stale: only the current ones
            self._heap = [(e[4], e[5], k) for k, e in self._items.items()]
            heapq.heapify(self._heap)

    def _evict(self) -> None:
        if self.used <= self.budget:
            return
        pinned = set().union(*self._pins.values()) if self._pins else set()
        spared = []
        while self.used > self.budget and self._heap:
            ranked = heapq.heappop(self._heap)
            entry = self._items.get(ranked[2])
            if entry is None or entry[5] != ranked[1]:
                continue  # stale: evicted already, or used since
            if ranked[2] in pinned:
                spared.append(ranked)
                continue
            self._drop(ranked)
        for ranked in spared:  # in priority order: a search that needs more than the budget
            if self.used > self.budget:
                self._drop(ranked)
            else:
                heapq.heappush(self._heap, ranked)

    def _drop(self, ranked: tuple) -> None:
        priority, _, key = ranked
        self.used -= self._items.pop(key)[1]
        self._age = priority


def date_key(day) -> int:
    """The value a date column holds for midnight of `day` (a date or datetime)."""
    import datetime as dt
    if not isinstance(day, dt.datetime):
        day = dt.datetime(day.year, day.month, day.day)
    return datetime_to_long(day)


def read_postings(reader, fieldname: str, text: str, with_values: bool = False):
    """(document numbers, weights, values) of a term in one segment, deleted documents
    included; `values` (whoosh's encoded positions, for a segment without a posting
    store) only when asked for.

    Whoosh's matcher finds the term and checks its header; the posting list is then
    read in one piece and its blocks parsed here (whoosh-reloaded 2.7.5's layout: a
    4-byte tag, then per block a signed 4-byte length, negative for the last block,
    a pickled info tuple, and the (compressed) pickled data). Stepping through it with
    the matcher cost two dozen small file reads a block."""
    try:
        matcher = reader.postings(fieldname, text)
    except Exception:  # whoosh raises TermNotFound (a KeyError) for an absent term
        return _EMPTY + ([],)
    if isinstance(matcher, FilterMatcher):  # a segment with deletions: those are the live mask's job
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher):
        raise TypeError(f"unexpected posting format {type(matcher).__name__}: whoosh-reloaded is pinned to 2.7.5")
    postfile, start, size = matcher._postfile, matcher._startoffset, matcher._length
    size = size[0] if isinstance(size, tuple) else size  # whoosh's term info unpacks it as a 1-tuple
    with WHOOSH_LOCK:
        raw = postfile.get(start, size)
    stream = io.BytesIO(raw)
    id_parts, weight_parts, counts, values = [], [], [], []
    at = matcher._baseoffset - start
    while True:
        length = _BLOCK_LENGTH.unpack_from(raw, at)[0]
        end = at + _BLOCK_LENGTH.size + abs(length)
        stream.seek(at + _BLOCK_LENGTH.size)
        count, _, _, compression, _, _ = load(stream)
        data = raw[stream.tell():end]
        ids, weights, block_values = loads(zlib.decompress(data) if compression else data)
        counts.append(count)
        id_parts.append(np.asarray(ids, np.int64))
        if weights is None:
            weight_parts.append(np.ones(count, np.float32))
        elif isinstance(weights, float):
            weight_parts.append(np.full(count, weights, np.float32))
        else:
            weight_parts.append(np.asarray(weights, np.float32))
        if with_values:
            values.extend(block_values)
        if length < 0:
            break
        at = end
    ids = np.concatenate(id_parts)
    if not matcher._byteids:  # each block's ids are deltas from the block's start
        ids = np.cumsum(ids)
        ends = np.cumsum(counts)
        ids -= np.repeat(np.concatenate([[0], ids[ends[:-1] - 1]]), counts)
    return ids.astype(np.int32), np.concatenate(weight_parts), values


_BLOCK_LENGTH = struct.Struct("!i")


class SegmentArrays:
    """What the fast path reads from one segment, read once."""

    def __init__(self, reader, postings_cache: ByteCache, folder: str):
        self.reader = reader
        self.n = reader.doc_count_all()
        self.segid = reader._segment.segment_id()
        # the compact posting store our writer adds to each segment (none: whoosh's blocks)
        self.store = open_store(folder, reader._segment, reader._storage)
        self._postings = postings_cache
        self._lengths: dict[str, np.ndarray] = {}
        self._columns: dict[str, np.ndarray] = {}
        self._terms: dict[str, list[str]] = {}
        kinds = self.postings("kind", "notice")[0]
        self.is_notice = np.zeros(self.n, bool)
        self.is_notice[kinds] = True
        # Each document's notice: the last notice document at or before it.
        starts = np.where(self.is_notice, np.arange(self.n, dtype=np.int32), -1)
        self.parent = np.maximum.accumulate(starts) if self.n else starts

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        if self.store is not None:  # a few milliseconds for a million postings: not cached
            return self.store.postings(fieldname, text)

        def read():
            with WHOOSH_LOCK:
                return read_postings(self.reader, fieldname, text)[:2]
        return self._postings.get((self.segid, fieldname, text), read)

    def counts(self, fieldname: str, key: str) -> dict[str, int]:
        """A count-only field's {form: documents} for a key (see poststore.py)."""
        return self.store.counts(fieldname, key) if self.store is not None else {}

    def positions(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(document number, position) of every occurrence of a term, in order."""
        if self.store is not None:
            ids, tf, positions = self.store.positions(fieldname, text)
            return np.repeat(ids, tf.astype(np.int64)), positions
        with WHOOSH_LOCK:
            ids, _, values = read_postings(self.reader, fieldname, text, with_values=True)
        decode = self.reader.schema[fieldname].format.decode_positions
        lists = [list(decode(v)) for v in values]
        docs = np.repeat(ids, [len(p) for p in lists]) if lists else np.zeros(0, np.int32)
        return docs, np.array([p for each in lists for p in each], np.uint32)

    def lengths(self, fieldname: str) -> np.ndarray:
        if fieldname not in self._lengths:
            with WHOOSH_LOCK:
                column = self.reader._perdoc._cached_reader(f"_{fieldname}_len", _lengths_column())
                raw = column_values(column, self.n, np.uint8) if column else np.zeros(self.n, np.uint8)
            self._lengths[fieldname] = raw  # whoosh's byte per document (a quarter of the floats)
        return LENGTHS[self._lengths[fieldname]]

    def terms(self, fieldname: str) -> list[str]:
        if fieldname not in self._terms:
            with WHOOSH_LOCK:
                self._terms[fieldname] = [t.decode("utf-8") if isinstance(t, bytes) else t
                                          for t in self.reader.lexicon(fieldname)]
        return self._terms[fieldname]

    def column(self, fieldname: str) -> np.ndarray:
        """A sortable numeric or date column as int64: dates as whoosh's microseconds
        (`date_key`), numbers as themselves; no value: MISSING_DATE."""
        if fieldname not in self._columns:
            with WHOOSH_LOCK:
                if self.reader.has_column(fieldname):
                    column = self.reader.column_reader(fieldname, translate=False)
                    raw = column_values(column, self.n, np.uint64)
                else:
                    raw = np.full(self.n, np.iinfo(np.uint64).max, np.uint64)
                field = self.reader.schema[fieldname]
            self._columns[fieldname] = _decode_column(raw, field)
        return self._columns[fieldname]

    def deleted(self) -> np.ndarray:
        segment = self.reader._segment
        return np.fromiter(segment.deleted_docs(), np.int64) if segment.has_deletions() else np.zeros(0, np.int64)


def column_values(column, n: int, dtype) -> np.ndarray:
    """Every document's value of a whoosh column. A fixed-width numeric column (field
    lengths, dates, numbers) keeps its values as contiguous big-endian numbers from
    `_basepos`, one per document up to `_count` (later documents have the default):
    read at once. Whoosh's own reader takes a seek and a read per document (13 s for
    the lengths of one field at 100,000 notices)."""
    if isinstance(column, NumericColumn.Reader):
        count = min(column._count, n)
        raw = column._dbfile.get(column._basepos, count * column._fixedlen) if count else b""
        out = np.full(n, column._default, dtype)
        out[:count] = np.frombuffer(raw, ">" + column._typecode, count)
        return out
    return np.fromiter((column[i] for i in range(n)), dtype, n)


def _lengths_column():
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN
    return LENGTHS_COLUMN


def _decode_column(raw: np.ndarray, field) -> np.ndarray:
    """Whoosh's raw column values: DATETIME as microseconds (2**64-1 for none), signed
    NUMERIC shifted by 2**(bits-1) (its largest value for none)."""
    from whoosh.fields import DATETIME
    if isinstance(field, DATETIME):
        missing = raw >= np.uint64(2**63)
        values = raw.astype(np.int64)
    else:
        shift = 2 ** (field.bits - 1) if getattr(field, "signed", False) else 0
        missing = raw >= np.uint64(2 ** field.bits - 1)
        values = raw.astype(np.int64) - shift
    values[missing] = MISSING_DATE
    return values


@dataclass
class Keyword:
    """A keyword field over the whole snapshot: its values and, as parallel arrays, every
    (document, value code) pair, in document order."""
    values: list[str]
    docs: np.ndarray
    codes: np.ndarray

    def codes_of(self, docnums: np.ndarray) -> np.ndarray:
        """The value codes of these documents (sorted document numbers): a binary search
        for each, where a mask over every pair costs the field's size whatever the
        documents' number."""
        starts = np.searchsorted(self.docs, docnums, "left")
        sizes = np.searchsorted(self.docs, docnums, "right") - starts
        firsts = np.cumsum(sizes) - sizes  # where each document's run goes in the result
        return self.codes[np.arange(int(sizes.sum())) + np.repeat(starts - firsts, sizes)]


class Snapshot:
    """The segments of one searcher as global arrays (built once per index generation;
    the segments' own arrays are shared between generations)."""

    def __init__(self, searcher, segments: dict, postings_cache: ByteCache, folder: str, aggregated=(), inherited=(),
                 inherited_columns=()):
        with WHOOSH_LOCK:
            leaves = searcher.reader().leaf_readers()
        self.searcher = searcher
        self.parts: list[tuple[SegmentArrays, int]] = []
        for reader, offset in leaves:
            if not hasattr(reader, "_segment"):  # an empty index's EmptyReader
                continue
            segid = reader._segment.segment_id()
            arrays = segments.get(segid)
            if arrays is None or arrays.n != reader.doc_count_all():
                arrays = segments[segid] = SegmentArrays(reader, postings_cache, folder)
            else:
                arrays.reader = reader  # the newer reader (same files)
            self.parts.append((arrays, offset))
        self.n = sum(a.n for a, _ in self.parts)
        self.live = np.ones(self.n, bool)
        for arrays, offset in self.parts:
            self.live[arrays.deleted() + offset] = False
        self.deletions = not self.live.all()
        kinds = self._concat(lambda a: a.is_notice, bool)
        self.is_notice = kinds & self.live
        self.is_item = ~kinds & self.live
        self._group_starts = np.flatnonzero(kinds)  # every notice document, deleted or not
        # text fields whose notice documents hold only the notice's own text: their
        # items' postings are added to them here
        self.aggregated = frozenset(aggregated)
        self.parent = (np.concatenate([np.where(a.parent >= 0, a.parent + o, -1).astype(np.int32) for a, o in self.parts])
                       if self.parts else np.zeros(0, np.int32))
        # fields and columns a notice's items are given from the notice's document
        self.inherited = frozenset(inherited)
        self.inherited_columns = frozenset(inherited_columns)
        self._children = np.flatnonzero(~kinds & (self.parent >= 0)).astype(np.int32)  # every item with its notice
        counts = np.bincount(self.parent[self._children], minlength=self.n)
        self._item_counts = counts.astype(np.uint16 if not len(counts) or counts.max() < 2**16 else np.int32)
        self.notices = int(self.is_notice.sum())
        self.items = int(self.is_item.sum())
        # every segment's posting store read as one (None: a segment written by whoosh's
        # own writer, read segment by segment through its blocks)
        self._stores = (StoreSet([(a.store, offset) for a, offset in self.parts])
                        if self.parts and all(a.store is not None for a, _ in self.parts) else None)
        self._cache = ByteCache(SNAPSHOT_BUDGET)
        self._tables: dict = {}  # per-field tables, never evicted
        self._lock = threading.Lock()

    def _concat(self, get, dtype) -> np.ndarray:
        if not self.parts:
            return np.zeros(0, dtype)
        return np.concatenate([get(a).astype(dtype) for a, _ in self.parts])

    def cached(self, key, build):
        return self._cache.get(key, build)

    def pinning(self):
        """A search's scope: what it reads from the cache is evicted last while it runs."""
        return self._cache.pinning()

    def table(self, key, build):
        """A per-field table (lengths, columns, keyword codes): a few, kept."""
        with self._lock:
            if key in self._tables:
                return self._tables[key]
        value = build()
        with self._lock:
            self._tables[key] = value
        return value

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Live postings of a term, by global document number: each document once, in
        order (an aggregated field: the notices in order, then the items in order).
        Kept with the generation: a page's matched items ask for the same words again.
        Frequencies come as float32, or as the smallest unsigned integers holding them
        (a third more postings in the same cache; numpy reads them as float32 again)."""
        def build():
            ids, tf = self._live_postings(fieldname, text)
            return ids, _narrowest(tf)
        return self.cached(("postings", fieldname, text), build)

    def _live_postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        i, w = self._every_posting(fieldname, text)
        keep = self._live_among(i)
        if keep is not None:
            i, w = i[keep], w[keep]
        if fieldname in self.aggregated:
            return self._with_items(i, w)
        return self._to_items(i, w) if fieldname in self.inherited else (i, w)

    def _live_among(self, docnums: np.ndarray) -> np.ndarray | None:
        """Which of these documents are live, or None when all are (most words'
        postings hold no deleted document)."""
        if not self.deletions:
            return None
        keep = self.live[docnums]
        return None if keep.all() else keep

    def _every_posting(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """A term's postings in every segment, deleted documents included."""
        if self._stores is not None:
            return self._stores.postings(fieldname, text)
        ids, weights = [], []
        for arrays, offset in self.parts:
            i, w = arrays.postings(fieldname, text)
            ids.append(i + offset if offset else i)
            weights.append(w)
        if not ids:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        return (np.concatenate(ids), np.concatenate(weights)) if len(ids) > 1 else (ids[0], weights[0])

    def _with_items(self, ids: np.ndarray, tf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A term's postings with each notice's frequency made its own plus its items'
        (so a notice holds every word of its items, as if its whole text were indexed
        in its document, and its BM25 is the same). The notices come first, then the
        items, each part in order (the whole is not sorted: sorting a million postings
        cost more than everything else a word needs)."""
        items = self.is_item[ids]
        if not items.any():
            return ids, tf
        item_ids, item_tf = ids[items], tf[items]
        parents, parent_tf = self.parent[item_ids], item_tf
        if parents[0] < 0:  # items before any notice (a segment not written by add_notices)
            known = parents >= 0
            parents, parent_tf = parents[known], item_tf[known]
        if len(parents) > 1 and (parents[1:] < parents[:-1]).any():  # items follow their notice: not expected
            order = np.argsort(parents, kind="stable")
            parents, parent_tf = parents[order], parent_tf[order]
        notice_ids, notice_tf = _sum_runs(parents, parent_tf)
        if not items.all():  # notices whose own text holds the word too
            both = np.concatenate([ids[~items], notice_ids])
            order = np.argsort(both, kind="stable")  # two sorted runs of at most a notice each
            notice_ids, notice_tf = _sum_runs(both[order], np.concatenate([tf[~items], notice_tf])[order])
        return (np.concatenate([notice_ids, item_ids], dtype=np.int32),
                np.concatenate([notice_tf, item_tf], dtype=np.float32))

    def _to_items(self, ids: np.ndarray, tf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A term's postings with each notice's passed on to its items (the items follow
        their notice): an item's frequency is its notice's plus its own. The notices
        come first, then the items, each part in order."""
        notices = self.is_notice[ids]
        notice_ids, notice_tf = ids[notices], tf[notices]
        counts = self._item_counts[notice_ids].astype(np.int64)
        total = int(counts.sum())
        if not total:
            return ids, tf
        first = np.repeat(notice_ids.astype(np.int64) + 1 - (np.cumsum(counts) - counts), counts)
        item_ids = (first + np.arange(total)).astype(np.int32)
        item_tf = np.repeat(notice_tf, counts)
        own = ~notices
        if own.any():  # items holding the word themselves too
            summed = np.zeros(self.n, np.float32)
            summed[item_ids] = item_tf
            summed[ids[own]] += tf[own]
            item_ids = np.flatnonzero(summed).astype(np.int32)
            item_tf = summed[item_ids]
        return (np.concatenate([notice_ids, item_ids], dtype=np.int32),
                np.concatenate([notice_tf, item_tf], dtype=np.float32))

    def counts(self, fieldname: str, key: str) -> dict[str, int]:
        """A count-only field's {form: documents} for a key, over every segment."""
        if self._stores is not None:
            return self._stores.counts(fieldname, key)
        total: dict[str, int] = {}
        for arrays, _ in self.parts:
            for form, n in arrays.counts(fieldname, key).items():
                total[form] = total.get(form, 0) + n
        return total

    def lengths(self, fieldname: str) -> np.ndarray:
        """Every document's length in a text field (not kept: BM25 keeps its norms)."""
        lengths = self._concat(lambda a: a.lengths(fieldname), np.float32)
        if fieldname in self.aggregated:  # a notice's own text and its items'
            items = np.flatnonzero(self.is_item & (self.parent >= 0))
            lengths += np.bincount(self.parent[items], lengths[items], self.n).astype(np.float32)
        elif fieldname in self.inherited:  # an item's own and its notice's
            lengths[self._children] += lengths[self.parent[self._children]]
        return lengths

    def column(self, fieldname: str) -> np.ndarray:
        def build():
            values = self._concat(lambda a: a.column(fieldname), np.int64)
            if fieldname in self.inherited_columns:
                values[self._children] = values[self.parent[self._children]]
            return values
        return self.table(("column", fieldname), build)

    def keyword(self, fieldname: str, kind: str) -> Keyword:
        """Every value of a keyword field and its live documents of one kind ("notice" or
        "item": a facet counts one kind; the item tables are built only for the item view)."""
        def build():
            values = self.table(("keyword values", fieldname),
                                lambda: sorted({t for arrays, _ in self.parts for t in arrays.terms(fieldname)}))
            of_kind = self.is_notice if kind == "notice" else self.is_item
            code_type = np.uint16 if len(values) < 2**16 else np.int32
            docs, codes = [], []
            for code, value in enumerate(values):
                ids, _ = self._live_postings(fieldname, value)  # read once for the table: not cached
                ids = ids[of_kind[ids]]
                docs.append(ids)
                codes.append(np.full(len(ids), code, code_type))
            if not docs:
                return Keyword([], np.zeros(0, np.int32), np.zeros(0, code_type))
            docs, codes = np.concatenate(docs), np.concatenate(codes)
            order = np.argsort(docs, kind="stable")
            return Keyword(values, docs[order], codes[order])
        return self.table(("keyword", fieldname, kind), build)

    def mask(self, ids: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n, bool)
        out[ids] = True
        return out

    def holding(self, fieldname: str, text: str, docnums: np.ndarray) -> np.ndarray:
        """Which of these documents hold the term: by binary search in its postings (a
        mask over every document is a megabyte at 100,000 notices: not worth keeping)."""
        ids = self.postings(fieldname, text)[0]
        if len(docnums) * 16 > len(ids):  # most of the postings: one pass
            return self.mask(ids)[docnums]
        # the postings are the notices' in order, then the items' in order
        split = bisect.bisect_left(range(len(ids)), True, key=lambda at: not self.is_notice[ids[at]])
        return _members(ids[:split], docnums) | _members(ids[split:], docnums)

    def idf(self, df: int, total: int) -> float:
        """BM25's idf (whoosh's form), never negative."""
        return math.log(1 + max(0.0, total - df + 0.5) / (df + 0.5))

    def stored(self, docnum: int) -> dict:
        with WHOOSH_LOCK:
            return self.searcher.stored_fields(int(docnum))

    def document_key(self, docnum: int) -> tuple[str, str, str, int | None]:
        """(document id, notice id, kind, item position) of a document: an item's notice
        is the notice document before it, its position the count of items between."""
        docnum = int(docnum)
        notice = docnum if self.is_notice[docnum] else int(self.parent[docnum])
        nid = self.stored(notice).get("id", "") if notice >= 0 else ""
        if notice == docnum:
            return nid, nid, "notice", None
        position = docnum - notice - 1
        return f"{nid}#{position}", nid, "item", position

    def position_keys(self, fieldname: str, text: str) -> np.ndarray:
        """Every live occurrence of a term as one sorted int64: global document number
        × 2**32 + position (so the word after an occurrence is at key + 1)."""
        def build():
            if self._stores is not None:
                docs, positions = self._stores.positions(fieldname, text)
                keys = (docs.astype(np.int64) << 32) | positions.astype(np.int64)
            else:
                parts = []
                for arrays, offset in self.parts:
                    docs, positions = arrays.positions(fieldname, text)
                    if len(docs):
                        parts.append(((docs.astype(np.int64) + offset) << 32) | positions.astype(np.int64))
                keys = np.concatenate(parts) if parts else np.zeros(0, np.int64)
            keep = self._live_among(keys >> 32)
            return keys if keep is None else keys[keep]
        return self.cached(("positions", fieldname, text), build)

    def text_units(self, docnums: np.ndarray) -> np.ndarray:
        """The (sorted, live) documents whose texts make up these documents' texts in an
        aggregated field: each document itself and, for a notice, its items (the
        documents after it up to the next notice)."""
        docnums = np.asarray(docnums, np.int64)
        notices = docnums[self.is_notice[docnums]]
        if not len(notices):
            return np.unique(docnums)
        following = np.searchsorted(self._group_starts, notices, side="right")
        ends = np.append(self._group_starts, self.n)[following]
        sizes = ends - notices - 1
        starts = np.repeat(notices + 1 - np.cumsum(sizes) + sizes, sizes)
        items = starts + np.arange(int(sizes.sum()))
        units = np.unique(np.concatenate([docnums, items]))
        return units[self.live[units]]

    def adjacency(self, fieldname: str, docnums: np.ndarray, phrases: list[list[str]]) -> list[np.ndarray]:
        """For each phrase (a list of words), which of the documents hold its words next
        to each other, in that order: in their own text or, for a notice, in its own
        text or any of its items'. Vectorised over every occurrence of the words
        (`position_keys`), kept to the documents asked about."""
        docnums = np.asarray(docnums, np.int64)
        units = self.text_units(docnums) if fieldname in self.aggregated else np.unique(docnums)
        keys: dict[str, np.ndarray] = {}
        for word in dict.fromkeys(w for phrase in phrases for w in phrase):
            keys[word] = _occurrences_in(self.position_keys(fieldname, word), units)
        out = []
        for phrase in phrases:
            if len(phrase) < 2:
                out.append(np.zeros(len(docnums), bool))
                continue
            starts = keys[phrase[0]]
            for step, word in enumerate(phrase[1:], 1):
                starts = starts[_members(keys[word], starts + step)]
            found_units = np.unique(starts >> 32)
            found = _members(found_units, docnums)
            if fieldname in self.aggregated:  # a notice whose item holds the phrase holds it
                found |= self.is_notice[docnums] & _members(np.unique(self.parent[found_units]), docnums)
            out.append(found)
        return out

    def phrase_matches(self, fieldname: str, words: list[str], docnums: np.ndarray) -> np.ndarray:
        """Which of the (sorted, global) documents hold the words next to each other, in
        that order (see `adjacency`)."""
        found = np.zeros(len(docnums), bool)
        if len(words) < 2 or not len(docnums):
            return found
        # only documents holding every word need their positions read
        holding = np.ones(len(docnums), bool)
        for word in dict.fromkeys(words):
            holding &= self.holding(fieldname, word, docnums)
        if holding.any():
            found[holding] = self.adjacency(fieldname, docnums[holding], [words])[0]
        return found


def _narrowest(values: np.ndarray) -> np.ndarray:
    """Float frequencies as uint8 or uint16 when those hold them exactly."""
    if not len(values):
        return values
    top = values.max()
    for dtype in (np.uint8, np.uint16):
        if top <= np.iinfo(dtype).max:
            narrow = values.astype(dtype)
            return narrow if np.array_equal(narrow, values) else values
    return values


def _sum_runs(ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ids of a sorted array and the sum of each one's values."""
    if not len(ids):
        return ids, values
    starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]]))
    return ids[starts], np.add.reduceat(values, starts)


def _occurrences_in(keys: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """The occurrence keys (sorted: document × 2**32 + position) of the (sorted)
    documents: each document's run found by binary search, so the cost follows the
    documents asked about, not the word's million occurrences."""
    if len(docs) * 8 > len(keys):  # most of the keys: one pass over them is cheaper
        return keys[_members(docs, keys >> 32)]
    starts = np.searchsorted(keys, docs << 32)
    ends = np.searchsorted(keys, (docs + 1) << 32)
    sizes = ends - starts
    total = int(sizes.sum())
    if not total:
        return keys[:0]
    at = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(total)
    return keys[at]


def _members(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which of `values` are in `sorted_values` (binary search: no sort of `values`)."""
    if not len(sorted_values):
        return np.zeros(len(values), bool)
    at = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[at] == values
