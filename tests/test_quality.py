"""bench/quality.py's labelled queries: ketluan must find what officials look for, and
beat the two plain baselines built from the same files."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import quality  # noqa: E402


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    queries = quality.load_queries()
    relevant = {q: quality.relevant_texts(refs) for q, refs, _ in queries}
    docs = quality.corpus_items()
    tmp = tmp_path_factory.mktemp("quality")
    engines = [quality.Ketluan(tmp / "ketluan"), quality.Fts5(docs), quality.WhooshStemming(docs, tmp / "whoosh")]
    return len(queries), {e.name: quality.evaluate(e, queries, relevant)["summary"] for e in engines}


def test_labelled_query_set_is_large_enough(results):
    count, summary = results
    assert count >= 60 and summary["ketluan"]["plain"]["queries"] >= count / 3


def test_ketluan_reaches_the_bar(results):
    _, summary = results
    assert summary["ketluan"]["all"]["mrr@10"] >= 0.95
    assert summary["ketluan"]["plain"]["recall@10"] == 1.0


def test_ketluan_beats_both_baselines(results):
    _, summary = results
    for baseline in ("SQLite FTS5", "Whoosh StemmingAnalyzer"):
        assert summary["ketluan"]["all"]["mrr@10"] > summary[baseline]["all"]["mrr@10"]
        assert summary["ketluan"]["plain"]["recall@10"] > summary[baseline]["plain"]["recall@10"]


def test_did_you_mean_restores_diacritics_better_than_pyvi(tmp_path):
    from indexer.index import Index
    from indexer.ingest import ingest
    ingest([quality.CORPUS], tmp_path)
    accuracy = quality.suggestion_accuracy(Index(tmp_path / "index"))
    assert accuracy["queries"] >= 20
    assert accuracy["ketluan"] >= 0.9 and accuracy["ketluan"] > accuracy["pyvi add_accents"]
