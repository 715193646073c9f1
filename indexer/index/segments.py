"""Writing whoosh segments faster, with the same files as whoosh's own writer.

whoosh's SegmentWriter sends every posting through a tokenizer chain of generators,
pickles it to a temporary run file, and at commit reads the runs back, merges them
and writes the postings one call at a time, asking for the document's field length
each time. For this archive (170 postings per document) that was three quarters of
the indexing time. Here:

- fields with a fast analyser (`TextTerms`, `KeywordTerms`) are tokenised in one pass,
  each distinct token's lower-cased/folded form computed once and remembered;
- postings are kept in memory grouped by field and term (`TermPool`), and spilled to
  sorted run files a term at a time (not a posting at a time) when there are many;
- at commit each term is written a block (128 postings) at a time, with the field
  lengths read once per field.

The postings, term statistics, field lengths, stored fields and columns are the same
as whoosh's (a test compares two indexes built both ways)."""
from __future__ import annotations

import heapq
import queue
import marshal
import os
import re
import sys
from array import array
from pickle import dumps, loads

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from ..process import init_child
from .columnar import column_values
from .poststore import EXTENSION, PostingStoreWriter, open_store

_FREQUENCIES = [pack_uint(n) for n in range(256)]
_ONE_POSITION: dict[int, bytes] = {}
_MAX_SHARED_POSITION = 20_000
_POSITION_OF: dict[bytes, list[int]] = {}  # the shared values back to their position
_MAX_FORMS = 100_000  # remembered token forms per analyser, then forgotten


def frequency_value(n: int) -> bytes:
    """whoosh's Frequency value (shared objects for the usual small counts)."""
    return _FREQUENCIES[n] if n < 256 else pack_uint(n)


def positions_value(positions: list[int]) -> bytes:
    """whoosh's Positions.encode; most words occur once in an item, and those values
    are shared."""
    if len(positions) == 1:
        pos = positions[0]
        value = _ONE_POSITION.get(pos)
        if value is None:
            value = pack_uint(1) + dumps([pos], 2)
            if pos < _MAX_SHARED_POSITION:  # a very long text does not grow the table
                _ONE_POSITION[pos] = value
                _POSITION_OF[value] = [pos]
        return value
    deltas = [positions[0]] + [b - a for a, b in zip(positions, positions[1:])]
    return pack_uint(len(deltas)) + dumps(deltas, 2)


def decode_positions(value: bytes) -> list[int]:
    """The positions of a Positions value (whoosh's: a 4-byte count, then the pickled
    gaps), for the posting store."""
    known = _POSITION_OF.get(value)
    if known is not None:
        return known
    gaps = loads(value[4:] if value.endswith(b".") else value[4:] + b".")
    out, at = [], 0
    for gap in gaps:
        at += gap
        out.append(at)
    return out


class TextTerms:
    """The postings of `RegexTokenizer(pattern) | LowercaseFilter()` (and then
    `CharsetFilter(fold_table)` when given) with a Positions or Frequency format."""

    def __init__(self, pattern: str, fold_table: dict | None = None, positions: bool = True):
        self.pattern = re.compile(pattern)
        self.fold_table = fold_table
        self.positions = positions
        self._forms: dict[str, bytes] = {}
        self._last: tuple | None = None

    def _form(self, token: str) -> bytes:
        form = token.lower()
        if self.fold_table is not None:
            form = form.translate(self.fold_table)
        if len(self._forms) > _MAX_FORMS:
            self._forms.clear()
        value = self._forms[token] = form.encode("utf-8")
        return value

    def __call__(self, value: str, boost: float = 1.0) -> list[tuple[bytes, int, float, bytes]]:
        last = self._last
        if last is not None and last[0] == value and last[1] == boost:
            return last[2]  # a notice's items repeat its header: tokenised once
        postings = self._postings(value, boost)
        self._last = (value, boost, postings)
        return postings

    def _postings(self, value: str, boost: float) -> list[tuple[bytes, int, float, bytes]]:
        forms = self._forms
        found: dict[bytes, list[int]] = {}
        for pos, token in enumerate(self.pattern.findall(value)):
            word = forms.get(token) or self._form(token)
            at = found.get(word)
            if at is None:
                found[word] = [pos]
            else:
                at.append(pos)
        encode = positions_value if self.positions else (lambda at: frequency_value(len(at)))
        return [(word, len(at), len(at) * boost, encode(at)) for word, at in found.items()]


class KeywordTerms:
    """The postings of whoosh's `KeywordAnalyzer(lowercase, commas=True)` with the
    Frequency format (KEYWORD fields)."""

    _CHUNK = re.compile(r"[^,]+")

    def __init__(self, lowercase: bool = False):
        self.lowercase = lowercase

    def __call__(self, value: str, boost: float = 1.0) -> list[tuple[bytes, int, float, bytes]]:
        counts: dict[str, int] = {}
        for chunk in self._CHUNK.findall(value):
            word = chunk.strip()
            if self.lowercase:
                word = word.lower()
            counts[word] = counts.get(word, 0) + 1
        return [(word.encode("utf-8"), n, n * boost, frequency_value(n)) for word, n in counts.items()]


class TermPool:
    """Postings grouped by field and term: per term, the document numbers, weights and
    values (when not empty). Spilled to a run file sorted by term when more than
    `limit` postings are held; the runs are merged at commit."""

    def __init__(self, tempstore, limit: int):
        self.tempstore = tempstore
        self.limit = limit
        self.fields: dict[str, dict[bytes, tuple[array, array, list]]] = {}
        self.fieldnames: set[str] = set()
        self.count = 0
        self.runs: list[str] = []

    def terms_of(self, fieldname: str) -> dict:
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        return terms

    def add_postings(self, fieldname: str, docnum: int, postings) -> int:
        """A document's `(btext, frequency, weight, value)` postings in a field; returns
        the sum of the frequencies (the document's length in the field)."""
        terms = self.terms_of(fieldname)
        length = count = 0
        for btext, freq, weight, value in postings:
            entry = terms.get(btext)
            if entry is None:
                entry = terms[btext] = (array("I"), array("f"), [])
            entry[0].append(docnum)
            entry[1].append(weight)
            if value:
                entry[2].append(value)
            length += freq
            count += 1
        self.count += count
        return length

    def add(self, item) -> None:
        """One posting (whoosh's pool interface: merging existing segments in)."""
        fieldname, btext, docnum, weight, value = item
        self.add_postings(fieldname, docnum, ((btext, 0, weight, value),))
        self.spill_if_full()

    def spill_if_full(self) -> None:
        if self.count > self.limit:
            self.spill()

    def spill(self) -> None:
        if not self.count:
            return
        name = f"{os.urandom(8).hex()}.terms"
        with self.tempstore.create_file(name).raw_file() as f:
            for key, ids, weights, values in self._in_memory():
                marshal.dump((key, ids.tobytes(), weights.tobytes(), values), f)
        self.runs.append(name)
        self.fields = {}
        self.count = 0

    def _in_memory(self):
        for fieldname in sorted(self.fields):
            terms = self.fields[fieldname]
            for btext in sorted(terms):
                ids, weights, values = terms[btext]
                yield (fieldname, btext), ids, weights, values

    def _read_run(self, name: str):
        with self.tempstore.open_file(name).raw_file() as f:
            while True:
                try:
                    key, ids, weights, values = marshal.load(f)
                except EOFError:
                    return
                yield tuple(key), array("I", ids), array("f", weights), values

    def terms(self):
        """(fieldname, btext, ids, weights, values) in term order. Runs hold earlier
        documents than later runs and than memory, so a term's postings from several
        sources are concatenated in source order."""
        if not self.runs:
            for (fieldname, btext), ids, weights, values in self._in_memory():
                yield fieldname, btext, ids, weights, values
            return
        sources = [self._read_run(name) for name in self.runs] + [self._in_memory()]
        merged = heapq.merge(*[_numbered(source, n) for n, source in enumerate(sources)])
        current = None
        for (key, _), ids, weights, values in merged:
            if current is not None and current[0] == key:
                current[1].extend(ids)
                current[2].extend(weights)
                current[3].extend(values)
                continue
            if current is not None:
                yield (*current[0], *current[1:])
            current = [key, ids, weights, list(values)]
        if current is not None:
            yield (*current[0], *current[1:])

    def cleanup(self) -> None:
        for name in self.runs:
            try:
                self.tempstore.delete_file(name)
            except OSError:
                pass
        self.runs = []
        self.fields = {}
        self.count = 0


def _numbered(source, n: int):
    for key, ids, weights, values in source:  # (key, n): equal terms sort by source
        yield (key, n), ids, weights, values


class _TermPoolWriting:
    """The commit half: a TermPool instead of whoosh's PostingPool, written term by
    term, and each segment's compact posting store (`poststore.py`) beside it.

    `counted`: fields outside the schema whose values are only counted per segment
    (field → function giving a document's value's `(key, form)` pairs): the store
    keeps, per key, how many documents hold each form (the "did you mean"
    statistics). `unstored`: schema fields left out of the store (nothing searches
    their postings through it)."""

    def _use_term_pool(self, limit: int, counted: dict | None = None, unstored=()) -> None:
        self.pool.cleanup()
        self.pool = TermPool(self._tempstorage, limit)
        self.counted = dict(counted or {})
        self.unstored = frozenset(unstored)
        self._reset_counts()

    def _reset_counts(self) -> None:
        self.counts: dict[str, dict[str, dict[str, int]]] = {name: {} for name in self.counted}

    def _count(self, fieldname: str, pairs) -> None:
        table = self.counts[fieldname]
        for key, form in pairs:
            forms = table.get(key)
            if forms is None:
                forms = table[key] = {}
            forms[form] = forms.get(form, 0) + 1

    def _flush_segment(self):
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        store = PostingStoreWriter(self.get_segment().create_file(self.storage, EXTENSION))
        try:
            write_terms(self.fieldwriter, self.schema, lengths, self.pool.terms(), store, self.unstored)
            for fieldname, table in self.counts.items():
                for key in sorted(table):
                    store.add_counts(fieldname, key, table[key])
        finally:
            lengths.close()
            store.close()
        self.fieldwriter.close()

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
            for fieldname, table in self.counts.items():
                for key, forms in store.all_counts(fieldname):
                    mine = table.setdefault(key, {})
                    for form, n in forms.items():
                        mine[form] = mine.get(form, 0) + n
        finally:
            store.close()


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
        try:
            for fieldname in sorted(fields):
                value = fields[fieldname]
                if value is None or fieldname.startswith("_"):
                    continue
                if fieldname in self.counted:
                    self._count(fieldname, self.counted[fieldname](value))
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    analyzer = self.analyzers.get(fieldname)
                    postings = (analyzer(value, field.format.field_boost) if analyzer is not None
                                else field.index(value))
                    length = pool.add_postings(fieldname, docnum, postings)
                    if not field.scorable:
                        length = 0
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                if field.column_type:
                    perdocwriter.add_column_value(fieldname, field.column_type, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        pool.spill_if_full()

    def _next_segment(self) -> None:
        self.finished_segments.append(self._finalize_segment())
        codec, limit = self.codec, self.pool.limit
        self.newsegment = codec.new_segment(self.storage, self.indexname)
        self.compound = self.compound and self.newsegment.should_assemble()
        self.docnum = self.docbase
        self.perdocwriter = codec.per_document_writer(self.storage, self.newsegment)
        self.fieldwriter = codec.field_writer(self.storage, self.newsegment)
        self.pool = TermPool(self._tempstorage, limit)
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


def write_terms(fieldwriter, schema, lengths, terms, store: PostingStoreWriter | None = None,
                unstored=frozenset()) -> None:
    """Write postings a term at a time and a block at a time through the codec's own
    block writer (whoosh adds them one by one), with the same block statistics; and
    each term's document numbers, frequencies and positions to the posting store."""
    lastfield = None
    doc_lengths = None
    for fieldname, btext, ids, weights, values in terms:
        if store is not None and fieldname not in unstored:
            positions = None
            if schema[fieldname].format.supports("positions"):
                positions = [p for value in values for p in decode_positions(value)]
            store.add(fieldname, btext, ids, weights, positions)
        if fieldname != lastfield:
            if lastfield is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            lastfield = fieldname
            doc_lengths = _field_lengths(lengths, fieldname)
        fieldwriter.start_term(btext)
        block = fieldwriter._postwriter
        size = block._blocklimit
        for start in range(0, len(ids), size):
            if start:
                block._write_block()
            block._ids = ids[start:start + size]
            block._weights = weights[start:start + size]
            block._values = values[start:start + size]
            block._maxweight = max(0, max(block._weights))
            present = [doc_lengths[d] for d in block._ids if doc_lengths[d]] if doc_lengths else ()
            block._minlength = min(present) if present else None
            block._maxlength = max(present) if present else 0
        fieldwriter.finish_term()
    if lastfield is not None:
        fieldwriter.finish_field()


def _field_lengths(lengths, fieldname: str) -> list[int] | None:
    """Every document's length in a field, as whoosh reads it back (one byte)."""
    column = lengths._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    return [byte_to_length(b) if b else 0 for b in column_values(column, lengths.doc_count_all(), np.uint8).tolist()]


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

    def end_group(self):
        """MpWriter sends its buffer to a sub-writer only between groups; with every
        document in a group, that is when a group ends."""
        super().end_group()
        if not self._grouping and len(self.docbuffer) >= self.batchsize:
            self._enqueue()

    def _commit(self, mergetype, optimize, merge):
        """MpWriter's multisegment commit, with each sub-writer sending a list of segments."""
        if self.docbuffer:
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
