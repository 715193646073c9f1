import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite tests/golden/*.json from the parser's current output (read the diff!).")


@pytest.fixture
def update_golden(request):
    return request.config.getoption("--update-golden")


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
