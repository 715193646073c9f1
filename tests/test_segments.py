"""The fast segment writer writes what whoosh's own writer writes."""
import pickle
import sys

import pytest
from whoosh import columns
from whoosh.filedb.filestore import RamStorage
from whoosh.writing import SegmentWriter

from conftest import CORPUS, ROOT
from indexer.archive import Archive
from indexer.ingest import ingest
from indexer.index import (COUNTED, FAST_ANALYZERS, UNSTORED, WHOOSH_FILLS, Index, _fill_fixed, _fill_varbytes,
                           documents, make_schema, merge_when_many, spelling_terms)
from indexer.index.poststore import open_store
from indexer.index.segments import FastMpWriter, FastSegmentWriter

FAST = dict(analyzers=FAST_ANALYZERS, counted=COUNTED, unstored=UNSTORED)

VALUES = [
    "", " ", "Giải phóng mặt bằng dự án Quốc lộ 1A",
    "GIẢI PHÓNG MẶT BẰNG — giải phóng, mặt bằng; GIẢI phóng",
    "Covid-19, ĐẢNG ỦY xã Đông Hòa; đường ĐT.741", "snake_case và 2.000 tỷ đồng",
    "Hoà hòa HOÀ", "Ho\u0300a thuy\u0309",  # NFD: combining marks are not word characters
    "İstanbul ǅemal ß ﬁ", "a, ,b,,c , a", "Ủy ban nhân dân,Huyện ủy,ủy ban nhân dân",
    "447/tb-vpcp,447,tb,vpcp", " ".join(["lặp"] * 300),
]


@pytest.mark.parametrize("fieldname", sorted(FAST_ANALYZERS))
@pytest.mark.parametrize("value", VALUES)
def test_fast_analyzers_give_whooshs_postings(fieldname, value):
    field = make_schema()[fieldname]
    fast = FAST_ANALYZERS[fieldname](value, field.format.field_boost)
    assert sorted(fast) == sorted(field.index(value))


def every_posting(reader) -> dict:
    out = {}
    for fieldname in reader.indexed_field_names():
        for text in reader.lexicon(fieldname):
            info = reader.term_info(fieldname, text)
            matcher = reader.postings(fieldname, text)
            postings = []
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            out[fieldname, text] = (postings, info.weight(), info.doc_frequency(), info.min_length(),
                                    info.max_length(), info.max_weight(), info.min_id(), info.max_id())
    return out


def index_contents(ix) -> tuple:
    reader = ix.reader()
    try:
        lengths = {f: [reader.doc_field_length(d, f) for d in range(reader.doc_count_all())]
                   for f in ("exact", "folded", "header")}
        columns = {f: list(reader.column_reader(f, translate=False)) for f in ("date", "year", "deadline")}
        totals = {f: reader.field_length(f) for f in ("exact", "folded", "header")}
        return every_posting(reader), list(reader.all_stored_fields()), lengths, columns, totals
    finally:
        reader.close()


@pytest.fixture(scope="module")
def corpus_documents(tmp_path_factory):
    """The documents of the corpus and of 150 generated notices (every format, encoding
    and kind of noise the generator makes)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import generate
    files, root = tmp_path_factory.mktemp("generated"), tmp_path_factory.mktemp("archive")
    generate.generate(files, 150, seed=3)
    ingest([CORPUS, files], root)
    with Archive(root) as archive:
        docs = [d for stored in archive.notices_of() for d in documents(stored)]
    assert len(docs) > 1000
    return docs


@pytest.fixture(scope="module")
def plain(tmp_path_factory, corpus_documents):
    """The reference: the same documents through whoosh's own writer (built once)."""
    index = Index(tmp_path_factory.mktemp("whoosh"))
    build(index.ix, lambda ix: SegmentWriter(ix), corpus_documents)
    return index


@pytest.fixture(scope="module")
def plain_contents(plain):
    return index_contents(plain.ix)


@pytest.fixture(scope="module")
def plain_by_id(plain):
    return by_id(plain.ix)


def build(ix, writer, docs, halves: bool = False):
    parts = [docs[:len(docs) // 2], docs[len(docs) // 2:]] if halves else [docs]
    for n, part in enumerate(parts):
        w = writer(ix)
        for doc in part:
            w.add_document(**(doc if isinstance(w, FastSegmentWriter) else whoosh_fields(doc)))
        w.commit(merge=False)


def add_grouped(writer, docs) -> None:
    """Each notice's documents as one group, as `IndexWriter.add_notices` adds them (a
    multi-process writer keeps a group in one segment)."""
    group = []
    for doc in [*docs, None]:
        if group and (doc is None or doc["kind"] == "notice"):
            with writer.group():
                for member in group:
                    writer.add_document(**member)
            group = []
        if doc is not None:
            group.append(doc)


def whoosh_fields(doc: dict) -> dict:
    """A document without the fields only our writer counts (whoosh has no such fields)."""
    return {k: v for k, v in doc.items() if k not in COUNTED}


@pytest.mark.parametrize("limit", [10**9, 20_000], ids=["in memory", "compacted in chunks, written in pieces"])
def test_same_index_as_whooshs_writer(tmp_path, corpus_documents, plain_contents, limit, monkeypatch):
    import indexer.index.segments as segments
    if limit < 10**9:
        monkeypatch.setattr(segments, "_PENDING_BYTES", 2_000)  # a field's postings written in many pieces
    fast = Index(tmp_path / "fast")
    writer = FastSegmentWriter(fast.ix, limit_postings=limit, **FAST)
    add_grouped(writer, corpus_documents)
    if limit < 10**9:
        assert len(writer.pool.chunks) > 5
    writer.commit()
    assert index_contents(fast.ix) == plain_contents


def test_merging_segments_gives_the_same_index(tmp_path, corpus_documents, monkeypatch):
    """Two segments merged into one (through the TermPool, with deletions) equal whoosh's merge."""
    import indexer.index as index_module
    monkeypatch.setattr(index_module, "MAX_SEGMENTS", 1)
    monkeypatch.setattr(index_module, "MERGE_AT_ONCE", 2)
    contents = []
    for name, make in (("whoosh", lambda ix: SegmentWriter(ix)),
                       ("fast", lambda ix: FastSegmentWriter(ix, limit_postings=20_000, **FAST))):
        ix = Index(tmp_path / name).ix
        build(ix, make, corpus_documents, halves=True)
        writer = make(ix)
        writer.delete_by_term("kind", "notice")
        writer.commit(mergetype=merge_when_many)
        assert len(ix._segments()) == 1
        contents.append(index_contents(ix))
    assert contents[0] == contents[1]


def test_documents_added_then_old_segments_merged_keep_their_lengths(tmp_path, corpus_documents, monkeypatch):
    """A writer that adds documents and then merges old segments in at commit: the
    lengths it gathered in memory are written before the merged documents' own."""
    import indexer.index as index_module
    monkeypatch.setattr(index_module, "MAX_SEGMENTS", 1)
    monkeypatch.setattr(index_module, "MERGE_AT_ONCE", 2)
    half = len(corpus_documents) // 2
    contents = []
    for name, make in (("whoosh", lambda ix: SegmentWriter(ix)),
                       ("fast", lambda ix: FastSegmentWriter(ix, limit_postings=20_000, **FAST))):
        ix = Index(tmp_path / name).ix
        build(ix, make, corpus_documents[:half], halves=True)  # two old segments: merged
        writer = make(ix)
        for doc in corpus_documents[half:]:
            writer.add_document(**(doc if isinstance(writer, FastSegmentWriter) else whoosh_fields(doc)))
        writer.commit(mergetype=merge_when_many)
        assert len(ix._segments()) == 1
        contents.append(index_contents(ix))
    assert contents[0] == contents[1]


def document_ids(reader) -> dict[int, tuple[str, int]]:
    """Each document as (its notice's id, its place after the notice document)."""
    owner = {}
    for term in reader.lexicon("notice_id"):
        postings = reader.postings("notice_id", term)
        docs = []
        while postings.is_active():
            docs.append(postings.id())
            postings.next()
        for d in docs:
            owner[d] = (term, d - min(docs))
    return owner


def by_id(ix) -> dict:
    """Each term's postings with document numbers replaced by document ids (segments
    number their documents differently)."""
    reader = ix.reader()
    ids = document_ids(reader)
    postings = every_posting(reader)
    reader.close()
    return {key: sorted((ids[d], w, v) for d, w, v in p[0]) for key, p in postings.items()}


@pytest.mark.parametrize("max_docs", [None, 400])
def test_several_processes_index_every_document(tmp_path, corpus_documents, plain_by_id, max_docs):
    fast = Index(tmp_path / "fast")
    writer = FastMpWriter(fast.ix, procs=2, multisegment=True, batchsize=50, limit_postings=20_000,
                          max_segment_docs=max_docs, **FAST)
    add_grouped(writer, corpus_documents)
    writer.commit(merge=False)
    segments = fast.ix._segments()
    if max_docs is None:
        assert len(segments) == 2
    else:
        assert len(segments) > 2 and max(s.doc_count() for s in segments) <= max_docs
    assert sum(s.doc_count() for s in segments) == len(corpus_documents)
    assert by_id(fast.ix) == plain_by_id


def add_packed_and_grouped(writer, docs) -> None:
    """Every other notice's documents packed by a worker (`packed_documents`), the rest
    added as groups: a sub-writer's job file then holds both kinds."""
    groups = []
    for doc in docs:
        if doc["kind"] == "notice" or not groups:
            groups.append([])
        groups[-1].append(doc)
    for n, group in enumerate(groups):
        if n % 2:
            with writer.group():
                for member in group:
                    writer.add_document(**member)
        else:
            writer.add_packed(pickle.dumps(group, pickle.HIGHEST_PROTOCOL), len(group))


@pytest.mark.parametrize("procs", [1, 2])
def test_packed_notices_index_as_their_documents(tmp_path, corpus_documents, plain_by_id, procs):
    fast = Index(tmp_path / "fast")
    writer = (FastMpWriter(fast.ix, procs=2, multisegment=True, batchsize=50, **FAST) if procs > 1
              else FastSegmentWriter(fast.ix, **FAST))
    add_packed_and_grouped(writer, corpus_documents)
    writer.commit(merge=False)
    assert len(fast.ix._segments()) == procs
    assert sum(s.doc_count() for s in fast.ix._segments()) == len(corpus_documents)
    assert by_id(fast.ix) == plain_by_id


def test_a_large_write_is_split_into_segments(tmp_path, corpus_documents, plain_by_id):
    fast = Index(tmp_path / "fast")
    writer = FastSegmentWriter(fast.ix, max_segment_docs=500, **FAST)
    add_grouped(writer, corpus_documents)
    writer.commit()
    assert [s.doc_count() for s in fast.ix._segments()][:2] == [500, 500]
    assert by_id(fast.ix) == plain_by_id


def test_a_new_segment_begins_only_at_a_notice(tmp_path, corpus_documents):
    """With `group_start`, a notice's items stay in its segment (the search path finds
    an item's notice by that)."""
    from indexer.index import GROUP_START
    fast = Index(tmp_path / "fast")
    writer = FastSegmentWriter(fast.ix, max_segment_docs=500, group_start=GROUP_START, **FAST)
    add_grouped(writer, corpus_documents)
    writer.commit()
    segments = fast.ix._segments()
    assert len(segments) >= 2 and all(s.doc_count() >= 500 for s in segments[:-1])
    for arrays, _ in fast.snapshot().parts:
        assert arrays.is_notice[0]


def test_position_values_match_whoosh_and_the_shared_table_stays_small():
    from whoosh.formats import Positions
    from indexer.index import segments
    for positions in ([0], [7], [3, 9, 40], [10**6], [5, 10**6]):
        assert segments.positions_value(positions) == Positions().encode(positions)
    assert len(segments._ONE_POSITION) <= segments._MAX_SHARED_POSITION
    assert segments.decode_positions(segments.positions_value([7])) == [7]


def assert_store_is_whooshs(ix) -> None:
    """Every segment's posting store holds exactly whoosh's postings of each term (the
    fast search path reads them there), and nothing of the unstored fields."""
    reader = ix.reader()
    try:
        for sub, _ in reader.leaf_readers():
            store = open_store(ix.storage.folder, sub._segment, sub._storage)
            assert store is not None
            for (fieldname, text), (postings, *_) in every_posting(sub).items():
                ids, tf = store.postings(fieldname, text)
                if fieldname in UNSTORED:
                    assert not len(ids)
                    continue
                assert ids.tolist() == [d for d, _, _ in postings], (fieldname, text)
                assert tf.tolist() == [w for _, w, _ in postings], (fieldname, text)
                field = make_schema()[fieldname]
                if field.format.supports("positions"):
                    expected = [p for _, _, v in postings for p in field.format.decode_positions(v)]
                    assert store.positions(fieldname, text)[2].tolist() == expected, (fieldname, text)
            assert not len(store.postings("folded", "khongcotunaynhe")[0])
            store.close()
    finally:
        reader.close()


def expected_counts(docs) -> dict:
    counts: dict = {}
    for doc in docs:
        for key, form in (spelling_terms(doc["spelling"]) if "spelling" in doc else ()):
            counts.setdefault(key, {}).setdefault(form, 0)
            counts[key][form] += 1
    return counts


def stored_counts(ix, keys) -> dict:
    reader = ix.reader()
    out: dict = {}
    try:
        for sub, _ in reader.leaf_readers():
            store = open_store(ix.storage.folder, sub._segment, sub._storage)
            for key in keys:
                for form, n in store.counts("spelling", key).items():
                    out.setdefault(key, {}).setdefault(form, 0)
                    out[key][form] += n
            store.close()
    finally:
        reader.close()
    return out


@pytest.mark.parametrize("how", ["one process, spilled", "two processes", "merged"])
def test_the_posting_store_holds_whooshs_postings_and_the_counts(tmp_path, corpus_documents, monkeypatch, how):
    import indexer.index as index_module
    ix = Index(tmp_path / "fast").ix
    if how == "one process, spilled":
        build(ix, lambda ix: FastSegmentWriter(ix, limit_postings=20_000, max_segment_docs=700, **FAST),
              corpus_documents)
    elif how == "two processes":
        writer = FastMpWriter(ix, procs=2, multisegment=True, batchsize=50, limit_postings=20_000, **FAST)
        add_grouped(writer, corpus_documents)
        writer.commit(merge=False)
    else:  # two segments merged into one, with deletions: the counts keep every document's
        monkeypatch.setattr(index_module, "MAX_SEGMENTS", 1)
        monkeypatch.setattr(index_module, "MERGE_AT_ONCE", 2)
        build(ix, lambda ix: FastSegmentWriter(ix, **FAST), corpus_documents, halves=True)
        writer = FastSegmentWriter(ix, **FAST)
        writer.delete_by_term("kind", "notice")
        writer.commit(mergetype=merge_when_many)
        assert len(ix._segments()) == 1
    assert len(ix._segments()) >= (1 if how == "merged" else 2)
    assert_store_is_whooshs(ix)
    expected = expected_counts(corpus_documents)
    keys = sorted(expected)[::7] + ["giai phong", "khongcotunaynhe"]
    assert {k: v for k, v in stored_counts(ix, keys).items()} == {k: expected[k] for k in keys if k in expected}
    assert "giai phong" in expected and expected["giai phong"]


def test_a_segment_without_a_store_is_read_through_whoosh(tmp_path, corpus_documents):
    """An index written by whoosh's own writer (no posting store): the fast path falls
    back to whoosh's blocks, with the same arrays."""
    fast, plain = Index(tmp_path / "fast"), Index(tmp_path / "plain")
    build(fast.ix, lambda ix: FastSegmentWriter(ix, **FAST), corpus_documents)
    build(plain.ix, lambda ix: SegmentWriter(ix), corpus_documents)
    a, b = fast.snapshot(), plain.snapshot()
    assert a.parts[0][0].store is not None and b.parts[0][0].store is None
    for fieldname, text in (("folded", "giai"), ("exact", "đảng"), ("header", "uy"), ("kind", "notice"),
                            ("topics", "y-te"), ("folded", "khongcotunaynhe")):
        for got, want in zip(a.postings(fieldname, text), b.postings(fieldname, text)):
            assert got.tolist() == want.tolist()
        if fieldname == "folded":  # the one field with positions
            assert len(a.position_keys(fieldname, text)) > 10 or text == "khongcotunaynhe"
            assert a.position_keys(fieldname, text).tolist() == b.position_keys(fieldname, text).tolist()


def test_a_store_of_another_layout_is_read_through_whoosh(tmp_path, corpus_documents, monkeypatch):
    """A posting store written in an older layout (another magic) is not read: the
    segment falls back to whoosh's blocks until a reindex, with the same postings."""
    from indexer.index import poststore
    fast = Index(tmp_path / "fast")
    build(fast.ix, lambda ix: FastSegmentWriter(ix, **FAST), corpus_documents)
    expected = fast.snapshot().postings("folded", "giai")
    monkeypatch.setattr(poststore, "MAGIC", b"KLPOST99")
    again = Index(tmp_path / "fast").snapshot()
    assert again.parts[0][0].store is None
    for got, want in zip(again.postings("folded", "giai"), expected):
        assert got.tolist() == want.tolist() and len(got) > 10



@pytest.mark.parametrize("column, value", [
    (lambda: columns.NumericColumn("Q"), lambda n: n),
    (lambda: columns.NumericColumn("i", default=-1), lambda n: n % 1000),
    (lambda: columns.FixedBytesColumn(3, b"abc"), lambda n: b"%03d" % (n % 1000)),
    (lambda: columns.VarBytesColumn(), lambda n: b"x" * (n % 300 + 200)),
    (lambda: columns.CompressedBytesColumn(), lambda n: b"y" * (n % 9 + 1)),
])
def test_column_gaps_are_filled_as_whoosh_fills_them(column, value, monkeypatch):
    """The sparse columns' gaps written at once (`_fill_fixed`, `_fill_varbytes`) give
    the bytes whoosh's own one-by-one fill gives, where a gap's first entry widens the
    arrays' type too (more than 255 bytes before it, more than 65,535 documents)."""
    docnums = [3, 4, 40, 41, 70_000, 70_003]

    def written(fill, fill_varbytes) -> bytes:
        monkeypatch.setattr(columns.ColumnWriter, "fill", fill)
        monkeypatch.setattr(columns.VarBytesColumn.Writer, "fill", fill_varbytes)
        storage = RamStorage()
        f = storage.create_file("column")
        writer = column().writer(f)
        for docnum in docnums:
            writer.add(docnum, value(docnum))
        writer.finish(70_010)
        f.close()
        return storage.open_file("column").read()

    assert written(_fill_fixed, _fill_varbytes) == written(*WHOOSH_FILLS)
