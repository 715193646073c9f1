"""Search quality on labelled queries over corpus/: ketluan against two baselines built
from the same files in the same run — SQLite FTS5 (unicode61 remove_diacritics 2) and
Whoosh with its default StemmingAnalyzer (one document per item, title and number
included). Reports recall@10 and MRR@10 per query kind.

    python bench/quality.py [--misses] [--json results.json]
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.index import Index  # noqa: E402
from indexer.ingest import ingest, iter_files  # noqa: E402
from indexer.normalize import squeeze  # noqa: E402
from indexer.parse import parse  # noqa: E402
from indexer.read import read_file  # noqa: E402
from indexer.search import SearchRequest, search  # noqa: E402

CORPUS = ROOT / "corpus"
QUERIES = Path(__file__).parent / "quality_queries.tsv"
SUGGESTIONS = Path(__file__).parent / "suggest_queries.tsv"
K = 10


def load_queries() -> list[tuple[str, list[str], str]]:
    rows = []
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            q, refs, kind = line.split("\t")
            rows.append((q, refs.split(), kind))
    return rows


def relevant_texts(refs: list[str]) -> set[str]:
    """The item texts a query should find (the same item in another encoding counts)."""
    texts = set()
    for ref in refs:
        prefix, where = ref.split("#")
        notice_pos, item_pos = where.split(".")
        (path,) = [p for p in CORPUS.glob(f"{prefix}_*.txt")]
        notice = parse(read_file(path).text)[int(notice_pos)]
        items = notice.items if item_pos == "*" else [notice.items[int(item_pos)]]
        texts.update(i.full_text.lower() for i in items)
    return texts


def corpus_items() -> list[tuple[str, str]]:
    """(header text, item text) for every item of every corpus file, for the baselines."""
    docs = []
    for path in iter_files([CORPUS]):
        try:
            text = read_file(path).text
        except Exception:
            continue
        for notice in parse(text):
            header = " ".join(filter(None, [notice.number, notice.issuer, notice.title]))
            docs.extend((header, item.full_text) for item in notice.items)
    return docs


class Ketluan:
    name = "ketluan"

    def __init__(self, workdir: Path):
        ingest([CORPUS], workdir)
        self.index = Index(workdir / "index")

    def top(self, q: str) -> list[str]:
        return [h.text for h in search(self.index, SearchRequest(q=q, limit=K)).hits]


class Fts5:
    name = "SQLite FTS5"

    def __init__(self, docs):
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE items USING fts5(header, body, "
                        "tokenize = 'unicode61 remove_diacritics 2')")
        self.db.executemany("INSERT INTO items VALUES (?, ?)", docs)

    def top(self, q: str) -> list[str]:
        words = re.findall(r"\w+", q)
        if not words:
            return []
        match = " AND ".join(f'"{w}"' for w in words)
        return [r[0] for r in self.db.execute(
            "SELECT body FROM items WHERE items MATCH ? ORDER BY bm25(items) LIMIT ?", (match, K))]


class WhooshStemming:
    name = "Whoosh StemmingAnalyzer"

    def __init__(self, docs, workdir: Path):
        from whoosh import index
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.fields import STORED, TEXT, Schema
        from whoosh.qparser import AndGroup, QueryParser
        schema = Schema(content=TEXT(analyzer=StemmingAnalyzer()), body=STORED())
        workdir.mkdir()
        self.ix = index.create_in(str(workdir), schema)
        writer = self.ix.writer()
        for header, body in docs:
            writer.add_document(content=header + "\n" + body, body=body)
        writer.commit()
        self.parser = QueryParser("content", schema, group=AndGroup)

    def top(self, q: str) -> list[str]:
        with self.ix.searcher() as s:
            return [h["body"] for h in s.search(self.parser.parse(q), limit=K)]


def same_item(text: str, wanted: set[str]) -> str | None:
    """The wanted item `text` is, if any: the same text, or a copy read from a scan
    with a few OCR slips (`chỉ tiết` for `chi tiết`): 95% alike letter for letter."""
    if text in wanted:
        return text
    squeezed = squeeze(text)
    for candidate in wanted:
        other = squeeze(candidate)
        if abs(len(other) - len(squeezed)) <= 0.05 * len(other) and \
                difflib.SequenceMatcher(None, squeezed, other, autojunk=False).ratio() >= 0.95:
            return candidate
    return None


def evaluate(engine, queries, relevant) -> dict:
    per_kind: dict[str, list[tuple[float, float]]] = {}
    misses = []
    for q, refs, kind in queries:
        wanted = relevant[q]
        top = engine.top(q)
        # Lower case: the TCVN3 copy of a sample loses the capital of `Ủy` (a known limit).
        top = [same_item(text.lower(), wanted) for text in top]
        ranks = [i for i, text in enumerate(top, 1) if text]
        found = {text for text in top if text}
        recall = len(found) / len(wanted)
        rr = 1 / ranks[0] if ranks else 0.0
        per_kind.setdefault(kind, []).append((recall, rr))
        if rr < 1:
            misses.append((q, ranks[0] if ranks else None))
    summary = {kind: {"queries": len(v), "recall@10": sum(r for r, _ in v) / len(v),
                      "mrr@10": sum(m for _, m in v) / len(v)} for kind, v in per_kind.items()}
    everything = [x for v in per_kind.values() for x in v]
    summary["all"] = {"queries": len(everything), "recall@10": sum(r for r, _ in everything) / len(everything),
                      "mrr@10": sum(m for _, m in everything) / len(everything)}
    return {"summary": summary, "misses": misses}


def suggestion_accuracy(index: Index) -> dict[str, float]:
    """How often "did you mean" restores the intended diacritics: ours, and pyvi's
    ViUtils.add_accents on the same queries. Compared ignoring case and punctuation."""
    from pyvi import ViUtils

    def same(a: str, b: str) -> bool:
        return re.findall(r"\w+", a.lower()) == re.findall(r"\w+", b.lower())

    pairs = [line.split("\t") for line in SUGGESTIONS.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    ours = sum(same(search(index, SearchRequest(q=q, limit=1)).suggestion, want) for q, want in pairs)
    pyvi = sum(same(ViUtils.add_accents(q), want) for q, want in pairs)
    return {"queries": len(pairs), "ketluan": ours / len(pairs), "pyvi add_accents": pyvi / len(pairs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--misses", action="store_true", help="list queries whose first relevant hit is not first")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    queries = load_queries()
    relevant = {q: relevant_texts(refs) for q, refs, _ in queries}
    with tempfile.TemporaryDirectory() as tmp:
        docs = corpus_items()
        engines = [Ketluan(Path(tmp) / "ketluan"), Fts5(docs), WhooshStemming(docs, Path(tmp) / "whoosh")]
        results = {e.name: evaluate(e, queries, relevant) for e in engines}
        suggestions = suggestion_accuracy(engines[0].index)
    kinds = list(results["ketluan"]["summary"])
    print(f"{len(queries)} queries over corpus/ ({len(docs)} items); recall@10 / MRR@10")
    print(f"{'engine':<26}" + "".join(f"{k:>18}" for k in kinds))
    for name, result in results.items():
        cells = [f"{result['summary'][k]['recall@10']:.2f} / {result['summary'][k]['mrr@10']:.2f}" for k in kinds]
        print(f"{name:<26}" + "".join(f"{c:>18}" for c in cells))
    print("query counts: " + ", ".join(f"{k} {results['ketluan']['summary'][k]['queries']}" for k in kinds))
    print(f"\ndid you mean, {suggestions['queries']} queries without diacritics, intended form restored: "
          f"ketluan {suggestions['ketluan']:.2f}, pyvi add_accents {suggestions['pyvi add_accents']:.2f}")
    if args.misses:
        for name, result in results.items():
            print(f"\n{name}: first relevant hit not at rank 1")
            for q, rank in result["misses"]:
                print(f"  {q!r}: {'not in top 10' if rank is None else f'rank {rank}'}")
    if args.json:
        args.json.write_text(json.dumps({"search": {n: r["summary"] for n, r in results.items()},
                                         "did_you_mean": suggestions}, indent=2))


if __name__ == "__main__":
    main()
