"""Writing whoosh segments faster, with the same files as whoosh's own writer.

whoosh's SegmentWriter sends every posting through a tokenizer chain of generators,
pickles it to a temporary run file, and at commit reads the runs back, merges them
and writes the postings one call at a time, asking for the document's field length
each time. Here a document costs a few calls per field, and postings are numpy arrays:

- a field with a fast analyser (`TextTerms`, `KeywordTerms`, `IdTerms`) is split into
  tokens by one regular expression; each distinct token is given its term's number
  once per segment, and a document's field goes into the pool as its tokens' numbers,
  in order (`TermPool.add_tokens`);
- the pool turns tokens into postings by sorting them by term and document: a
  posting's frequency is the length of its run, its positions where its tokens stood
  (when it holds many tokens, and at commit);
- at commit the postings are sorted into whoosh's order (field, then term) and each
  term is written a block (128 postings) at a time through the codec's own block
  writer, with every block's statistics computed at once, and to the segment's posting
  store (`poststore.py`) from the same arrays.

The postings, term statistics, field lengths, stored fields and columns are the same
as whoosh's (a test compares two indexes built both ways)."""
from __future__ import annotations

import io
import os
import pickle
import queue
import re
import sys
import zlib
from array import array
from dataclasses import dataclass
from pickle import dumps, loads

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3TermInfo, _lenfield
from whoosh.formats import Existence, Frequency, Positions
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from ..process import init_child
from .columnar import column_values
from .poststore import EXTENSION, PostingStoreWriter, open_store

# A block's pickle shorter than this is written as it is: zlib gains little or nothing
# on it (its header and checksum cost 6 bytes; a 2k-notice index grew by 0.07%), and
# compressing cost more than the rest of the block. (whoosh meant to do the same under
# 20 bytes, but its test is overwritten on the next line.) Readers follow each block's
# own compression byte.
_COMPRESS_FROM = 64
# A block with values (frequencies, positions) is pickled with protocol 4: whoosh's
# protocol 2 writes each bytes object as a call to `_codecs.encode` of a latin-1
# string (a 13-byte one-position value took 33 bytes of the block, with protocol 4 16),
# so blocks were 20% larger before compression and slower to pickle, compress and
# read. whoosh's reader loads any protocol. A block without values stays at 2
# (protocol 4's frame header adds 9 bytes).
_VALUES_PROTOCOL = 4
_PENDING_BYTES = 1 << 20  # posting bytes gathered before a write
_FREQUENCIES = [pack_uint(n) for n in range(256)]
_FREQUENCY_VALUES = np.array(_FREQUENCIES, dtype=object)
_ONE_POSITION: list[bytes] = []  # the value of one position p, at p (shared, up to the largest seen)
_MAX_SHARED_POSITION = 20_000
_POSITION_OF: dict[bytes, list[int]] = {}  # the shared values back to their position

# What a field's postings hold (whoosh's formats this writer writes), as codes.
EXISTENCE, FREQUENCY, POSITIONS = 0, 1, 2


_FORMAT_KINDS = {Existence: EXISTENCE, Frequency: FREQUENCY, Positions: POSITIONS}


def format_kind(fmt) -> int | None:
    """EXISTENCE, FREQUENCY or POSITIONS for whoosh's formats of those names, else None."""
    return _FORMAT_KINDS.get(type(fmt))


def frequency_value(n: int) -> bytes:
    """whoosh's Frequency value (shared objects for the usual small counts)."""
    return _FREQUENCIES[n] if n < 256 else pack_uint(n)


def positions_value(positions: list[int]) -> bytes:
    """whoosh's Positions.encode; most words occur once in an item, and those values
    are shared."""
    if len(positions) == 1:
        return _one_position(positions[0])
    deltas = [positions[0]] + [b - a for a, b in zip(positions, positions[1:])]
    return pack_uint(len(deltas)) + dumps(deltas, 2)


def _one_position(pos: int) -> bytes:
    if pos >= _MAX_SHARED_POSITION:  # a very long text does not grow the table
        return pack_uint(1) + dumps([pos], 2)
    _share_up_to(pos)
    return _ONE_POSITION[pos]


def _share_up_to(pos: int) -> None:
    for p in range(len(_ONE_POSITION), pos + 1):
        value = pack_uint(1) + dumps([p], 2)
        _ONE_POSITION.append(value)
        _POSITION_OF[value] = [p]


def decode_positions(value: bytes) -> list[int]:
    """The positions of a Positions value (whoosh's: a 4-byte count, then the pickled
    gaps)."""
    known = _POSITION_OF.get(value)
    if known is not None:
        return known
    gaps = loads(value[4:] if value.endswith(b".") else value[4:] + b".")
    out, at = [], 0
    for gap in gaps:
        at += gap
        out.append(at)
    return out


class WordTokens:
    """The token texts of `RegexTokenizer(pattern)`, remembering the last value's (the
    exact and folded fields are given the same text)."""

    def __init__(self, pattern: str):
        self.pattern = re.compile(pattern)
        self._last: tuple[str | None, list[str]] = (None, [])

    def __call__(self, value: str) -> list[str]:
        last = self._last
        if last[0] == value:
            return last[1]
        tokens = self.pattern.findall(value)
        self._last = (value, tokens)
        return tokens


def reference_postings(analyzer, value: str, boost: float, kind: int) -> list[tuple[bytes, int, float, bytes]]:
    """whoosh's `(btext, frequency, weight, value)` postings of a value, from a fast
    analyser's tokens and terms: what the pool computes with arrays, one posting at a
    time (the tests compare it with whoosh's own analysers)."""
    found: dict[bytes, list[int]] = {}
    for pos, token in enumerate(analyzer.tokens(value)):
        found.setdefault(analyzer.term(token), []).append(pos)
    if kind == EXISTENCE:
        return [(word, 1, boost, b"") for word in found]
    encode = positions_value if kind == POSITIONS else (lambda at: frequency_value(len(at)))
    return [(word, len(at), len(at) * boost, encode(at)) for word, at in found.items()]


class TextTerms:
    """`RegexTokenizer(pattern) | LowercaseFilter()`, and then `CharsetFilter(fold_table)`
    when given: `tokens(value)` are the words as written, `term(token)` a word's term."""

    def __init__(self, tokens: WordTokens | str, fold_table: dict | None = None, positions: bool = True):
        self.tokens = tokens if isinstance(tokens, WordTokens) else WordTokens(tokens)
        self.fold_table = fold_table
        self.kind = POSITIONS if positions else FREQUENCY

    def term(self, token: str) -> bytes:
        form = token.lower()
        if self.fold_table is not None:
            form = form.translate(self.fold_table)
        return form.encode("utf-8")

    def __call__(self, value: str, boost: float = 1.0) -> list[tuple[bytes, int, float, bytes]]:
        return reference_postings(self, value, boost, self.kind)


class KeywordTerms:
    """whoosh's `KeywordAnalyzer(lowercase, commas=True)` (KEYWORD fields, Frequency)."""

    _CHUNK = re.compile(r"[^,]+")

    def __init__(self, lowercase: bool = False):
        self.lowercase = lowercase

    def tokens(self, value: str) -> list[str]:
        return [chunk.strip() for chunk in self._CHUNK.findall(value)]

    def term(self, token: str) -> bytes:
        return (token.lower() if self.lowercase else token).encode("utf-8")

    def __call__(self, value: str, boost: float = 1.0) -> list[tuple[bytes, int, float, bytes]]:
        return reference_postings(self, value, boost, FREQUENCY)


class IdTerms:
    """whoosh's `IDAnalyzer()` (ID fields, Existence): the whole value is the term."""

    def tokens(self, value: str) -> list[str]:
        return [value]

    def term(self, token: str) -> bytes:
        return token.encode("utf-8")

    def __call__(self, value: str, boost: float = 1.0) -> list[tuple[bytes, int, float, bytes]]:
        return reference_postings(self, value, boost, EXISTENCE)


@dataclass
class _Chunk:
    """Postings, one per term and document: term numbers, document numbers,
    frequencies, and the positions of the postings of fields with positions, in
    posting order."""
    terms: np.ndarray
    docs: np.ndarray
    freqs: np.ndarray
    positions: np.ndarray


@dataclass
class SortedPostings:
    """A segment's postings in whoosh's order: `keys[i]` is the i-th term's
    (field, term), its postings are `starts[i]:starts[i + 1]`; a posting's positions
    (fields with positions) are `positions[pos_at[j]:pos_at[j + 1]]`."""
    keys: list[tuple[str, bytes]]
    starts: np.ndarray
    docs: np.ndarray
    freqs: np.ndarray
    positions: np.ndarray
    pos_at: np.ndarray


_EMPTY = np.zeros(0, np.uint32)


class TermPool:
    """A segment's postings as arrays. Documents add their tokens' term numbers
    (`add_tokens`), merged segments their postings (`add`). Past `limit` tokens and
    postings held, they are turned into a chunk of postings; at commit every chunk is
    sorted into whoosh's order (`sorted_postings`). Frequencies are kept, weights are
    the frequency times the field's boost (whoosh's formats give no other weight)."""

    def __init__(self, schema, limit: int):
        self.schema = schema
        self.limit = limit
        self.keys: list[tuple[str, bytes]] = []  # term number → (field, term)
        self._kinds = array("B")  # term number → its field's format kind
        self._numbers: dict[str, dict[bytes, int]] = {}  # field → term → number
        self._token_numbers: dict[str, dict[str, int]] = {}  # field → token as written → number
        self.fieldnames: set[str] = set()
        self.chunks: list[_Chunk] = []
        self._reset_buffers()

    def _reset_buffers(self) -> None:
        self._tokens, self._run_docs, self._run_lengths = array("I"), array("I"), array("I")
        self._post_terms, self._post_docs, self._post_freqs = array("I"), array("I"), array("I")
        self._post_positions = array("I")
        self.count = 0

    def term_number(self, fieldname: str, btext: bytes) -> int:
        numbers = self._numbers.get(fieldname)
        if numbers is None:
            numbers = self._numbers[fieldname] = {}
            self.fieldnames.add(fieldname)
        number = numbers.get(btext)
        if number is None:
            number = numbers[btext] = len(self.keys)
            self.keys.append((fieldname, btext))
            self._kinds.append(format_kind(self.schema[fieldname].format))
        return number

    def add_tokens(self, fieldname: str, docnum: int, tokens: list[str], term) -> int:
        """A document's tokens in a field, in order (`term`: a token's term); returns
        how many there are (the document's length in the field)."""
        table = self._token_numbers.get(fieldname)
        if table is None:
            table = self._token_numbers[fieldname] = {}
        try:
            numbers = list(map(table.__getitem__, tokens))
        except KeyError:
            for token in tokens:
                if token not in table:
                    table[token] = self.term_number(fieldname, term(token))
            numbers = list(map(table.__getitem__, tokens))
        if numbers:
            self._tokens.extend(numbers)
            self._run_docs.append(docnum)
            self._run_lengths.append(len(numbers))
            self.count += len(numbers)
        return len(numbers)

    def add_postings(self, fieldname: str, docnum: int, postings) -> int:
        """A document's postings in whoosh's `(btext, frequency, weight, value)` form (a
        field without a fast analyser); returns the sum of the frequencies."""
        length = 0
        for btext, freq, weight, value in postings:
            self.add_posting(fieldname, btext, docnum, weight, value)
            length += freq
        return length

    def add(self, item) -> None:
        """One posting (whoosh's pool interface: merging existing segments in)."""
        self.add_posting(*item)
        self.spill_if_full()

    def add_posting(self, fieldname: str, btext: bytes, docnum: int, weight: float, value: bytes) -> None:
        fmt = self.schema[fieldname].format
        kind = format_kind(fmt)
        if kind == POSITIONS:
            positions = decode_positions(value)
            freq = len(positions)
            self._post_positions.extend(positions)
        else:
            freq = fmt.decode_frequency(value) if kind == FREQUENCY else 1
        if abs(weight - freq * fmt.field_boost) > 1e-4 * max(1.0, weight):
            raise ValueError(f"posting of {fieldname}:{btext!r} weighs {weight}, not its frequency × boost")
        self._post_terms.append(self.term_number(fieldname, btext))
        self._post_docs.append(docnum)
        self._post_freqs.append(freq)
        self.count += 1

    def spill_if_full(self) -> None:
        if self.count > self.limit:
            self.compact()

    def compact(self) -> None:
        """The tokens and postings held → chunks of postings."""
        if self._tokens:
            self.chunks.append(self._token_chunk())
        if self._post_terms:
            self.chunks.append(_Chunk(*(np.array(a, np.uint32) for a in (
                self._post_terms, self._post_docs, self._post_freqs, self._post_positions))))
        self._reset_buffers()

    def _token_chunk(self) -> _Chunk:
        terms = np.array(self._tokens, np.uint32)
        lengths = np.array(self._run_lengths, np.int64)
        docs = np.repeat(np.array(self._run_docs, np.uint32), lengths)
        positions = (np.arange(len(terms), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths))
        order = np.lexsort((docs, terms))  # stable: a document's tokens stay in order
        terms, docs, positions = terms[order], docs[order], positions[order].astype(np.uint32)
        first = np.flatnonzero(np.concatenate(([True], (terms[1:] != terms[:-1]) | (docs[1:] != docs[:-1]))))
        freqs = np.diff(np.append(first, len(terms))).astype(np.uint32)
        kinds = np.frombuffer(self._kinds, np.uint8)
        posting_terms = terms[first]
        freqs[kinds[posting_terms] == EXISTENCE] = 1
        return _Chunk(posting_terms, docs[first], freqs, positions[kinds[terms] == POSITIONS])

    def sorted_postings(self) -> SortedPostings:
        """Every posting, sorted by field, term and document (the chunks are let go:
        a segment's postings are held once, plus a sort key and an order)."""
        self.compact()
        chunks, self.chunks = self.chunks or [_Chunk(_EMPTY, _EMPTY, _EMPTY, _EMPTY)], []
        terms, docs, freqs, positions = (np.concatenate([getattr(c, name) for c in chunks])
                                         for name in ("terms", "docs", "freqs", "positions"))
        del chunks
        kinds = np.frombuffer(self._kinds, np.uint8) if len(self._kinds) else np.zeros(0, np.uint8)
        rank = np.empty(len(self.keys), np.uint64)
        rank[sorted(range(len(self.keys)), key=self.keys.__getitem__)] = np.arange(len(self.keys), dtype=np.uint64)
        key = (rank[terms] << np.uint64(32)) | docs  # (field, term), then document
        del rank
        order = np.argsort(key, kind="stable")
        del key
        npos = np.where(kinds[terms] == POSITIONS, freqs, 0).astype(np.uint32)
        pos_start = np.cumsum(npos, dtype=np.int64) - npos  # where each posting's positions are now
        terms, docs, freqs = terms[order], docs[order], freqs[order]
        npos, pos_start = npos[order], pos_start[order]
        del order
        pos_at = np.zeros(len(npos) + 1, np.int64)
        np.cumsum(npos, out=pos_at[1:])
        positions = positions[np.repeat(pos_start - pos_at[:-1], npos) + np.arange(pos_at[-1])]
        del pos_start, npos
        starts = np.flatnonzero(np.concatenate(([True], terms[1:] != terms[:-1]))) if len(terms) else _EMPTY
        keys = [self.keys[t] for t in terms[starts].tolist()]
        return SortedPostings(keys, np.append(starts, len(terms)), docs, freqs, positions, pos_at)

    def cleanup(self) -> None:
        self.chunks = []
        self._reset_buffers()


class _TermPoolWriting:
    """The commit half: a TermPool instead of whoosh's PostingPool, written term by
    term, and each segment's compact posting store (`poststore.py`) beside it.

    `counted`: fields outside the schema whose values are only counted per segment
    (field → (a factory of a counter, function giving a form's key)): the store keeps,
    per key, how many documents hold each form (the "did you mean" statistics). A
    counter `add`s a document's value, `update`s with a merged segment's counts
    (form → documents) and gives every form's count (`items`). A form's key is found
    once per segment, when it is written.
    `unstored`: schema fields left out of the store (nothing searches their postings
    through it)."""

    def _use_term_pool(self, limit: int, counted: dict | None = None, unstored=()) -> None:
        self.pool.cleanup()
        unsupported = [name for name, field in self.schema.items()
                       if field.indexed and format_kind(field.format) is None]
        if unsupported:
            raise ValueError(f"the fast writer writes Existence, Frequency and Positions postings only: {unsupported}")
        self.pool = TermPool(self.schema, limit)
        self.counted = dict(counted or {})
        self.unstored = frozenset(unstored)
        self._reset_counts()

    def _reset_counts(self) -> None:
        self.counts = {name: counter() for name, (counter, _) in self.counted.items()}

    def _write_lengths(self) -> None:
        """Lengths gathered in memory, written to the per-document columns (none here)."""

    def _flush_segment(self):
        self._write_lengths()
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        store = PostingStoreWriter(self.get_segment().create_file(self.storage, EXTENSION))
        try:
            write_terms(self.fieldwriter, self.schema, lengths, self.pool.sorted_postings(), store, self.unstored)
            for fieldname, counter in self.counts.items():
                key_of = self.counted[fieldname][1]
                by_key: dict[str, dict[str, int]] = {}
                for form, n in counter.items():
                    key = key_of(form)
                    forms = by_key.get(key)
                    if forms is None:
                        forms = by_key[key] = {}
                    forms[form] = n
                for key in sorted(by_key):
                    store.add_counts(fieldname, key, by_key[key])
        finally:
            lengths.close()
            store.close()
        self.fieldwriter.close()

    def add_reader(self, reader):
        self._write_lengths()  # a merged segment's documents follow those added so far
        super().add_reader(reader)

    def add_postings_to_pool(self, reader, startdoc, docmap):
        """A merged segment's postings, and its counts (of every document it held: a
        count cannot tell which documents were deleted since)."""
        super().add_postings_to_pool(reader, startdoc, docmap)
        if not self.counted:
            return
        store = open_store(self.storage.folder, reader._segment, reader._storage)
        if store is None:
            return
        try:
            for fieldname, counter in self.counts.items():
                for _, forms in store.all_counts(fieldname):
                    counter.update(forms)
        finally:
            store.close()


class LengthColumns:
    """Each scorable field's length in each document, gathered in memory and written to
    whoosh's length columns (`_<field>_len`, a byte per document) at once: the bytes
    W3PerDocWriter.add_field writes one call at a time (a fifth of a writer's
    per-document work). As there: a field's column is made when a document first has
    a length for it, and a column ends at its last non-zero byte."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.first: int | None = None  # the number of the first document gathered
        self.columns: dict[str, bytearray] = {}  # field → a byte per document from `first`
        self.totals: dict[str, int] = {}

    def add(self, docnum: int, lengths: list[tuple[str, int]]) -> None:
        if self.first is None:
            self.first = docnum
        at = docnum - self.first
        for fieldname, length in lengths:
            column = self.columns.get(fieldname)
            if column is None:
                column = self.columns[fieldname] = bytearray()
                self.totals[fieldname] = 0
            if len(column) < at:
                column.extend(bytes(at - len(column)))
            column.append(length_to_byte(length))
            self.totals[fieldname] += length

    def write(self, perdocwriter) -> None:
        """Into the per-document writer's columns (whoosh 2.7 internals: its column
        writers and field length totals; tests/test_segments.py reads them back)."""
        for fieldname, column in self.columns.items():
            lenfield = _lenfield(fieldname)
            if not perdocwriter._has_column(lenfield):
                perdocwriter._create_column(lenfield, LENGTHS_COLUMN)
            writer = perdocwriter._get_column(lenfield)
            data = column.rstrip(b"\0")
            if data:
                writer.fill(self.first)  # the default byte for each document before
                writer._dbfile.write(bytes(data))
                writer._count = self.first + len(data)
            perdocwriter._fieldlengths[fieldname] += self.totals[fieldname]
        self.clear()


class FastSegmentWriter(_TermPoolWriting, SegmentWriter):
    """A SegmentWriter with a TermPool, and `analyzers` (field name → callable giving
    whoosh's `(btext, frequency, weight, value)` postings) for the fields that have one.
    What our documents do not use is not supported: term vectors, separate spelling
    fields, `_boost`/`_stored_*` keys (ignored, like every key starting with `_`)."""

    def __init__(self, ix, analyzers: dict | None = None, limit_postings: int = 4_000_000,
                 max_segment_docs: int | None = None, group_start: tuple[str, str] | None = None,
                 counted: dict | None = None, unstored=(), **kwargs):
        super().__init__(ix, **kwargs)
        self._use_term_pool(limit_postings, counted, unstored)
        self.lengths = LengthColumns()
        self.analyzers = analyzers or {}
        # Past this many documents the segment is finished and a new one begun; all are
        # committed together. (whoosh assembles a segment's columns in memory when it
        # closes it: 104 MB for the 95,000 documents of a 10k reindex.)
        self.max_segment_docs = max_segment_docs
        # (field, value) of the first document of a group (a notice, then its items): a
        # new segment begins only there, so that a group stays in one segment.
        self.group_start = group_start
        self.finished_segments: list = []
        unsupported = [name for name, field in self.schema.items() if field.vector or field.separate_spelling()]
        if unsupported:
            self.cancel()
            raise ValueError(f"FastSegmentWriter writes no term vectors or spelling words: {unsupported}")

    def add_document(self, **fields):
        self._check_state()
        if self.max_segment_docs and self.docnum - self.docbase >= self.max_segment_docs and \
                (self.group_start is None or fields.get(self.group_start[0]) == self.group_start[1]):
            self._next_segment()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        perdocwriter.start_doc(docnum)
        lengths = []  # (field, length) of the document's scorable fields
        try:
            for fieldname in sorted(fields):
                value = fields[fieldname]
                if value is None or fieldname.startswith("_"):
                    continue
                if fieldname in self.counted:
                    self.counts[fieldname].add(value)
                    continue
                field = schema[fieldname]
                if field.indexed:
                    analyzer = self.analyzers.get(fieldname)
                    length = (pool.add_tokens(fieldname, docnum, analyzer.tokens(value), analyzer.term)
                              if analyzer is not None else pool.add_postings(fieldname, docnum, field.index(value)))
                    if length and field.scorable:
                        lengths.append((fieldname, length))
                if field.stored:
                    perdocwriter.add_field(fieldname, field, value, 0)
                if field.column_type:
                    perdocwriter.add_column_value(fieldname, field.column_type, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self.lengths.add(docnum, lengths)
        self._added = True
        self.docnum += 1
        pool.spill_if_full()

    def add_packed(self, packed: bytes, count: int = 0) -> None:
        """A group of documents pickled as one list (`index.packed_documents`);
        `count`, their number, is for FastMpWriter's job sizes."""
        for fields in loads(packed):
            self.add_document(**fields)

    def _write_lengths(self) -> None:
        self.lengths.write(self.perdocwriter)

    def _next_segment(self) -> None:
        self.finished_segments.append(self._finalize_segment())
        codec, limit = self.codec, self.pool.limit
        self.newsegment = codec.new_segment(self.storage, self.indexname)
        self.compound = self.compound and self.newsegment.should_assemble()
        self.docnum = self.docbase
        self.perdocwriter = codec.per_document_writer(self.storage, self.newsegment)
        self.fieldwriter = codec.field_writer(self.storage, self.newsegment)
        self.pool = TermPool(self.schema, limit)
        self._reset_counts()
        self._added = False

    def all_segments(self) -> list:
        """Finish the segment being written; every segment this writer wrote."""
        if self._added:
            return self.finished_segments + [self._finalize_segment()]
        self._close_segment()
        return list(self.finished_segments)

    def commit(self, mergetype=None, optimize=None, merge=None):
        self._check_state()
        kept = self._merge_segments(mergetype, optimize, merge)
        self._commit_toc(kept + self.all_segments())
        self._finish()


def write_terms(fieldwriter, schema, lengths, postings: SortedPostings, store: PostingStoreWriter | None = None,
                unstored=frozenset()) -> None:
    """Write each term's postings a block at a time through the codec's own block
    writer (whoosh adds them one by one), with the same block statistics; and each
    term's document numbers, frequencies and positions to the posting store."""
    keys, starts = postings.keys, postings.starts
    term = 0
    while term < len(keys):
        fieldname = keys[term][0]
        end = term
        while end < len(keys) and keys[end][0] == fieldname:
            end += 1
        _write_field(fieldwriter, schema[fieldname], fieldname, lengths, postings, term, end,
                     store if fieldname not in unstored else None)
        term = end


def _write_field(fieldwriter, field, fieldname: str, lengths, postings: SortedPostings, first: int, end: int,
                 store) -> None:
    """Terms `first:end` of the sorted postings, all of one field."""
    kind = format_kind(field.format)
    boost = field.format.field_boost
    a, b = int(postings.starts[first]), int(postings.starts[end])
    docs, freqs = postings.docs[a:b], postings.freqs[a:b]
    starts = postings.starts[first:end + 1] - a
    fieldwriter.start_field(fieldname, field)
    size = fieldwriter._postwriter._blocklimit
    blocks = _block_starts(starts, size)
    weights = freqs.astype(np.float64) * boost
    max_weight = np.maximum.reduceat(weights, blocks).tolist() if len(blocks) else []
    doc_lengths = _field_lengths(lengths, fieldname)
    if doc_lengths is not None and len(blocks):
        per_posting = doc_lengths[docs]
        max_length = np.maximum.reduceat(per_posting, blocks).tolist()
        min_length = np.minimum.reduceat(np.where(per_posting > 0, per_posting, 2**62), blocks).tolist()
        min_length = [None if n == 2**62 else n for n in min_length]
    else:
        max_length, min_length = [0] * len(blocks), [None] * len(blocks)
    positions, pos_at = None, None
    if kind == POSITIONS:
        pos_at = postings.pos_at[a:b + 1] - postings.pos_at[a]
        positions = postings.positions[postings.pos_at[a]:postings.pos_at[b]]
    values = _values(kind, freqs, positions, pos_at)
    ids, weight_list = docs.tolist(), weights.astype(np.float32).tolist()
    gaps = docs.astype(np.int64)
    gaps[1:] -= gaps[:-1].copy()  # each posting's distance from the one before (a block's first: absolute)
    gap_list = gaps.tolist()
    keys = postings.keys
    terms = _TermBlocks(fieldwriter, field.format)
    block_at = 0
    for t in range(end - first):
        lo, hi = int(starts[t]), int(starts[t + 1])
        if store is not None:
            store.add(fieldname, keys[first + t][1], docs[lo:hi], freqs[lo:hi],
                      positions[pos_at[lo]:pos_at[hi]] if positions is not None else None)
        cuts = range(lo, hi, size)
        terms.add(keys[first + t][1], [(ids[a:min(a + size, hi)], weight_list[a:min(a + size, hi)],
                                        values[a:min(a + size, hi)] if values is not None else None,
                                        (ids[a], *gap_list[a + 1:min(a + size, hi)])) for a in cuts],
                  max_weight[block_at:block_at + len(cuts)], min_length[block_at:block_at + len(cuts)],
                  max_length[block_at:block_at + len(cuts)])
        block_at += len(cuts)
    terms.flush()
    fieldwriter.finish_field()


class _TermBlocks:
    """Each term's postings written as whoosh's W3PostingsWriter and W3FieldWriter
    would write them, a block (128 postings) at a time, with the term's statistics in
    the term table: the same records (the segment tests read them back through whoosh),
    without their per-posting and per-call work. Consecutive terms' bytes are written
    at once."""

    _TERMINFO = W3TermInfo._struct

    def __init__(self, fieldwriter, fmt):
        self.table = fieldwriter._tindex
        self.postfile = fieldwriter._postfile
        # zlib's quickest level (whoosh: 3): the index 1.4% larger, the blocks written faster
        self.compression = 1 if fieldwriter._postwriter._compression else 0
        self.field_prefix = pack_ushort(fieldwriter._fieldid)
        self.fixed_size = fmt.fixed_value_size()
        self.pending: list[bytes] = [WHOOSH3_HEADER_MAGIC]
        self.pending_bytes = 0
        self.offset = self.postfile.tell()

    def add(self, btext: bytes, blocks: list, max_weights: list[float], min_lengths: list, max_lengths: list[int]):
        """`blocks`: (document numbers, weights, values or None, the numbers as deltas)
        of each block."""
        start = len(self.pending) - 1  # the magic that opens the term's first block
        weight, count = 0, 0
        for n, (ids, weights, values, deltas) in enumerate(blocks):
            info, data = self._block(ids, deltas, weights, values, max_weights[n], min_lengths[n], max_lengths[n])
            size = len(info) + len(data)
            self.pending += (pack_int(-size if n == len(blocks) - 1 else size), info, data)
            weight += sum(weights)
            count += len(ids)
        length = sum(map(len, self.pending[start:]))
        min_length = None
        for shortest in min_lengths:  # as W3TermInfo.add_block takes them
            min_length = shortest if min_length is None else min(min_length, shortest)
        terminfo = self._TERMINFO.pack(False, weight, count, length_to_byte(min_length),
                                       length_to_byte(max(0, *max_lengths)), max(0, *max_weights),
                                       blocks[0][0][0], blocks[-1][0][-1])
        self.table.add(self.field_prefix + btext, terminfo + pack_long(self.offset) + pack_int(length))
        self.offset += length
        self.pending_bytes += length
        if self.pending_bytes > _PENDING_BYTES:
            self.postfile.write(b"".join(self.pending))
            self.pending.clear()
            self.pending_bytes = 0
        self.pending.append(WHOOSH3_HEADER_MAGIC)  # the next term's

    def _block(self, ids: list[int], deltas: tuple[int, ...], weights: list[float], values: list[bytes] | None,
               max_weight: float, min_length: int | None, max_length: int) -> tuple[bytes, bytes]:
        first = weights[0]
        mini_weights = (None if first == 1.0 else first) if weights.count(first) == len(weights) else tuple(weights)
        if values is None or self.fixed_size == 0:
            mini_values = None
        elif self.fixed_size is None or self.fixed_size < 0:
            mini_values = tuple(values)
        else:
            mini_values = b"".join(values)
        data = dumps((deltas, mini_weights, mini_values), 2 if mini_values is None else _VALUES_PROTOCOL)
        compression = self.compression if len(data) >= _COMPRESS_FROM else 0
        if compression:
            data = zlib.compress(data, compression)
        info = dumps((len(ids), ids[-1], max_weight, compression, length_to_byte(min_length),
                      length_to_byte(max_length)), 2)
        return info, data

    def flush(self) -> None:
        self.pending.pop()  # no term follows
        if self.pending:
            self.postfile.write(b"".join(self.pending))


def _block_starts(starts: np.ndarray, size: int) -> np.ndarray:
    """Where each block begins: every term's postings cut every `size`."""
    counts = np.diff(starts)
    nblocks = (counts + size - 1) // size
    first_block = np.cumsum(nblocks) - nblocks
    within = np.arange(int(nblocks.sum())) - np.repeat(first_block, nblocks)
    return (np.repeat(starts[:-1], nblocks) + within * size).astype(np.int64)


def _values(kind: int, freqs: np.ndarray, positions: np.ndarray | None, pos_at: np.ndarray | None) -> list | None:
    """whoosh's value of each posting (None: Existence postings have none)."""
    if kind == EXISTENCE:
        return None
    if kind == FREQUENCY:
        if len(freqs) and freqs.max() < len(_FREQUENCIES):
            return _FREQUENCY_VALUES[freqs].tolist()  # the shared values, picked in C
        return list(map(frequency_value, freqs.tolist()))
    values = np.empty(len(freqs), object)
    first = pos_at[:-1]
    single = freqs == 1
    values[single] = _one_position_values(positions[first[single]].tolist())
    multi = np.flatnonzero(~single)
    if len(multi):
        deltas = positions.astype(np.int64)
        deltas[1:] -= positions[:-1].astype(np.int64)
        deltas[first] = positions[first]  # a posting's first gap is its first position
        gaps, counts = deltas.tolist(), freqs[multi].tolist()
        values[multi] = [pack_uint(n) + dumps(gaps[at:at + n], 2) for at, n in zip(first[multi].tolist(), counts)]
    return values.tolist()


def _one_position_values(positions: list[int]) -> list[bytes]:
    """The values of postings with one position each (from the shared table)."""
    largest = max(positions, default=0)
    if largest >= _MAX_SHARED_POSITION:
        return [_one_position(p) for p in positions]
    _share_up_to(largest)
    return list(map(_ONE_POSITION.__getitem__, positions))


def _field_lengths(lengths, fieldname: str) -> np.ndarray | None:
    """Every document's length in a field, as whoosh reads it back (one byte)."""
    column = lengths._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    table = np.array([byte_to_length(b) if b else 0 for b in range(256)], np.int64)
    return table[column_values(column, lengths.doc_count_all(), np.uint8)]


class FastMpWriter(_TermPoolWriting, MpWriter):
    """whoosh's multi-process writer (one segment per sub-writer process), with
    FastSegmentWriter sub-writers; merges of old segments go through a TermPool too."""

    def __init__(self, ix, analyzers: dict | None = None, limit_postings: int = 2_000_000,
                 max_segment_docs: int | None = None, group_start: tuple[str, str] | None = None,
                 counted: dict | None = None, unstored=(), **kwargs):
        super().__init__(ix, **kwargs)
        self._use_term_pool(limit_postings, counted, unstored)
        self.subargs = dict(self.subargs, analyzers=analyzers, limit_postings=limit_postings,
                            max_segment_docs=max_segment_docs, group_start=group_start, counted=counted,
                            unstored=unstored)
        self.packed: list[bytes] = []  # groups of documents pickled as lists, to send as they are
        self.packed_count = 0  # the documents in them

    def end_group(self):
        """MpWriter sends its buffer to a sub-writer only between groups; with every
        document in a group, that is when a group ends."""
        super().end_group()
        if not self._grouping and len(self.docbuffer) + self.packed_count >= self.batchsize:
            self._enqueue()

    def add_packed(self, packed: bytes, count: int) -> None:
        """A group of `count` documents pickled as one list (`index.packed_documents`):
        written to a sub-writer's job file as it is."""
        self.packed.append(packed)
        self.packed_count += count
        self._added_sub = True  # commit then collects the sub-writers' segments
        if not self._grouping and len(self.docbuffer) + self.packed_count >= self.batchsize:
            self._enqueue()

    def _enqueue(self):
        """MpWriter._enqueue, with a job file of pickled lists of documents' fields: the
        buffer as one list (one call, and each field's name written once; whoosh pickles
        each document on its own), then the packed groups."""
        filename = "%s.doclist" % random_name()
        with self.temp_storage().create_file(filename).raw_file() as f:
            if self.docbuffer:
                pickle.dump([fields for _, fields in self.docbuffer], f, pickle.HIGHEST_PROTOCOL)
            f.writelines(self.packed)
        if len(self.tasks) < self.procs:
            self._new_task()
        self.jobqueue.put((filename, len(self.docbuffer) + self.packed_count))
        self.docbuffer = []
        self.packed, self.packed_count = [], 0

    def _commit(self, mergetype, optimize, merge):
        """MpWriter's multisegment commit, with each sub-writer sending a list of segments."""
        if self.docbuffer or self.packed:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        kept = self._merge_segments(mergetype, optimize, merge)
        for task in self.tasks:
            task.join()
        results = []
        for _ in self.tasks:
            try:
                results.append(self.resultqueue.get(timeout=1))
            except queue.Empty:
                pass
        written = [segment for _, _, segments in results for segment in segments]
        if self._added:
            written.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(kept + written)
        self._finish()

    def _new_task(self):
        task = _SubWriter(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                          self.multisegment)
        self.tasks.append(task)
        task.start()
        return task


class _SubWriter(SubWriterTask):
    """A sub-writer process: Ctrl-C is the parent's, and it ends with it. If it fails it
    says so in one line and exits non-zero; the parent checks the exit codes, so no
    document is silently left out."""

    def run(self):
        init_child()
        try:
            self._write()
        except Exception as err:  # noqa: BLE001 - reported to the parent by the exit code
            if not isinstance(err, FileNotFoundError):  # the parent cancelled and cleaned up
                print(f"ketluan: index sub-writer failed: {err}", file=sys.stderr)
            os._exit(1)

    def _process_file(self, filename, doc_count):
        """A job file of FastMpWriter._enqueue: lists of documents' fields, pickled one
        after another."""
        tempstorage = self.writer.temp_storage()
        with tempstorage.open_file(filename).raw_file() as f:
            data = f.read()
        with io.BytesIO(data) as f:
            while f.tell() < len(data):
                for fields in pickle.load(f):
                    self.writer.add_document(**fields)
        tempstorage.delete_file(filename)

    def _write(self):
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = FastSegmentWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        if not self.multisegment:
            raise RuntimeError("ketluan's sub-writers write their own segments (multisegment=True)")
        fieldnames = writer.pool.fieldnames
        self.resultqueue.put((None, fieldnames, writer.all_segments()), timeout=5)
