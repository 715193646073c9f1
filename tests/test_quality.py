"""bench/quality.py's tuning set (labelled queries over corpus/): ketluan must find what
officials look for, and beat the fair baselines (folded FTS5, folded plain Whoosh) built
from the same notices. The evaluation set (bench/eval_queries.tsv) is never a test bar."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import quality  # noqa: E402


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    return quality.Setup(tmp_path_factory.mktemp("quality"), with_eval=False)


@pytest.fixture(scope="module")
def results(setup):
    queries = quality.load_queries()
    return len(queries), {name: r["summary"] for name, r in setup.results(queries).items()}


def test_labelled_query_set_is_large_enough(results):
    count, summary = results
    assert count >= 60 and summary["ketluan"]["no diacritics"]["queries"] >= count / 3


def test_ketluan_reaches_the_bar(results):
    _, summary = results
    assert summary["ketluan"]["all"]["mrr@10"] >= 0.95
    assert summary["ketluan"]["no diacritics"]["recall@10"] == 1.0


def test_ketluan_beats_both_fair_baselines(results):
    _, summary = results
    for baseline in ("SQLite FTS5 (folded)", "plain Whoosh (folded)"):
        assert summary["ketluan"]["all"]["mrr@10"] > summary[baseline]["all"]["mrr@10"]


def test_baselines_fold_d_like_ketluan(setup):
    """The baselines are fair: a query without diacritics finds `đ` words in them too."""
    for engine in setup.engines[-2:]:
        assert engine.top("dang vien"), engine.name


def test_did_you_mean_restores_diacritics_better_than_pyvi(setup):
    accuracy = quality.suggestion_accuracy(setup.index)
    assert accuracy["queries"] >= 20
    assert accuracy["ketluan"] >= 0.9 and accuracy["ketluan"] > accuracy["pyvi add_accents"]
