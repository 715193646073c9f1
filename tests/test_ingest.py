import os
import shutil
import subprocess
import sys

import pytest

from conftest import CORPUS, CORPUS_DISTINCT, CORPUS_NOTICES, ROOT
from indexer import ingest as ingest_module
from indexer.archive import Archive
from indexer.errors import IndexBusy, UnreadableFile
from indexer.index import Index
from indexer.ingest import RunLock, ingest, reindex
from indexer.search import SearchRequest, search

BAD_FILES = {
    "empty.txt": b"",
    "binary.txt": bytes(range(256)) * 8,
    "broken.xml": b"<root><unclosed></root>",
    "xxe.xml": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    "broken.docx": b"PK\x03\x04not a zip",
    "picture.bmp": b"BM\x00\x00",
    "broken.png": b"\x89PNG\r\n\x1a\n",
    "broken.pdf": b"%PDF-1.4\n%%EOF\n",
}


def copy_corpus(tmp_path, names=("000_a17ca67a3d6ef935.txt", "001_tb_thi_uy_ben_cat.txt", "005_hai_thong_bao.txt")):
    src = tmp_path / "in"
    src.mkdir()
    for name in names:
        shutil.copy(CORPUS / name, src / name)
    return src


def counts(root):
    with Archive(root) as archive:
        stats = archive.stats()
    return stats["notices"], stats["items"], Index(root / "index").kind_counts()


def test_index_whole_corpus(corpus_archive):
    with Archive(corpus_archive) as archive:
        stats = archive.stats()
    docs = Index(corpus_archive / "index").kind_counts()
    assert stats["notices"] == CORPUS_NOTICES and stats["items"] > 60
    # each notice once: the copies are archived, not indexed
    assert stats["distinct_notices"] == CORPUS_DISTINCT == CORPUS_NOTICES - stats["copies"]
    assert docs == {"notice": stats["distinct_notices"], "item": stats["distinct_items"]}


def test_rerun_is_idempotent_and_changed_file_replaces(tmp_path):
    src = copy_corpus(tmp_path)
    root = tmp_path / "data"
    first = ingest([src], root)
    assert (first.new, first.notices) == (3, 4)
    again = ingest([src], root)
    assert (again.new, again.unchanged) == (0, 3)
    before = counts(root)
    (src / "001_tb_thi_uy_ben_cat.txt").write_text((CORPUS / "002_ubnd_huyen_ket_luan.txt").read_text())
    changed = ingest([src], root)
    assert changed.new == 1
    notices, items, docs = counts(root)
    assert notices == before[0] and docs["notice"] == notices and docs["item"] == items
    idx = Index(root / "index")
    assert search(idx, SearchRequest(q="\"Vành đai 4\"")).total == 0
    assert search(idx, SearchRequest(q="Củ Chi", kind="notice")).hits[0].issuer == "Ủy ban nhân dân huyện Củ Chi"


def notice_rows(root):
    with Archive(root) as archive:
        return archive.db.execute("SELECT rowid, id FROM notices ORDER BY rowid").fetchall()


def test_bytes_already_archived_under_another_path_add_only_that_path(tmp_path):
    src = copy_corpus(tmp_path)
    root = tmp_path / "data"
    ingest([src], root)
    rows = notice_rows(root)
    cu_chi = search(Index(root / "index"), SearchRequest(q="Củ Chi", kind="notice")).total
    more = tmp_path / "more"
    more.mkdir()
    for name in ("copy_a.txt", "copy_b.txt"):  # the same bytes twice more in one run
        shutil.copy(src / "001_tb_thi_uy_ben_cat.txt", more / name)
    shutil.copy(CORPUS / "002_ubnd_huyen_ket_luan.txt", more / "002.txt")
    summary = ingest([more], root)
    assert (summary.new, summary.known_content, summary.files) == (1, 2, 3)
    assert summary.notices == 1
    assert notice_rows(root)[:len(rows)] == rows  # not forgotten and catalogued again
    with Archive(root) as archive:
        sha = archive.status_of_path(str(src / "001_tb_thi_uy_ben_cat.txt"))[0]
        assert {archive.status_of_path(str(more / n)) for n in ("copy_a.txt", "copy_b.txt")} == \
            {(sha, "indexed", (src / "001_tb_thi_uy_ben_cat.txt").stat().st_size)}
    idx = Index(root / "index")
    assert search(idx, SearchRequest(q="\"Vành đai 4\"", kind="notice")).total == 1
    assert search(idx, SearchRequest(q="Củ Chi", kind="notice")).total == cu_chi + 1
    cli = subprocess.run([sys.executable, "-m", "indexer.cli", "index", str(more), "--data", str(tmp_path / "cli")],
                         capture_output=True, text=True, cwd=ROOT)
    assert cli.returncode == 0 and "3 files: 2 new, 1 already archived under another path, 0 unchanged" in cli.stdout


@pytest.mark.parametrize("renamed_to", ["000a_renamed.txt", "zzz_renamed.txt"])  # read before, or after, its old name
def test_a_file_renamed_while_new_bytes_take_its_old_name(tmp_path, renamed_to):
    src = copy_corpus(tmp_path)
    root = tmp_path / "data"
    ingest([src], root)
    cu_chi = search(Index(root / "index"), SearchRequest(q="Củ Chi", kind="notice")).total
    old = src / "001_tb_thi_uy_ben_cat.txt"
    os.rename(old, src / renamed_to)
    old.write_bytes((CORPUS / "002_ubnd_huyen_ket_luan.txt").read_bytes())
    summary = ingest([src], root)
    assert summary.new + summary.known_content == 2
    idx = Index(root / "index")
    assert search(idx, SearchRequest(q="\"Vành đai 4\"", kind="notice")).total == 1
    assert search(idx, SearchRequest(q="Củ Chi", kind="notice")).total == cu_chi + 1
    again = ingest([src], root)
    assert again.unchanged == 4 and again.files == 4


def test_crash_between_archive_and_index_is_repaired_by_rerun(tmp_path, monkeypatch):
    src = copy_corpus(tmp_path)
    root = tmp_path / "data"
    import indexer.ingest as ingest_module

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_module, "_index_batch", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest([src], root)
    monkeypatch.undo()
    with Archive(root) as archive:
        assert len(archive.pending()) >= 1
    ingest([src], root)
    notices, items, docs = counts(root)
    assert docs == {"notice": notices, "item": items} and notices == 4


def test_bad_files_are_reported_and_the_run_completes(tmp_path):
    src = copy_corpus(tmp_path, names=("001_tb_thi_uy_ben_cat.txt",))
    for name, data in BAD_FILES.items():
        (src / name).write_bytes(data)
    os.symlink(src / "loop", src / "loop")
    root = tmp_path / "data"
    summary = ingest([src], root)
    statuses = {os.path.basename(p): (s, r) for p, s, r in summary.report}
    assert summary.new == 1 and summary.skipped == 1
    assert statuses["picture.bmp"][0] == "skipped"
    for name in ("empty.txt", "binary.txt", "broken.xml", "xxe.xml", "broken.docx", "loop", "broken.png", "broken.pdf"):
        assert statuses[name][0] == "failed", name
    report = (root / "report.tsv").read_text()
    assert "xxe.xml\tfailed\t" in report and "entities" in report
    with Archive(root) as archive:
        assert {os.path.basename(p) for p, _ in archive.failures()} >= {"binary.txt", "xxe.xml"}


def test_cli_exit_codes(tmp_path):
    src = copy_corpus(tmp_path, names=("001_tb_thi_uy_ben_cat.txt",))
    run = lambda *a: subprocess.run([sys.executable, "-m", "indexer.cli", *a], capture_output=True, text=True)  # noqa: E731
    ok = run("index", str(src), "--data", str(tmp_path / "d"))
    assert ok.returncode == 0, ok.stderr
    (src / "bad.txt").write_bytes(b"\x00" * 100)
    bad = run("index", str(src), "--data", str(tmp_path / "d"))
    assert bad.returncode == 1 and "bad.txt" in bad.stderr
    assert run("index", "--data", str(tmp_path / "d")).returncode == 2


def test_reindex_gives_the_same_results(tmp_path):
    src = copy_corpus(tmp_path)
    root = tmp_path / "data"
    ingest([src], root)
    request = SearchRequest(q="dang vien", limit=50)
    before = [(h.id, h.score) for h in search(Index(root / "index"), request).hits]
    reindex(root)
    after = [(h.id, h.score) for h in search(Index(root / "index"), request).hits]
    assert before == after and before


def test_reindex_keeps_the_document_order_ingest_gave(tmp_path):
    """Equal scores rank in document order: a rebuild from the catalog writes the
    notices in the order they were archived, as ingest did, so ties keep their order."""
    root = tmp_path / "data"
    ingest([CORPUS], root)

    def notice_order():
        snap = Index(root / "index").snapshot()
        return [snap.stored(d)["id"] for d in range(snap.n) if snap.is_notice[d]]

    before = notice_order()
    reindex(root)
    assert notice_order() == before and len(before) == CORPUS_DISTINCT


def test_a_rebuild_looks_nothing_up_in_the_index_it_replaces(tmp_path, monkeypatch):
    """A delete per notice made the writer hold the old index (3 GB at 100k)."""
    from whoosh.writing import SegmentWriter
    root = tmp_path / "data"
    ingest([copy_corpus(tmp_path)], root)

    def refuse(*args, **kwargs):
        raise AssertionError("a rebuild deleted by term")

    monkeypatch.setattr(SegmentWriter, "delete_by_term", refuse)
    assert reindex(root) > 0


def test_reindex_with_two_writer_processes(tmp_path):
    """Two sub-writers, one segment each: the same hits, scores and totals."""
    sys.path.insert(0, str(ROOT / "bench"))
    import generate
    generate.generate(tmp_path / "generated", 80, seed=5)
    root = tmp_path / "data"
    ingest([CORPUS, tmp_path / "generated"], root, jobs=2)

    def results():
        index = Index(root / "index")
        found = [search(index, SearchRequest(q=q, limit=30)) for q in ("dang vien", "UBND huyen", "giai phong mat bang")]
        return [(r.total, sorted((h.id, h.score) for h in r.hits)) for r in found], len(index.ix._segments())

    before, _ = results()
    assert reindex(root, jobs=2) > 500
    after, segments = results()
    assert after == before and segments == 2


def test_second_run_is_refused_while_one_holds_the_lock(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(IndexBusy):
            ingest([CORPUS / "001_tb_thi_uy_ben_cat.txt"], tmp_path)


def test_originals_are_content_addressed(tmp_path):
    src = copy_corpus(tmp_path, names=("001_tb_thi_uy_ben_cat.txt",))
    root = tmp_path / "data"
    ingest([src], root)
    stored = list((root / "originals").glob("*/*"))
    assert len(stored) == 1 and stored[0].read_bytes() == (src / "001_tb_thi_uy_ben_cat.txt").read_bytes()


@pytest.mark.parametrize("files,expected", [(0, 500), (3_000, 500), (10_000, 1000), (15_000, 1500), (100_000, 2000), (10**6, 2000)])
def test_large_runs_commit_less_often(files, expected, monkeypatch):
    from indexer.ingest import batch_size
    monkeypatch.delenv("KETLUAN_COMMIT_EVERY", raising=False)
    assert batch_size(files) == expected
    monkeypatch.setenv("KETLUAN_COMMIT_EVERY", "60")
    assert batch_size(files) == 60


def test_segments_are_merged_only_when_there_are_many(tmp_path, monkeypatch):
    import indexer.index as index_module
    monkeypatch.setattr(index_module, "MAX_SEGMENTS", 4)
    monkeypatch.setattr(index_module, "MERGE_AT_ONCE", 3)
    monkeypatch.setenv("KETLUAN_COMMIT_EVERY", "1")
    src = copy_corpus(tmp_path, names=[p.name for p in sorted(CORPUS.glob("0[01]*.txt"))][:6])
    root = tmp_path / "data"
    segments = []
    for path in sorted(src.iterdir()):  # one run, one commit, one new segment per file
        ingest([path], root)
        segments.append(len(Index(root / "index").ix.reader().leaf_readers()))
    # The 6th commit finds 5 > 4 segments: the 3 smallest merge into its new one.
    assert segments == [1, 2, 3, 4, 5, 3]
    notices, items, docs = counts(root)
    assert docs == {"notice": notices, "item": items}


def test_cli_ocr_timeout_and_scans_needing_ocr(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(CORPUS / "040_scan.png", src)
    env = {**os.environ, "PATH": "/nonexistent"}  # no tesseract on the PATH
    run = subprocess.run([sys.executable, "-m", "indexer.cli", "index", str(src), "--data", str(tmp_path / "d"),
                          "--ocr-timeout", "5", "--quiet"], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert "1 scanned files were skipped: they need OCR" in run.stdout
    bad = subprocess.run([sys.executable, "-m", "indexer.cli", "index", str(src), "--ocr-timeout", "0"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--ocr-timeout" in bad.stderr


def test_notices_just_catalogued_are_indexed_as_the_catalog_decodes_them(tmp_path):
    """A batch goes to the index as the workers packed it from the notices as parsed
    (not decoded again): each packed notice's JSON and documents must be what the
    catalog gives back, or an index run and a reindex would differ."""
    import pickle

    from indexer import topics
    from indexer.index import documents
    from indexer.ingest import _read_and_parse
    from indexer.read import DEFAULT_MAX_BYTES
    root = tmp_path / "data"
    ingest([CORPUS], root)
    taxonomy = str(topics.taxonomy_path(None, root))
    with Archive(root) as archive:
        stored = {s.id: s for s in archive.notices_of()}
        catalogued = dict(archive.db.execute("SELECT id, data FROM notices"))
    checked = 0
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file()):
        for prepared in _read_and_parse(str(path), DEFAULT_MAX_BYTES, taxonomy).notices:
            nid = prepared.documents.id
            assert prepared.data == catalogued[nid]
            packed = pickle.loads(prepared.documents.documents)
            assert packed == list(documents(stored[nid])) and prepared.documents.count == len(packed)
            checked += 1
    assert checked >= CORPUS_NOTICES


def test_an_original_is_stored_beside_a_temp_file_a_killed_run_left(tmp_path):
    """Temp files are named after their target; when a file of that name is left over
    (a run killed mid-copy, before `remove_temp_files`), another name is used, and the
    leftover is neither read nor kept as the original."""
    from indexer.archive import sha256_bytes
    data = "thông báo kết luận".encode() * 40
    sha = sha256_bytes(data)
    with Archive(tmp_path) as archive:
        target = archive.original_path(sha)
        target.parent.mkdir(parents=True)
        leftover = target.parent / f".tmp-{sha}"
        leftover.write_bytes(data[:7])
        archive.store_original(data, sha)
        assert target.read_bytes() == data
        assert leftover.read_bytes() == data[:7]
        assert [p.name for p in target.parent.glob(".tmp-*")] == [leftover.name]
        assert archive.remove_temp_files() == 1 and target.read_bytes() == data


def test_originals_are_written_as_a_group_whole_or_not_at_all(tmp_path, monkeypatch):
    """A group of originals is synced once, then renamed; a rename that fails leaves the
    files renamed before it complete, the others absent, and no temp file behind."""
    import indexer.archive as archive_module
    from indexer.archive import sha256_bytes
    datas = [f"thông báo {n}".encode() * 50 for n in range(4)]
    files = [(d, sha256_bytes(d), ()) for d in datas]
    with Archive(tmp_path / "ok") as archive:
        archive.store_originals(files)
        assert [archive.original_path(sha).read_bytes() for _, sha, _ in files] == datas
        assert not list(archive.originals.glob("*/.tmp-*"))

    real_replace, renames = os.replace, []

    def failing_replace(src, dst):
        if len(renames) == 2:
            raise OSError(28, "No space left on device")
        renames.append(dst)
        return real_replace(src, dst)

    monkeypatch.setattr(archive_module.os, "replace", failing_replace)
    with Archive(tmp_path / "failing") as archive:
        with pytest.raises(OSError):
            archive.store_originals(files)
        present = [archive.original_path(sha).is_file() for _, sha, _ in files]
        assert sorted(present) == [False, False, True, True]
        for (data, sha, _), there in zip(files, present):
            if there:
                assert archive.original_path(sha).read_bytes() == data
        assert not list(archive.originals.glob("*/.tmp-*"))


def test_an_index_no_query_uses_is_dropped_from_an_older_catalog(tmp_path):
    root = tmp_path / "data"
    with Archive(root) as archive:
        archive.db.execute("CREATE INDEX facts_sha ON notice_facts(sha256)")
    with Archive(root) as archive:
        names = {r[0] for r in archive.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "facts_sha" not in names and "facts_number" in names


def test_a_failed_read_of_bytes_archived_before_keeps_them_indexed(tmp_path, monkeypatch):
    src = copy_corpus(tmp_path, names=("001_tb_thi_uy_ben_cat.txt",))
    root = tmp_path / "data"
    ingest([src], root)
    more = tmp_path / "more"
    more.mkdir()
    shutil.copy(src / "001_tb_thi_uy_ben_cat.txt", more / "copy.txt")

    def timed_out(text):
        raise UnreadableFile("copy.txt", "OCR timed out")
    monkeypatch.setattr(ingest_module, "parse", timed_out)
    summary = ingest([more], root)
    assert summary.failed == 1
    with Archive(root) as archive:
        assert archive.status_of_path(str(more / "copy.txt"))[1] == "indexed"
        assert archive.stats()["notices"] == 1
    assert search(Index(root / "index"), SearchRequest(q="\"Vành đai 4\"", kind="notice")).total == 1


@pytest.mark.parametrize("root", [".", "./", "src", "./src", "src/", "src//sub/..", "src/a.txt", "missing.txt"])
def test_files_are_named_as_before_whatever_the_root_looks_like(tmp_path, monkeypatch, root):
    """`iter_files` walks with strings, and names each file as a Path would (the
    catalog keeps these names: an unchanged file must be found again by them)."""
    from pathlib import Path
    (tmp_path / "src" / "sub").mkdir(parents=True)
    for name in ("src/a.txt", "src/sub/b.txt", "src/.hidden", "top.txt"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def as_paths(top: str) -> list[str]:
        top_path = Path(top)
        if not top_path.is_dir():
            return [str(top_path)]
        return [str(Path(d) / n) for d, dirs, names in sorted(os.walk(top_path)) for n in sorted(names)
                if not n.startswith(".")]

    assert list(ingest_module.iter_files([root])) == as_paths(root)


def test_originals_are_archived_in_groups_closed_at_the_byte_limit(tmp_path, monkeypatch):
    """A group of parsed files is archived as soon as its bytes reach
    ARCHIVE_GROUP_BYTES (counted as files arrive), and the count starts again."""
    sizes: list[list[int]] = []
    store = Archive.store_originals

    def spy(self, files):
        files = list(files)
        sizes.append([len(data) for data, _, _ in files])
        return store(self, files)

    limit = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file()) // 5  # about five groups
    monkeypatch.setattr(ingest_module, "ARCHIVE_GROUP_BYTES", limit)
    monkeypatch.setattr(Archive, "store_originals", spy)
    ingest([CORPUS], tmp_path / "data")
    assert len(sizes) >= 3
    for group in sizes[:-1]:
        assert sum(group[:-1]) < limit <= sum(group)  # closed by its last file, not before nor later
