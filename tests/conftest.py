import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
GOLDEN = Path(__file__).resolve().parent / "golden"


def corpus_notice_count() -> int:
    """Notices in corpus/ (its README.md is documentation, skipped): the scans among
    them are read only where Tesseract is."""
    from indexer.ocr import tesseract_ready
    return 37 if tesseract_ready() else 33


CORPUS_NOTICES = corpus_notice_count()
# Distinct notices: the format and scan samples (020–043) are copies of 001–013, shown
# once each (with or without Tesseract).
CORPUS_DISTINCT = 23


def corpus_samples():
    return sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name[0].isdigit())


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def corpus_archive(tmp_path_factory):
    """The bundled corpus, archived and indexed once for the whole session."""
    from indexer.ingest import ingest
    root = tmp_path_factory.mktemp("archive")
    summary = ingest([CORPUS], root, jobs=1)
    assert summary.failed == 0
    return root


@pytest.fixture(scope="session")
def corpus_index(corpus_archive):
    from indexer.index import Index
    return Index(corpus_archive / "index")


@pytest.fixture(scope="session")
def app(corpus_archive):
    from search_web import create_app
    return create_app({"TESTING": True, "DATA_DIR": str(corpus_archive)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="session")
def hostile_archive(tmp_path_factory):
    """A notice whose title, items, addressees and file name carry markup."""
    from indexer.ingest import ingest
    folder = tmp_path_factory.mktemp("hostile")
    text = (f"THÔNG BÁO\nkết luận về {XSS} giải phóng mặt bằng\n"
            f"1. Giao <b onmouseover=alert(2)>Ủy ban nhân dân xã</b> {XSS} hoàn thành trước ngày 30/9/2021.\n"
            "2. =HYPERLINK(\"http://evil\") chuẩn bị quỹ đất tái định cư.\n")
    (folder / f"x{XSS.replace('/', '_')}.txt").write_text(text, encoding="utf-8")
    root = tmp_path_factory.mktemp("hostile-data")
    assert ingest([folder], root, jobs=1).failed == 0
    return root


@pytest.fixture
def hostile_client(hostile_archive):
    from search_web import create_app
    return create_app({"TESTING": True, "DATA_DIR": str(hostile_archive)}).test_client()
