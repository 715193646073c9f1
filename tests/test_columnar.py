"""indexer/index/columnar.py reads whoosh's private segment format: every array it
builds must equal what whoosh's own readers and matchers give, on an index of several
segments with deletions (the corpus, 120 generated notices, then one file replaced)."""
import shutil
import sys

import numpy as np
import pytest
from whoosh import query as wq

from conftest import CORPUS, ROOT
from indexer.index import AGGREGATED_FIELDS, INHERITED_FIELDS
from indexer.index.columnar import ByteCache


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from indexer.index import Index
    from indexer.ingest import ingest
    sys.path.insert(0, str(ROOT / "bench"))
    import generate
    tmp = tmp_path_factory.mktemp("columnar")
    generate.generate(tmp / "generated", 120, seed=7)
    src = tmp / "corpus"
    src.mkdir()
    for name in ("001_tb_thi_uy_ben_cat.txt", "002_ubnd_huyen_ket_luan.txt", "005_hai_thong_bao.txt"):
        shutil.copy(CORPUS / name, src / name)
    root = tmp / "data"
    ingest([src], root, jobs=1)
    ingest([tmp / "generated"], root, jobs=2)  # more segments, from two processes
    (src / "002_ubnd_huyen_ket_luan.txt").write_text((CORPUS / "003_tinh_uy_sections.txt").read_text())
    ingest([src], root, jobs=1)  # a changed file: its old documents are deleted
    index = Index(root / "index")
    assert len(index.ix._segments()) >= 3
    return index


def whoosh_docs(searcher, query) -> list[int]:
    return sorted(searcher.docs_for_query(query))


@pytest.mark.parametrize("fieldname, text", [("folded", "dang"), ("folded", "giai"), ("exact", "đảng"),
                                             ("header", "uy"), ("kind", "item"), ("topics", "y-te"),
                                             ("number", "tb"), ("folded", "khongcotu")])
def test_postings_are_whooshs(index, fieldname, text):
    snap = index.snapshot()
    ids, weights = snap.postings(fieldname, text)
    with index.reading() as searcher:
        expected = {}
        for sub, offset in searcher.leaf_searchers():
            if text.encode() in set(sub.reader().lexicon(fieldname)):
                m = sub.reader().postings(fieldname, text)
                while m.is_active():
                    if not sub.reader().is_deleted(m.id()):
                        expected[m.id() + offset] = m.weight()
                    m.next()
    if fieldname in AGGREGATED_FIELDS:  # a notice holds its own text's postings and its items'
        for docnum, weight in list(expected.items()):
            if not snap.is_notice[docnum]:
                notice = int(snap.parent[docnum])
                expected[notice] = expected.get(notice, 0.0) + weight
        assert any(snap.is_notice[d] for d in expected) or not expected
    if fieldname in INHERITED_FIELDS:  # an item holds its notice's postings and its own
        for docnum, weight in [(d, w) for d, w in expected.items() if snap.is_notice[d]]:
            for item in np.flatnonzero((snap.parent == docnum) & snap.is_item).tolist():
                expected[item] = expected.get(item, 0.0) + weight
        assert any(not snap.is_notice[d] for d in expected) or not expected
    assert len(set(ids.tolist())) == len(ids)
    assert dict(zip(ids.tolist(), weights.tolist())) == expected


@pytest.mark.parametrize("fieldname, text", [("folded", "dang"), ("folded", "giai"), ("exact", "đảng"),
                                             ("header", "uy"), ("topics", "y-te"), ("number", "tb"),
                                             ("kind", "notice"), ("folded", "khongcotu")])
def test_which_documents_hold_a_term_by_binary_search_or_by_a_mask(index, fieldname, text):
    snap = index.snapshot()
    ids = snap.postings(fieldname, text)[0]
    holds = np.zeros(snap.n, bool)
    holds[ids] = True
    rng = np.random.default_rng(3)
    for size in (1, 5, 40, snap.n // 3, snap.n):  # few asked (searched for) and many (a mask)
        docnums = np.sort(rng.choice(snap.n, size, replace=False))
        assert snap.holding(fieldname, text, docnums).tolist() == holds[docnums].tolist()
    if len(ids):
        assert snap.holding(fieldname, text, np.sort(ids[:3])).all()


def test_lengths_kinds_and_parents_are_whooshs(index):
    snap = index.snapshot()
    with index.reading() as searcher:
        reader = searcher.reader()
        notices = set(whoosh_docs(searcher, wq.Term("kind", "notice")))
        owner = whoosh_owners(searcher)
        folded, header, dates = snap.lengths("folded"), snap.lengths("header"), snap.column("date")
        for docnum in range(snap.n):
            expected = reader.doc_field_length(docnum, "folded") or 0
            if snap.is_notice[docnum]:  # its own text and its items'
                expected += sum(reader.doc_field_length(int(d), "folded") or 0 for d in np.flatnonzero(
                    (snap.parent == docnum) & snap.is_item))
            assert folded[docnum] == expected
            expected = reader.doc_field_length(docnum, "header") or 0
            if snap.parent[docnum] not in (-1, docnum):  # an item: its own and its notice's
                expected += reader.doc_field_length(int(snap.parent[docnum]), "header") or 0
                assert dates[docnum] == dates[snap.parent[docnum]]  # and its notice's date
            assert header[docnum] == expected
            if not snap.live[docnum]:
                assert reader.is_deleted(docnum)
                continue
            assert snap.is_notice[docnum] == (docnum in notices)
            parent = int(snap.parent[docnum])
            assert parent in notices and owner[parent] == owner[docnum]


def whoosh_owners(searcher) -> dict[int, str]:
    """Each document's notice id, from whoosh's `notice_id` postings."""
    owner = {}
    for term in searcher.reader().lexicon("notice_id"):
        text = term.decode() if isinstance(term, bytes) else term
        for docnum in whoosh_docs(searcher, wq.Term("notice_id", text)):
            owner[docnum] = text
    return owner


def test_document_keys_find_each_item_in_its_notice(index):
    """An item document stores nothing: its id and position come from its place after
    its notice document, and must be those of the item it was written from."""
    from indexer.archive import Archive
    snap = index.snapshot()
    with index.reading() as searcher:
        owner = whoosh_owners(searcher)
    positions: dict[str, list[int]] = {}
    for docnum in np.flatnonzero(snap.live).tolist():
        doc_id, nid, kind, position = snap.document_key(docnum)
        assert nid == owner[docnum] and kind == ("notice" if snap.is_notice[docnum] else "item")
        if kind == "item":
            assert doc_id == f"{nid}#{position}"
            positions.setdefault(nid, []).append(position)
        else:
            assert doc_id == nid and position is None
    with Archive(index.path.parent) as archive:
        for stored in archive.notices_of():
            if stored.id in positions:
                assert positions[stored.id] == list(range(len(stored.notice.items)))
    assert len(positions) > 50


def test_columns_and_keywords_are_whooshs(index):
    import datetime as dt

    from indexer.index.columnar import MISSING_DATE, date_key
    snap = index.snapshot()
    dated = 0
    with index.reading() as searcher:
        dates = searcher.reader().column_reader("date", translate=True)
        years = searcher.reader().column_reader("year", translate=True)
        for docnum in np.nonzero(snap.live)[0].tolist():
            source = docnum if snap.is_notice[docnum] else int(snap.parent[docnum])  # an item's are its notice's
            date, year = dates[source], years[source]
            dated += bool(date)
            assert snap.column("date")[docnum] == (date_key(date) if date else MISSING_DATE)
            assert snap.column("year")[docnum] == (year if year else MISSING_DATE)
        for fieldname in ("level", "topics"):
            notices, items = snap.keyword(fieldname, "notice"), snap.keyword(fieldname, "item")
            assert notices.values == items.values
            for code, value in enumerate(notices.values):
                found = notices.docs[notices.codes == code].tolist() + items.docs[items.codes == code].tolist()
                expected = {d for d in whoosh_docs(searcher, wq.Term(fieldname, value)) if snap.live[d]}
                if fieldname in INHERITED_FIELDS:  # and the items of the notices that hold it
                    expected |= set(np.flatnonzero(np.isin(snap.parent, list(expected)) & snap.is_item).tolist())
                assert sorted(found) == sorted(expected)
                assert snap.is_notice[notices.docs].all() and snap.is_item[items.docs].all()
    assert dated > 10
    assert date_key(dt.date(2021, 7, 8)) == date_key(dt.datetime(2021, 7, 8))


def test_columns_read_at_once_are_whooshs_per_document(index):
    """column_values reads a numeric column's bytes in one go (whoosh's private layout);
    whoosh's reader, one document at a time, must agree, defaults after the last value
    included."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN
    from whoosh.columns import NumericColumn

    from indexer.index.columnar import column_values
    checked = 0
    with index.reading() as searcher:
        for sub, _ in searcher.leaf_searchers():
            reader = sub.reader()
            n = reader.doc_count_all()
            columns = [reader._perdoc._cached_reader(f"_{f}_len", LENGTHS_COLUMN) for f in ("folded", "exact")]
            columns += [reader.column_reader(f, translate=False) for f in ("date", "deadline", "year")]
            for column in columns:
                assert isinstance(column, NumericColumn.Reader)  # the layout read at once
                values = column_values(column, n, np.uint64)
                assert values.tolist() == [column[i] for i in range(n)]
                checked += 1
    assert checked >= 15


def test_phrase_matches_are_whooshs(index):
    snap = index.snapshot()
    every = np.nonzero(snap.live)[0]
    for words in (["giai", "phong", "mat", "bang"], ["dang", "vien"], ["mat", "giai"]):
        found = every[snap.phrase_matches("folded", words, every)].tolist()
        with index.reading() as searcher:
            expected = whoosh_docs(searcher, wq.Phrase("folded", words))
        # a notice holds a phrase its own text or one of its items holds
        expected = sorted(set(expected) | {int(snap.parent[d]) for d in expected if snap.is_item[d]})
        assert found == expected


def test_a_notice_and_its_items_stay_in_one_segment(index):
    """The writer starts a new segment only at a notice (whoosh's groups keep the
    sub-writer batches whole)."""
    snap = index.snapshot()
    for arrays, _ in snap.parts:
        assert arrays.n == 0 or arrays.is_notice[0]


def test_segment_files_are_read_from_disk_not_copied(index, tmp_path):
    """whoosh-reloaded copies each memory-mapped part of a compound segment into a
    BytesIO (every searcher held a private copy of the index): the index is opened, and
    created, without memory maps, so its segments are read from the file."""
    import io

    from indexer.index import Index
    from indexer.ingest import ingest
    fresh = Index(tmp_path / "new-index")  # created here, then written by another Index
    ingest([CORPUS / "001_tb_thi_uy_ben_cat.txt"], tmp_path)
    for opened in (index, fresh, Index(tmp_path / "index")):
        assert not opened.ix.storage.supports_mmap
    ingest([CORPUS / "002_ubnd_huyen_ket_luan.txt"], tmp_path / "other", jobs=1)
    written = Index(tmp_path / "other" / "index")
    for idx in (index, written):
        with idx.reading() as searcher:
            for reader, _ in searcher.reader().leaf_readers():
                assert not isinstance(reader._terms._dbfile.file, io.BytesIO)


def test_a_notice_is_indexed_as_its_own_text_and_its_items(index):
    """Every notice's words are counted once: its document's own text and its items'
    texts hold exactly the words of its body."""
    from collections import Counter

    from indexer.archive import Archive
    from indexer.index import _TOKEN, own_text
    checked = 0
    with Archive(index.path.parent) as archive:
        for stored in archive.notices_of():
            notice = stored.notice
            words = Counter(w.lower() for w in _TOKEN.findall(own_text(notice.body, notice.items)))
            for item in notice.items:
                words.update(w.lower() for w in _TOKEN.findall(item.full_text))
            assert words == Counter(w.lower() for w in _TOKEN.findall(notice.body)), stored.id
            checked += bool(notice.items)
    assert checked > 100


@pytest.mark.parametrize("body, items, own", [
    ("Mở đầu.\n1. Giao A làm x.\n2. Giao B làm y.\nNơi nhận", ["Giao A làm x.", "Giao B làm y."],
     "Mở đầu.\n1. \n\n2. \n\nNơi nhận"),  # an item's text cut out, a line break in its place
    ("A b a b", ["a b"], "A b \n"),  # where it stands as written
    ("A b, a c", ["a b a"], "\n c"),  # else its words, as a run (the first)
    ("Giao việc xong", ["việc"], "Giao \n xong"),
    ("Giao việcxong việc", ["việc"], "Giao việcxong \n"),  # not inside a word
    ("x y z", [], "x y z"),
    # an item the parser rewrote (`Uỷban` repaired): its words are taken out one by one
    ("Mở đầu Uỷban giao việc. Kết", ["Ủy ban giao việc."], "Mở đầu Uỷban Kết"),
    ("Giao việc giao việc", ["giao việc", "giao việc"], "\n \n"),
])
def test_own_text(body, items, own):
    from indexer.index import own_text
    from indexer.model import Item
    assert own_text(body, [Item(None, t) for t in items]) == own


def test_the_stores_read_as_one_equal_each_segments_store(index):
    """`StoreSet` finds a term in every segment at once: for every term of every field,
    its postings, positions and counts are those of the segments' own stores, put
    together in document order."""
    snap = index.snapshot()
    assert snap._stores is not None and len(snap.parts) >= 3
    checked = 0
    for fieldname in ("folded", "header", "exact", "number", "cites", "kind", "issuer", "topics"):
        terms = sorted({t for arrays, _ in snap.parts for t in arrays.terms(fieldname)})
        for text in terms:
            ids, tf = snap._stores.postings(fieldname, text)
            parts = [(arrays.postings(fieldname, text), offset) for arrays, offset in snap.parts]
            assert ids.tolist() == [int(d) + offset for (i, _), offset in parts for d in i], (fieldname, text)
            assert tf.tolist() == [w for (_, t), _ in parts for w in t.tolist()]
            checked += 1
            if fieldname == "folded":
                docs, positions = snap._stores.positions(fieldname, text)
                each = [(arrays.positions(fieldname, text), offset) for arrays, offset in snap.parts]
                assert docs.tolist() == [int(d) + offset for (d_, _), offset in each for d in d_]
                assert positions.tolist() == [p for (_, p_), _ in each for p in p_.tolist()]
    assert checked > 1000
    for key in ("dang", "giai phong", "khongcotu"):
        expected: dict[str, int] = {}
        for arrays, _ in snap.parts:
            for form, n in arrays.counts("spelling", key).items():
                expected[form] = expected.get(form, 0) + n
        assert snap.counts("spelling", key) == expected
    assert snap.counts("spelling", "dang")


@pytest.mark.parametrize("text, words, pairs", [
    ("Giải phóng mặt bằng", ["Giải", "phóng", "mặt", "bằng"], ["Giải phóng", "phóng mặt", "mặt bằng"]),
    ("năm 2024 tỉnh; Đảng ủy.", ["năm", "tỉnh", "Đảng", "ủy"], ["năm tỉnh", "Đảng ủy"]),  # digits part no pair
    ("a-b c_d\ne (f) “g” h", list("abcdefgh"), ["a b", "b c", "c d"]),  # brackets and quotes part pairs
    ("lặp lặp lặp", ["lặp"], ["lặp lặp"]),
    ("", [], []),
])
def test_spelling_terms_are_words_and_adjacent_pairs(text, words, pairs):
    from indexer.index import spelling_terms
    from indexer.normalize import fold
    terms = spelling_terms(text)
    assert sorted(terms) == sorted([(fold(w).lower(), w) for w in words] +
                                   [(fold(p).lower(), p) for p in pairs])


SPELLING_TEXTS = [
    "Giải phóng mặt bằng", "năm 2024 tỉnh; Đảng ủy.", "a-b c_d\ne (f) “g” h", "lặp lặp lặp", "", "  \n\n ",
    "2024", "x\x00y z", "tab\tsep x\u00a0y\r\nz", "Ho\u0300a thuy\u0309 HOÀ hoà", "a.b,c;d:e!f?g(h)i[j]k\"l m",
    "İstanbul ǅemal ß ﬁ", "một\n\nhai ba... bốn", "ab12cd ef", "GIẢI PHÓNG mặt bằng Giải phóng",
]


def test_a_writers_spelling_counts_are_notices_per_form():
    """SpellingCounts (numbers per notice, strings per segment) counts what a Counter of
    each notice's `spelling_forms` would, merged segments' counts included."""
    from collections import Counter

    from indexer.index import SpellingCounts, spelling_forms
    texts = SPELLING_TEXTS + [" ".join(SPELLING_TEXTS), "\n".join(reversed(SPELLING_TEXTS))]
    texts += [CORPUS_TEXT[n:n + 3000] for n in range(0, len(CORPUS_TEXT), 2500)]
    expected, counts = Counter(), SpellingCounts()
    for text in texts:
        expected.update(spelling_forms(text))
        counts.add(text)
    merged = {"Giải phóng": 3, "xyz": 2}
    expected.update(merged)
    counts.update(merged)
    assert dict(counts.items()) == dict(expected) and len(expected) > 1000


CORPUS_TEXT = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                        for p in sorted(CORPUS.rglob("*")) if p.is_file() and p.suffix in (".txt", ".md", ".html"))


class _Builds:
    """A fake clock for ByteCache and builders that take a given time."""

    def __init__(self):
        self.now = 0.0
        self.built: list[str] = []

    def clock(self) -> float:
        return self.now

    def __call__(self, name: str, size: int, seconds: float):
        def build():
            self.now += seconds
            self.built.append(name)
            return np.zeros(size, np.uint8)
        return build


def test_the_cache_keeps_to_its_budget_and_drops_what_is_cheapest_per_byte():
    builds = _Builds()
    cache = ByteCache(1000, clock=builds.clock)
    cache.get("small and slow", builds("small and slow", 300, 0.010))
    cache.get("big and quick", builds("big and quick", 600, 0.001))
    cache.get("new", builds("new", 300, 0.005))
    assert cache.used <= 1000
    assert "big and quick" not in cache and "small and slow" in cache and "new" in cache
    cache.get("small and slow", builds("small and slow", 300, 0.010))
    assert builds.built.count("small and slow") == 1  # a hit: not built again


def test_the_cache_keeps_what_is_used_again_and_ages_out_what_is_not():
    builds = _Builds()
    cache = ByteCache(1000, clock=builds.clock)
    cache.get("used", builds("used", 400, 0.004))
    cache.get("once", builds("once", 400, 0.004))
    for _ in range(3):
        cache.get("used", builds("used", 400, 0.004))
    cache.get("third", builds("third", 400, 0.004))
    assert "used" in cache and "once" not in cache
    for n in range(100):  # a stream of new entries, each used once, eventually displaces it
        cache.get(n, builds(str(n), 400, 0.004))
    assert "used" not in cache and cache.used <= 1000


def test_a_loop_needing_twice_the_budget_still_hits_the_cache():
    """Rare words' postings are small and common words' large, and reading either costs
    about the same (a read per segment). Least-recently-used would evict every entry
    just before the loop comes back to it: 100 builds."""
    builds = _Builds()
    cache = ByteCache(10_000, clock=builds.clock)
    for _ in range(5):
        for n in range(20):
            cache.get(n, builds(str(n), 100 if n % 2 else 2000, 0.001))
    assert sorted(set(builds.built), key=int) == [str(n) for n in range(20)]
    assert all(builds.built.count(str(n)) == 1 for n in range(1, 20, 2))  # the small ones stay
    assert cache.used <= 10_000


def test_what_a_running_search_has_used_is_evicted_last():
    builds = _Builds()
    cache = ByteCache(1000, clock=builds.clock)
    cache.get("dear", builds("dear", 300, 0.1))
    with cache.pinning():
        cache.get("common word", builds("common word", 600, 0.0001))
        cache.get("another", builds("another", 300, 0.001))
        assert "common word" in cache  # the search will read it again
        assert "dear" not in cache
        with cache.pinning():  # nested: the same scope
            cache.get("more", builds("more", 200, 0.0001))
    assert cache.used <= 1000
    cache.get("after", builds("after", 600, 0.01))
    assert "common word" not in cache  # no longer pinned


def test_a_search_needing_more_than_the_budget_evicts_its_own_entries():
    builds = _Builds()
    cache = ByteCache(1000, clock=builds.clock)
    with cache.pinning():
        for n in range(5):
            cache.get(n, builds(str(n), 400, 0.001))
            assert cache.used <= 1000


def test_the_cache_stays_right_after_many_uses_compact_its_queue():
    builds = _Builds()
    cache = ByteCache(1000, clock=builds.clock)
    cache.get("often", builds("often", 400, 0.004))
    cache.get("seldom", builds("seldom", 400, 0.004))
    for _ in range(500):  # each use queues the entry again; the stale ones are dropped
        cache.get("often", builds("often", 400, 0.004))
    assert len(cache._heap) <= 4 * 2 + 64
    cache.get("new", builds("new", 400, 0.004))
    assert "often" in cache and "new" in cache and "seldom" not in cache
    assert builds.built.count("often") == 1
