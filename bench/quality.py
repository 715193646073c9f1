"""Search quality, notice by notice: ketluan against two baselines at their best, built
in the same run from the same notices (as ketluan's reader and parser read them):

- SQLite FTS5, `unicode61 remove_diacritics 2`, with `đ` folded to `d` on both sides (the
  tokenizer does not: `đ` is no decomposition), bm25 with the title weighted;
- plain Whoosh, a `\\w+` tokenizer with `CharsetFilter(accent_map)` plus `đ` → `d`, BM25F
  over title and body.

Both get plain words (a quoted phrase stays a phrase), every word required, and fall
back to any word when no notice has them all, as ketluan does. One document per notice.

Two labelled sets:
- the tuning set, `bench/quality_queries.tsv`, over corpus/ (written with the corpus;
  tests/test_quality.py holds bars on it);
- the evaluation set, `bench/eval_queries.tsv`, over `bench/eval/notices/` indexed
  together with corpus/: written before the ranking work it judges and never tuned on.
  It is reported, never a test bar.

A hit counts for a tuning query when its notice holds a labelled item (the same item read
from another copy of the file counts too); for an evaluation query when it is the
labelled notice. Reports recall@10 and MRR@10 per query class.

    python bench/quality.py [--set tuning|eval|both] [--misses] [--json results.json]
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sqlite3
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.archive import Archive  # noqa: E402
from indexer.index import Index  # noqa: E402
from indexer.ingest import ingest  # noqa: E402
from indexer.normalize import fold, squeeze  # noqa: E402
from indexer.parse import parse  # noqa: E402
from indexer.read import read_file  # noqa: E402
from indexer.search import SearchRequest, search  # noqa: E402

CORPUS = ROOT / "corpus"
EVAL_NOTICES = Path(__file__).parent / "eval" / "notices"
QUERIES = Path(__file__).parent / "quality_queries.tsv"
EVAL_QUERIES = Path(__file__).parent / "eval_queries.tsv"
SUGGESTIONS = Path(__file__).parent / "suggest_queries.tsv"
EVAL_SUGGESTIONS = Path(__file__).parent / "eval_suggest_queries.tsv"
K = 10


@dataclass(frozen=True)
class Query:
    text: str
    refs: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class Doc:
    """One archived notice, as every engine sees it."""
    id: str
    source: str  # its file name; with its copies' names after "|"
    title: str
    body: str
    items: tuple[str, ...]  # its items' texts, lower case


def _load(path: Path) -> list[Query]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            q, refs, kind = line.split("\t")
            rows.append(Query(q, tuple(refs.split()), kind))
    return rows


def load_queries() -> list[Query]:
    return _load(QUERIES)


def load_eval_queries() -> list[Query]:
    return _load(EVAL_QUERIES)


def relevant_texts(refs) -> set[str]:
    """The item texts a tuning query should find (file prefix#notice.item)."""
    texts = set()
    for ref in refs:
        prefix, where = ref.split("#")
        notice_pos, item_pos = where.split(".")
        (path,) = [p for p in CORPUS.glob(f"{prefix}_*.txt")]
        notice = parse(read_file(path).text)[int(notice_pos)]
        items = notice.items if item_pos == "*" else [notice.items[int(item_pos)]]
        texts.update(i.full_text.lower() for i in items)
    return texts


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


class Judge:
    """Which labelled things a notice is: items of a tuning query, or an evaluation
    notice by its file name."""

    def __init__(self, query: Query):
        self.by_item = "#" in query.refs[0]
        self.wanted = relevant_texts(query.refs) if self.by_item else set(query.refs)

    def found(self, doc: Doc) -> set[str]:
        if self.by_item:
            return {m for m in (same_item(t, self.wanted) for t in doc.items) if m}
        return {p for p in self.wanted if any(name.startswith(p + "_") for name in doc.source.split("|"))}


def archive_docs(data: Path) -> dict[str, Doc]:
    """The notices as ketluan shows them: each once (its other files' names joined to its
    own, so a sample found through its copy counts), and once only in the baselines."""
    with Archive(data) as archive:
        return {s.id: Doc(s.id, "|".join([s.source_name, *(c.name for c in archive.copies_of(s.id))]), s.notice.title,
                          s.notice.body, tuple(i.full_text.lower() for i in s.notice.items))
                for s in archive.notices_of() if s.copy_of is None}


def plain_query(q: str) -> tuple[list[list[str]], bool]:
    """A query as plain words for the baselines: (terms, each a word or a quoted
    phrase's words). Our own syntax (`so:`, `-word`, `OR`) is not given to them."""
    terms = []
    for phrase, word in re.findall(r'"([^"]*)"|(\S+)', q):
        words = re.findall(r"\w+", phrase or word)
        if words:
            terms.append(words)
    return terms, any(len(t) > 1 for t in terms)


def fold_d(text: str) -> str:
    return text.replace("đ", "d").replace("Đ", "D")


class Ketluan:
    """ketluan's default view (`kind=None`) or one of its views."""

    def __init__(self, index: Index, kind: str | None = None):
        self.index, self.kind = index, kind
        self.name = "ketluan" if kind is None else f"ketluan ({kind} view)"

    def top(self, q: str) -> list[str]:
        request = SearchRequest(q=q, limit=K) if self.kind is None else SearchRequest(q=q, limit=K, kind=self.kind)
        return list(dict.fromkeys(h.notice_id for h in search(self.index, request).hits))


class Fts5:
    name = "SQLite FTS5 (folded)"

    def __init__(self, docs: dict[str, Doc]):
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE notices USING fts5(id UNINDEXED, title, body, "
                        "tokenize = 'unicode61 remove_diacritics 2')")
        self.db.executemany("INSERT INTO notices VALUES (?, ?, ?)",
                            [(d.id, fold_d(d.title), fold_d(d.body)) for d in docs.values()])

    def match(self, q: str, operator: str) -> str:
        terms, _ = plain_query(fold_d(q))
        return f" {operator} ".join('"' + " ".join(t) + '"' for t in terms)

    def top(self, q: str, limit: int = K) -> list[str]:
        if not plain_query(q)[0]:
            return []
        for operator in ("AND", "OR"):
            rows = self.db.execute("SELECT id FROM notices WHERE notices MATCH ? ORDER BY bm25(notices, 0, 3, 1) "
                                   "LIMIT ?", (self.match(q, operator), limit)).fetchall()
            if rows:
                return [r[0] for r in rows]
        return []


def folding_analyzer():
    from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer
    from whoosh.support.charset import accent_map
    table = dict(accent_map)
    table.update({ord("đ"): "d", ord("Đ"): "d"})
    return RegexTokenizer(r"\w+") | LowercaseFilter() | CharsetFilter(table)


class PlainWhoosh:
    name = "plain Whoosh (folded)"

    def __init__(self, docs: dict[str, Doc], workdir: Path):
        from whoosh import index
        from whoosh.fields import ID, TEXT, Schema
        analyzer = folding_analyzer()
        self.schema = Schema(id=ID(stored=True), title=TEXT(analyzer=analyzer, field_boost=3.0),
                             body=TEXT(analyzer=analyzer))
        workdir.mkdir(parents=True)
        self.ix = index.create_in(str(workdir), self.schema)
        writer = self.ix.writer()
        for d in docs.values():
            writer.add_document(id=d.id, title=d.title, body=d.body)
        writer.commit()
        self.searcher = self.ix.searcher()

    def query(self, q: str, every_word: bool):
        from whoosh import query as wq
        analyzer = self.schema["body"].analyzer
        clauses = []
        for words in plain_query(q)[0]:
            folded = [t.text for w in words for t in analyzer(w)]
            if not folded:
                continue
            per_field = [wq.Phrase(f, folded) if len(folded) > 1 else wq.Term(f, folded[0]) for f in ("title", "body")]
            clauses.append(wq.Or(per_field))
        if not clauses:
            return None
        return wq.And(clauses) if every_word else wq.Or(clauses)

    def top(self, q: str, limit: int = K) -> list[str]:
        for every_word in (True, False):
            query = self.query(q, every_word)
            if query is None:
                return []
            hits = self.searcher.search(query, limit=limit)
            if len(hits):
                return [h["id"] for h in hits]
        return []


def evaluate(engine, queries: list[Query], docs: dict[str, Doc]) -> dict:
    per_kind: dict[str, list[tuple[float, float]]] = {}
    misses = []
    for query in queries:
        judge = Judge(query)
        found: set[str] = set()
        first = None
        for rank, nid in enumerate(engine.top(query.text)[:K], 1):
            matched = judge.found(docs[nid]) if nid in docs else set()
            if matched and first is None:
                first = rank
            found |= matched
        recall = len(found) / len(judge.wanted)
        rr = 1 / first if first else 0.0
        kinds = [query.kind] + (["no diacritics"] if query.text == fold(query.text) else [])
        for kind in kinds:
            per_kind.setdefault(kind, []).append((recall, rr))
        per_kind.setdefault("all", []).append((recall, rr))
        if rr < 1:
            misses.append((query.text, first))
    summary = {kind: {"queries": len(v), "recall@10": round(sum(r for r, _ in v) / len(v), 3),
                      "mrr@10": round(sum(m for _, m in v) / len(v), 3)} for kind, v in per_kind.items()}
    return {"summary": summary, "misses": misses}


class Setup:
    """The archive (corpus/ and, for the evaluation set, bench/eval/notices/) and every
    engine over it."""

    def __init__(self, workdir: Path, with_eval: bool):
        self.data = workdir / "ketluan"
        ingest([CORPUS, EVAL_NOTICES] if with_eval else [CORPUS], self.data)
        self.index = Index(self.data / "index")
        self.docs = archive_docs(self.data)
        self.engines = [Ketluan(self.index), Ketluan(self.index, "item"), Ketluan(self.index, "notice"),
                        Fts5(self.docs), PlainWhoosh(self.docs, workdir / "whoosh")]

    def results(self, queries: list[Query]) -> dict:
        return {e.name: evaluate(e, queries, self.docs) for e in self.engines}


def suggestion_accuracy(index: Index, path: Path = SUGGESTIONS) -> dict[str, float]:
    """How often "did you mean" restores the intended diacritics: ours, and pyvi's
    ViUtils.add_accents on the same queries. Compared ignoring case and punctuation;
    also the share of syllables restored."""
    from pyvi import ViUtils

    def words(a: str) -> list[str]:
        return re.findall(r"\w+", a.lower())

    def syllables(a: str, b: str) -> int:
        return sum(x == y for x, y in zip(words(a), words(b)))

    pairs = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    ours = [search(index, SearchRequest(q=q, limit=1)).suggestion for q, _ in pairs]
    pyvi = [ViUtils.add_accents(q) for q, _ in pairs]
    total = sum(len(words(want)) for _, want in pairs)
    return {"queries": len(pairs),
            "ketluan": sum(words(s) == words(w) for s, (_, w) in zip(ours, pairs)) / len(pairs),
            "pyvi add_accents": sum(words(s) == words(w) for s, (_, w) in zip(pyvi, pairs)) / len(pairs),
            "ketluan syllables": sum(syllables(s, w) for s, (_, w) in zip(ours, pairs)) / total,
            "pyvi syllables": sum(syllables(s, w) for s, (_, w) in zip(pyvi, pairs)) / total}


def table(title: str, results: dict) -> str:
    kinds = list(next(iter(results.values()))["summary"])
    lines = [title, f"{'engine':<28}" + "".join(f"{k:>15}" for k in kinds)]
    for name, result in results.items():
        cells = [f"{result['summary'][k]['recall@10']:.2f} / {result['summary'][k]['mrr@10']:.2f}" for k in kinds]
        lines.append(f"{name:<28}" + "".join(f"{c:>15}" for c in cells))
    counts = next(iter(results.values()))["summary"]
    lines.append("queries: " + ", ".join(f"{k} {counts[k]['queries']}" for k in kinds))
    return "\n".join(lines)


def measure(sets: tuple[str, ...] = ("tuning", "eval")) -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        if "tuning" in sets:
            setup = Setup(Path(tmp) / "tuning", with_eval=False)
            out["tuning"] = setup.results(load_queries())
            out["did_you_mean"] = suggestion_accuracy(setup.index)
        if "eval" in sets:
            setup = Setup(Path(tmp) / "eval", with_eval=True)
            out["eval"] = setup.results(load_eval_queries())
            out["eval_did_you_mean"] = suggestion_accuracy(setup.index, EVAL_SUGGESTIONS)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=("tuning", "eval", "both"), default="both")
    ap.add_argument("--misses", action="store_true", help="list queries whose first relevant hit is not first")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    sets = ("tuning", "eval") if args.set == "both" else (args.set,)
    out = measure(sets)
    titles = {"tuning": "Tuning set (bench/quality_queries.tsv over corpus/): recall@10 / MRR@10",
              "eval": "Evaluation set, never tuned on (bench/eval_queries.tsv): recall@10 / MRR@10"}
    for name in sets:
        print(table(titles[name], out[name]) + "\n")
        if args.misses:
            for engine, result in out[name].items():
                print(f"{engine}: first relevant hit not at rank 1")
                for q, rank in result["misses"]:
                    print(f"  {q!r}: {'not in top 10' if rank is None else f'rank {rank}'}")
            print()
    for key, label in (("did_you_mean", "tuning"), ("eval_did_you_mean", "evaluation, never tuned on")):
        if key in out:
            s = out[key]
            print(f"did you mean ({label}), {s['queries']} queries without diacritics, whole query restored: "
                  f"ketluan {s['ketluan']:.2f}, pyvi add_accents {s['pyvi add_accents']:.2f}; syllables: "
                  f"ketluan {s['ketluan syllables']:.2f}, pyvi {s['pyvi syllables']:.2f}")
    if args.json:
        args.json.write_text(json.dumps({k: ({n: r["summary"] for n, r in v.items()} if k in sets else v)
                                         for k, v in out.items()}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
