"""What a new user meets in the first hour (issue #21): the README's commands print what
it says, documentation files are not notices, the report keeps what it knew, the stats
are a table, a busy port is one line, and the site never leaves the user stranded."""
import re
import socket
import subprocess
import sys

import pytest

from conftest import CORPUS, ROOT

KETLUAN = [sys.executable, "-m", "indexer.cli"]
SUMMARY = re.compile(r"^(\d+) files: (\d+) new, (\d+) unchanged, (\d+) skipped, (\d+) failed \((\d+) with warnings\); "
                     r"(\d+) notices, (\d+) items;")


def ketluan(*args, **kwargs):
    return subprocess.run(KETLUAN + list(args), capture_output=True, text=True, cwd=ROOT, **kwargs)


def readme_summaries() -> list[tuple[int, ...]]:
    """The summary lines the README shows for `ketluan index corpus`, as numbers."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [tuple(int(g) for g in m.groups()) for m in (SUMMARY.match(line) for line in text.splitlines()) if m]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    from indexer.ocr import tesseract_ready
    if not tesseract_ready():
        pytest.skip("the README's figures count the bundled scans, which need Tesseract (make test installs it)")
    data = tmp_path_factory.mktemp("readme") / "var"
    first = ketluan("index", "corpus", "--data", str(data))
    again = ketluan("index", "corpus", "--data", str(data))
    return data, first, again


def test_readme_index_example_prints_what_the_readme_says(indexed):
    _, first, again = indexed
    assert first.returncode == 0, first.stderr
    shown = readme_summaries()
    assert len(shown) == 2, "the README shows a first run and a re-run"
    for run, expected in zip((first, again), shown):
        line = run.stdout.splitlines()[0]
        assert SUMMARY.match(line), line
        assert tuple(int(g) for g in SUMMARY.match(line).groups()) == expected, line


def test_readme_copies_line_is_what_the_run_prints(indexed):
    _, first, again = indexed
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = [line for line in text.splitlines() if line.startswith("copies: ")]
    printed = [line for run in (first, again) for line in run.stdout.splitlines() if line.startswith("copies: ")]
    assert shown and printed == shown


def test_corpus_readme_is_skipped_not_archived(indexed):
    data, first, _ = indexed
    report = (data / "report.tsv").read_text(encoding="utf-8")
    assert "corpus/README.md\tskipped\tdocumentation file, not a notice" in report
    from indexer.archive import Archive
    with Archive(data) as archive:
        assert not [s for s in archive.notices_of() if s.source_name == "README.md"]


def test_the_report_describes_the_archive_after_a_rerun(indexed):
    data, _, again = indexed
    report = (data / "report.tsv").read_text(encoding="utf-8").splitlines()
    assert report[0] == "path\tstatus\treason\trun"
    statuses = {line.split("\t")[1] for line in report[1:]}
    assert {"skipped", "warning"} <= statuses  # the warnings of the first run are still there
    assert all(re.match(r"\d{4}-\d\d-\d\dT", line.split("\t")[3]) for line in report[1:])


@pytest.mark.parametrize("name, text, skipped", [
    ("README.txt", "THÔNG BÁO\n1. Giao UBND xã làm đường.\n", True),  # named as documentation
    ("LICENSE", "MIT License\n", True),
    ("notes.md", "# Ghi chú\nCách dùng thư mục này.\n", True),  # Markdown with nothing of a notice
    ("thong_bao.md", "THÔNG BÁO\nkết luận về giao thông\nSố 12-TB/HU\n1. Giao UBND xã làm đường.\n", False),
    (".hidden.txt", "THÔNG BÁO\n1. Giao UBND xã làm đường.\n", None),  # never even read
])
def test_documentation_files_are_skipped(tmp_path, name, text, skipped):
    from indexer.ingest import ingest
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_text(text, encoding="utf-8")
    summary = ingest([tmp_path / "in"], tmp_path / "data")
    expected = {True: (1, 0), False: (0, 1), None: (0, 0)}[skipped]
    assert (summary.skipped, summary.new) == expected


def test_progress_lines_count_what_was_indexed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text((CORPUS / "001_tb_thi_uy_ben_cat.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "b.txt").write_bytes(bytes(range(256)) * 8)  # binary: fails
    (folder / "README.md").write_text("# Thư mục\n", encoding="utf-8")
    run = ketluan("index", str(folder), "--data", str(tmp_path / "data"))
    assert run.returncode == 1
    assert "3/3 files read, 1 indexed or unchanged, 2 failed or skipped" in run.stderr
    assert "indexed 3/3" not in run.stderr


def test_stats_is_a_table(indexed):
    data, _, _ = indexed
    run = ketluan("stats", "--data", str(data))
    assert run.returncode == 0 and "{" not in run.stdout
    assert re.search(r"^notices\s+\d+$", run.stdout, re.M) and re.search(r"^\s+indexed\s+\d+$", run.stdout, re.M)


def test_serve_on_a_busy_port_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = ketluan("serve", "--data", str(tmp_path), "--port", str(port), timeout=30)
    assert run.returncode == 2 and "serving" not in run.stdout
    assert run.stderr.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in run.stderr


def test_makefile_has_targets_for_the_common_commands():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("index:", "search:", "stats:", "serve:"):
        assert re.search(rf"^{target}", makefile, re.M), target
    assert ".venv/bin/ketluan" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- the site ---------------------------------------------------------------------

def test_unclosed_quote_searches_with_a_quiet_note(client):
    page = client.get('/?q="đảng viên').get_data(as_text=True)
    assert "Thiếu dấu ngoặc kép đóng" in page and 'class="note"' in page and "Tìm thấy" in page


def test_a_page_past_the_last_links_back(client):
    page = client.get("/?q=dang&page=500").get_data(as_text=True)
    assert "Về trang cuối" in page and "past-last" in page


def test_error_page_keeps_the_search_form_with_the_query(client):
    response = client.get("/?q=giai+phong&from=2022-13-45")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'name="q"' in page and 'value="giai phong"' in page and 'value="2022-13-45"' in page


def test_empty_due_window_links_the_nearest_deadlines(client):
    page = client.get("/due?due_from=2090-01-01&due_to=2090-03-01").get_data(as_text=True)
    assert "Không có kết luận nào có hạn trong khoảng này" in page
    assert "Hạn gần nhất trước khoảng này" in page and "Tất cả kết luận đã quá hạn" in page


@pytest.mark.parametrize("q, marked, not_marked", [
    ('"đảng viên"', "<mark>đảng viên</mark>", "<mark>đảng</mark>"),
    ("giải phóng mặt bằng", "<mark>giải phóng mặt bằng</mark>", "<mark>giải</mark>"),
])
def test_phrases_are_marked_as_phrases(corpus_index, q, marked, not_marked):
    from indexer.search import SearchRequest, search
    result = search(corpus_index, SearchRequest(q=q, limit=50))
    snippets = " ".join(h.snippet + " ".join(i.snippet for i in h.matched_items) for h in result.hits)
    assert marked in snippets and not_marked not in snippets


def test_suggestion_follows_the_archives_word_pairs(tmp_path):
    """`tinh ha tinh` → `tỉnh Hà Tĩnh` (the pair written in capitals in a heading counts),
    even where `tình` alone is far more common than `tỉnh`."""
    from indexer.index import Index
    from indexer.ingest import ingest
    from indexer.search import SearchRequest, search
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("ĐẢNG BỘ TỈNH HÀ TĨNH\nTHÔNG BÁO\nkết luận của Ban Thường vụ Tỉnh ủy Hà Tĩnh về tình "
                                  "hình kinh tế\n1. Các sở, ngành cấp tỉnh đánh giá tình hình, tình trạng và tình "
                                  "huống; tình hình mới.\n", encoding="utf-8")
    ingest([folder], tmp_path / "data")
    assert search(Index(tmp_path / "data" / "index"), SearchRequest(q="tinh ha tinh")).suggestion == "tỉnh Hà Tĩnh"
