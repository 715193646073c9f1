"""A segment's postings in a compact form, for the fast search path.

Whoosh-reloaded keeps a posting block as a pickled tuple of Python ints (and floats,
and position strings): loading costs about a microsecond a posting, so a broad word's
million postings at 100,000 notices took a second to read. Our segment writer
(`segments.write_terms`) therefore also writes, into the same segment, a `.kps` file
holding every term's document numbers and frequencies as plain little-endian arrays,
read with one `os.pread` and decoded by numpy (a few milliseconds for a million).
It is derived data like the rest of the segment: written with it, merged with it
(a merge writes its segment through the same writer), deleted with it, rebuilt by
`ketluan reindex`.

Layout (all little-endian):

    postings   per term: the gaps between its document numbers (count - 1 of them,
               1, 2 or 4 bytes each, the width the largest gap needs), then its
               frequencies (none when all are 1, else 1 or 2 bytes each), then, in a
               field with positions, each posting's positions in order (as many as
               its frequency; 2 or 4 bytes each)
    tables     per field: the terms' 64-bit hashes, sorted, and beside them each
               term's entry (where its postings are, how many, the first document,
               the two widths); for a count-only field (`spelling`), each key's
               entry points at a marshalled (key, {form: documents}) instead
    directory  marshalled {field: (kind, terms, hashes at, entries at)}
    trailer    directory offset (8 bytes), directory length (4), magic (8)

Terms are found by hash: a lookup is a binary search in the field's sorted hashes,
no term list is kept in memory. Two terms of one field with the same 64-bit hash
would share an entry; the writer checks for it and fails rather than mix them.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import struct
import threading

import numpy as np

MAGIC = b"KLPOST02"
EXTENSION = ".kps"
_TRAILER = struct.Struct("<QI8s")
ENTRY = np.dtype([("at", "<u8"), ("count", "<u4"), ("first", "<u4"), ("id_width", "u1"), ("tf_width", "u1"),
                  ("pos_width", "u1")])
COUNTS_ENTRY = np.dtype([("at", "<u8"), ("length", "<u4")])
_ID_TYPES = {1: np.dtype("u1"), 2: np.dtype("<u2"), 4: np.dtype("<u4")}
_TF_TYPES = {1: np.dtype("u1"), 2: np.dtype("<u2")}
_POS_TYPES = {2: np.dtype("<u2"), 4: np.dtype("<u4")}
POSTINGS, COUNTS = "postings", "counts"


def term_hash(text: str | bytes) -> int:
    """The 64-bit key a term is found by."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _width(largest: int) -> int:
    return 1 if largest < 2**8 else 2 if largest < 2**16 else 4


class PostingStoreWriter:
    """Writes a `.kps` file: fields in any order, each field's terms in any order."""

    def __init__(self, dbfile):
        self._file = dbfile
        self._at = 0
        self._fields: dict[str, tuple[str, list, list]] = {}

    def _write(self, data: bytes) -> int:
        at = self._at
        self._file.write(data)
        self._at += len(data)
        return at

    def _field(self, fieldname: str, kind: str):
        entry = self._fields.setdefault(fieldname, (kind, [], []))
        if entry[0] != kind:
            raise ValueError(f"field {fieldname} written both as {entry[0]} and {kind}")
        return entry

    def add(self, fieldname: str, text: bytes, ids, frequencies, positions=None) -> None:
        """A term's postings: ascending document numbers and their frequencies, and
        (a field with positions) each posting's ascending positions, concatenated:
        then the frequencies are the numbers of positions."""
        _, hashes, entries = self._field(fieldname, POSTINGS)
        ids = np.asarray(ids, np.int64)
        tf = np.rint(np.asarray(frequencies, np.float64)).clip(1, 2**16 - 1).astype(np.int64)
        if positions is not None and len(positions) != tf.sum():
            raise ValueError(f"postings of {fieldname}:{text!r}: {len(positions)} positions, {tf.sum()} occurrences")
        gaps = np.diff(ids)
        if len(gaps) and gaps.min() <= 0:
            raise ValueError(f"postings of {fieldname}:{text!r} are not in ascending order")
        id_width = _width(int(gaps.max())) if len(gaps) else 1
        tf_width = 0 if not len(tf) or tf.max() == 1 else _width(int(tf.max()))
        at = self._write(gaps.astype(_ID_TYPES[id_width]).tobytes())
        if tf_width:
            self._write(tf.astype(_TF_TYPES[tf_width]).tobytes())
        pos_width = 0
        if positions is not None:
            positions = np.asarray(positions, np.int64)
            pos_width = 2 if not len(positions) or positions.max() < 2**16 else 4
            self._write(positions.astype(_POS_TYPES[pos_width]).tobytes())
        hashes.append(term_hash(text))
        entries.append((at, len(ids), int(ids[0]) if len(ids) else 0, id_width, tf_width, pos_width))

    def add_counts(self, fieldname: str, key: str, counts: dict[str, int]) -> None:
        """A count-only entry: for one key, how many documents hold each form."""
        _, hashes, entries = self._field(fieldname, COUNTS)
        data = marshal.dumps((key, counts))
        hashes.append(term_hash(key))
        entries.append((self._write(data), len(data)))

    def close(self) -> None:
        directory = {}
        for fieldname, (kind, hashes, entries) in self._fields.items():
            order = np.argsort(np.array(hashes, np.uint64), kind="stable")
            keys = np.array(hashes, np.uint64)[order]
            if len(keys) > 1 and (keys[1:] == keys[:-1]).any():
                raise ValueError(f"two terms of {fieldname} share a 64-bit hash")
            table = np.array(entries, ENTRY if kind == POSTINGS else COUNTS_ENTRY)[order]
            hashes_at = self._write(keys.astype("<u8").tobytes())
            entries_at = self._write(table.tobytes())
            directory[fieldname] = (kind, len(keys), hashes_at, entries_at)
        data = marshal.dumps(directory)
        at = self._write(data)
        self._file.write(_TRAILER.pack(at, len(data), MAGIC))
        self._file.close()


class StoreFormatError(ValueError):
    pass


class PostingStore:
    """A segment's `.kps` file, read with `os.pread` (threads need no lock). A field's
    table is read when first asked for and kept (`StoreSet` reads them for itself)."""

    def __init__(self, path: str, offset: int = 0, length: int | None = None):
        self._fd = os.open(path, os.O_RDONLY)
        try:
            self._base = offset
            if length is None:
                length = os.fstat(self._fd).st_size - offset
            at, size, magic = _TRAILER.unpack(self._pread(length - _TRAILER.size, _TRAILER.size))
            if magic != MAGIC:
                raise StoreFormatError(f"{path} holds no posting store of this version")
            self._fields = marshal.loads(self._pread(at, size))  # field → (kind, terms, hashes at, entries at)
        except BaseException:
            os.close(self._fd)
            raise
        self._tables: dict = {}

    def kind(self, fieldname: str) -> str | None:
        found = self._fields.get(fieldname)
        return found[0] if found else None

    def table(self, fieldname: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(sorted hashes, entries) of a field, read from the file (not kept)."""
        found = self._fields.get(fieldname)
        if found is None:
            return None
        kind, count, hashes_at, entries_at = found
        dtype = ENTRY if kind == POSTINGS else COUNTS_ENTRY
        return (np.frombuffer(self._pread(hashes_at, 8 * count), "<u8"),
                np.frombuffer(self._pread(entries_at, dtype.itemsize * count), dtype))

    def _pread(self, at: int, size: int) -> bytes:
        data = os.pread(self._fd, size, self._base + at)
        if len(data) != size:
            raise ValueError("the posting store is shorter than its directory says")
        return data

    def _entry(self, fieldname: str, text: str | bytes):
        table = self._tables.get(fieldname)
        if table is None:
            table = self._tables[fieldname] = self.table(fieldname) or (np.zeros(0, "<u8"), None)
        hashes, entries = table
        key = np.uint64(term_hash(text))
        i = int(np.searchsorted(hashes, key))
        return entries[i] if i < len(hashes) and hashes[i] == key else None

    def postings(self, fieldname: str, text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers as int32, frequencies as float32) of a term."""
        return self._read(fieldname, text, False)[:2]

    def positions(self, fieldname: str, text: str | bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(document numbers, frequencies, positions: each posting's in turn, as many
        as its frequency) of a term in a field with positions."""
        return self._read(fieldname, text, True)

    def _read(self, fieldname: str, text: str | bytes, with_positions: bool):
        entry = self._entry(fieldname, text)
        if entry is None:
            return np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.uint32)
        count = int(entry["count"])
        gaps, tf, positions = _read_term(self._pread, fieldname, int(entry["at"]), count, int(entry["id_width"]),
                                         int(entry["tf_width"]), int(entry["pos_width"]), with_positions)
        ids = np.empty(count, np.int32)
        ids[0] = entry["first"]
        ids[1:] = gaps
        np.cumsum(ids, out=ids)
        tf = tf.astype(np.float32) if tf is not None else np.ones(count, np.float32)
        return ids, tf, positions.astype(np.uint32) if positions is not None else np.zeros(0, np.uint32)

    def counts(self, fieldname: str, key: str) -> dict[str, int]:
        """A count-only field's {form: documents} for one key."""
        entry = self._entry(fieldname, key)
        if entry is None:
            return {}
        return marshal.loads(self._pread(int(entry["at"]), int(entry["length"])))[1]

    def all_counts(self, fieldname: str):
        """Every (key, {form: documents}) of a count-only field (a merge carries them)."""
        if self.kind(fieldname) != COUNTS:
            return
        for entry in self.table(fieldname)[1]:
            yield marshal.loads(self._pread(int(entry["at"]), int(entry["length"])))

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self):
        try:
            self.close()
        except OSError:
            pass


def _read_term(pread, fieldname: str, at: int, count: int, id_width: int, tf_width: int, pos_width: int,
               with_positions: bool):
    """One segment's postings of a term as they are stored: (the gaps after its first
    document, its frequencies or None when all are 1, its positions or None when not
    asked for)."""
    if with_positions and not pos_width:
        raise ValueError(f"{fieldname} keeps no positions")
    gap_bytes = (count - 1) * id_width
    size = gap_bytes + count * tf_width
    data = pread(at, size)
    gaps = np.frombuffer(data, _ID_TYPES[id_width], count - 1)
    tf = np.frombuffer(data, _TF_TYPES[tf_width], count, gap_bytes) if tf_width else None
    positions = None
    if with_positions:
        occurrences = int(tf.sum()) if tf is not None else count
        positions = np.frombuffer(pread(at + size, occurrences * pos_width), _POS_TYPES[pos_width], occurrences)
    return gaps, tf, positions


class StoreSet:
    """The posting stores of a snapshot's segments read as one. Each field's tables are
    put together once (every segment's hashes, sorted, with the segment each entry is
    in), so a term is found in every segment by one binary search, and its postings
    come back with global document numbers, in order. Reading a term segment by
    segment cost about 30 µs a segment in Python; an archive indexed in batches has a
    hundred segments."""

    def __init__(self, stores: list[tuple[PostingStore, int]]):  # (store, its first document's number)
        self._stores = [s for s, _ in stores]
        self._offsets = [o for _, o in stores]
        self._tables: dict = {}
        self._lock = threading.Lock()

    def _table(self, fieldname: str):
        table = self._tables.get(fieldname)
        if table is not None:
            return table
        hashes, entries, parts = [], [], []
        for part, store in enumerate(self._stores):
            found = store.table(fieldname)
            if found is not None:
                hashes.append(found[0])
                entries.append(found[1])
                parts.append(np.full(len(found[0]), part, np.uint16))
        if hashes and len({e.dtype for e in entries}) == 1:
            every = np.concatenate(hashes)
            order = np.argsort(every, kind="stable")  # a term's segments stay in order
            table = (every[order], np.concatenate(entries)[order], np.concatenate(parts)[order])
        else:
            table = (np.zeros(0, "<u8"), np.zeros(0, ENTRY), np.zeros(0, np.uint16))
        with self._lock:
            return self._tables.setdefault(fieldname, table)

    def _rows(self, fieldname: str, text: str | bytes):
        hashes, entries, parts = self._table(fieldname)
        key = np.uint64(term_hash(text))
        start, end = int(np.searchsorted(hashes, key)), int(np.searchsorted(hashes, key, "right"))
        return entries[start:end], parts[start:end].tolist()

    def postings(self, fieldname: str, text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
        """(global document numbers as int32, frequencies as float32) of a term."""
        ids, tf, _ = self._read(fieldname, text, False)
        return ids, tf

    def positions(self, fieldname: str, text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
        """(global document number, position) of every occurrence of a term, in order."""
        ids, tf, positions = self._read(fieldname, text, True)
        return np.repeat(ids, tf.astype(np.int64)), positions

    def _read(self, fieldname: str, text: str | bytes, with_positions: bool):
        entries, parts = self._rows(fieldname, text)
        if not len(entries):
            return np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.uint32)
        counts = entries["count"].astype(np.int64)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        total = int(counts.sum())
        gaps = np.zeros(total, np.int32)  # each segment's gaps after its first document
        tf = np.ones(total, np.float32)
        position_parts = []
        for at, count, id_width, tf_width, pos_width, start, part in zip(
                entries["at"].tolist(), counts.tolist(), entries["id_width"].tolist(), entries["tf_width"].tolist(),
                entries["pos_width"].tolist(), starts.tolist(), parts):
            run_gaps, run_tf, run_positions = _read_term(self._stores[part]._pread, fieldname, at, count, id_width,
                                                         tf_width, pos_width, with_positions)
            gaps[start + 1:start + count] = run_gaps
            if run_tf is not None:
                tf[start:start + count] = run_tf
            if run_positions is not None:
                position_parts.append(run_positions)
        run = np.cumsum(gaps, out=gaps)  # int32: a snapshot's documents number fewer than 2**31
        firsts = entries["first"].astype(np.int64) + np.array(self._offsets, np.int64)[parts]
        ids = run + np.repeat((firsts - run[starts]).astype(np.int32), counts)
        positions = (np.concatenate(position_parts).astype(np.uint32) if with_positions
                     else np.zeros(0, np.uint32))
        return ids, tf, positions

    def counts(self, fieldname: str, key: str) -> dict[str, int]:
        """A count-only field's {form: documents} for a key, over every segment."""
        entries, parts = self._rows(fieldname, key)
        total: dict[str, int] = {}
        if not len(entries):
            return total
        for at, length, part in zip(entries["at"].tolist(), entries["length"].tolist(), parts):
            for form, n in marshal.loads(self._stores[part]._pread(at, length))[1].items():
                total[form] = total.get(form, 0) + n
        return total


def locate(storage_path: str, segment, segment_storage) -> tuple[str, int, int | None] | None:
    """(file, offset, length) of the segment's posting store: a part of its compound
    file, or a file beside it; None for a segment written without one."""
    name = segment.make_filename(EXTENSION)
    # a segment reader's storage overlays the compound file (`a`) on the index folder
    compound_storage = getattr(segment_storage, "a", segment_storage)
    directory = getattr(compound_storage, "_dir", None)
    if directory is not None:  # a compound segment: the store is one of its parts
        if name not in directory:
            return None
        return (os.path.join(storage_path, segment.make_filename(segment.COMPOUND_EXT)),
                directory[name]["offset"], directory[name]["length"])
    path = os.path.join(storage_path, name)
    return (path, 0, None) if os.path.exists(path) else None


def open_store(storage_path: str, segment, segment_storage) -> PostingStore | None:
    """The segment's posting store; None for a segment written without one."""
    where = locate(storage_path, segment, segment_storage)
    if where is None:
        return None
    try:
        return PostingStore(*where)
    except StoreFormatError:  # an older layout: read through whoosh until a reindex
        return None
