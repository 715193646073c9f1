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
