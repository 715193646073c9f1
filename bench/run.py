"""The benchmark: bulk indexing, re-runs, memory, index size and query latency at
several archive sizes, ketluan against plain Whoosh and SQLite FTS5 on the same
notices in the same run, plus the search-quality figures of bench/quality.py.

    python bench/run.py --sizes 1000 10000          # make bench
    python bench/run.py --sizes 1000 10000 100000   # make bench-full

Generated archives are kept in bench/data/<size>/ (regenerated only if missing);
results go to bench/results/bench-<size>.json, summary.md and scaling.png.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
from indexer import search as core  # noqa: E402
from indexer.archive import Archive  # noqa: E402
from indexer.index import Index  # noqa: E402

DATA = BENCH / "data"
RESULTS = BENCH / "results"
KETLUAN = [sys.executable, "-m", "indexer.cli"]

QUERIES = [  # (query, filters): with and without diacritics, filters, phrases
    ("giai phong mat bang", {}), ("giải phóng mặt bằng", {}), ("dang vien", {}), ("đảng viên", {}),
    ("nong thon moi", {}), ("giai ngan von dau tu cong", {}), ("chuyen doi so", {}), ("thu hoi dat", {}),
    ("phong chong dich", {}), ("tiêm vắc xin", {}), ("kiem tra giam sat", {}), ("du lich", {}),
    ("an ninh trat tu", {}), ("hợp tác xã", {}), ("ve sinh moi truong", {}), ("thu ngan sach", {}),
    ("cai cach hanh chinh", {}), ("\"dịch vụ công\"", {}), ("tai dinh cu", {}), ("ky luat dang", {}),
    ("giai phong mat bang", {"level": "huyện"}), ("dang vien", {"year": 2020}),
    ("nong thon moi", {"topic": "nong-thon-moi"}), ("thu hoi dat", {"date_from": "2015-01-01", "date_to": "2018-12-31"}),
    ("", {"topic": "y-te"}), ("", {"level": "xã", "year": 2022}), ("", {"sort": "newest"}),
    ("uy ban nhan dan", {"sort": "newest"}), ("UBND huyen", {}), ("GPMB", {}),
]


class PeakRss:
    """Samples the memory of a process and its descendants: the summed proportional
    set size (PSS: a page shared by forked workers counted once, split between them;
    what the run really occupies), the summed RSS (shared pages counted in every
    process that maps them) and the largest single process's RSS."""

    def __init__(self, pid: int):
        self.pid, self._stop = pid, threading.Event()
        self.peak = {"pss": 0, "rss_sum": 0, "rss_max": 0}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _tree(self, pid: int) -> list[int]:
        pids = [pid]
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                pids += [c for child in (task / "children").read_text().split() for c in self._tree(int(child))]
            except OSError:
                pass
        return pids

    @staticmethod
    def _field(path: str, name: str) -> int:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(name):
                    return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
        return 0

    def _run(self):
        while not self._stop.is_set():
            pids = self._tree(self.pid)
            rss = [self._field(f"/proc/{p}/status", "VmRSS:") for p in pids]
            pss = sum(self._field(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
            for key, value in (("pss", pss), ("rss_sum", sum(rss)), ("rss_max", max(rss, default=0))):
                self.peak[key] = max(self.peak[key], value)
            time.sleep(0.2)

    def stop(self) -> dict:
        self._stop.set()
        self.thread.join()
        return self.peak


def timed_index(files: Path, data: Path, jobs: int) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen(KETLUAN + ["index", str(files), "--data", str(data), "--jobs", str(jobs), "--quiet"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = PeakRss(proc.pid)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    peak = sampler.stop()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"ketluan index failed: {err}")
    return {"seconds": round(seconds, 2), "peak_pss_mb": round(peak["pss"] / 2**20, 1),
            "peak_rss_sum_mb": round(peak["rss_sum"] / 2**20, 1),
            "peak_rss_largest_process_mb": round(peak["rss_max"] / 2**20, 1), "summary": out.strip().splitlines()[0]}


def index_figures(size: int, files: Path, work: Path, job_counts=(1, 2)) -> dict:
    megabytes = sum(p.stat().st_size for p in files.rglob("*") if p.is_file()) / 1e6
    n_files = sum(1 for p in files.rglob("*") if p.is_file())
    figures = {"files": n_files, "megabytes": round(megabytes, 1)}
    for jobs in job_counts:
        data = work / f"jobs{jobs}"
        shutil.rmtree(data, ignore_errors=True)
        run = timed_index(files, data, jobs)
        run.update(files_per_s=round(n_files / run["seconds"], 1), mb_per_s=round(megabytes / run["seconds"], 3),
                   notices_per_s=round(size / run["seconds"], 1))
        figures[f"jobs{jobs}"] = run
    figures["rerun"] = timed_index(files, work / "jobs2", 2)
    index_bytes = Index(work / "jobs2" / "index").size_bytes()
    figures["index_mb"] = round(index_bytes / 1e6, 1)
    figures["index_bytes_per_notice"] = round(index_bytes / size)
    return figures


def notice_bodies(data: Path) -> list[tuple[str, str]]:
    with Archive(data) as archive:
        return [(s.id, s.notice.body) for s in archive.notices_of()]


def plain_whoosh(bodies, path: Path):
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import AndGroup, QueryParser
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    schema = Schema(id=ID(stored=True), content=TEXT)
    ix = index.create_in(str(path), schema)
    writer = ix.writer(limitmb=256)
    for nid, body in bodies:
        writer.add_document(id=nid, content=body)
    writer.commit()
    parser = QueryParser("content", schema, group=AndGroup)
    searcher = ix.searcher()

    def run(q: str, filters: dict) -> int:
        results = searcher.search(parser.parse(q or "*"), limit=10)
        return len(results)
    return run, sum(f.stat().st_size for f in path.iterdir())


def fts5(bodies, path: Path):
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("CREATE VIRTUAL TABLE notices USING fts5(id UNINDEXED, body, tokenize='unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO notices VALUES (?, ?)", bodies)
    db.commit()

    def run(q: str, filters: dict) -> int:
        words = re.findall(r"\w+", q)
        if not words:
            return db.execute("SELECT COUNT(*) FROM notices").fetchone()[0]
        match = " AND ".join(f'"{w}"' for w in words)
        db.execute("SELECT id FROM notices WHERE notices MATCH ? ORDER BY bm25(notices) LIMIT 10", (match,)).fetchall()
        return db.execute("SELECT COUNT(*) FROM notices WHERE notices MATCH ?", (match,)).fetchone()[0]
    return run, path.stat().st_size


def ketluan_runner(data: Path):
    index = Index(data / "index")

    def run(q: str, filters: dict) -> int:
        kwargs = dict(filters)
        for key in ("date_from", "date_to"):
            if key in kwargs:
                kwargs[key] = __import__("datetime").date.fromisoformat(kwargs[key])
        return core.search(index, core.SearchRequest(q=q, limit=10, **kwargs)).total
    return run


def latency(run, rounds: int = 3) -> dict:
    run("warm up", {})
    times = []
    for _ in range(rounds):
        for q, filters in QUERIES:
            started = time.perf_counter()
            run(q, filters)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    pick = lambda p: round(times[min(len(times) - 1, int(p * len(times)))], 2)  # noqa: E731
    return {"queries": len(times), "p50_ms": pick(0.50), "p95_ms": pick(0.95), "p99_ms": pick(0.99),
            "mean_ms": round(statistics.mean(times), 2)}


def latency_figures(work: Path) -> dict:
    data = work / "jobs2"
    bodies = notice_bodies(data)
    whoosh_run, whoosh_bytes = plain_whoosh(bodies, work / "plain-whoosh")
    fts_run, fts_bytes = fts5(bodies, work / "fts5.sqlite")
    out = {"ketluan (items, facets, totals)": latency(ketluan_runner(data)),
           "plain Whoosh (notices, top 10 + total)": latency(whoosh_run),
           "SQLite FTS5 (notices, top 10 + total)": latency(fts_run)}
    base = out["plain Whoosh (notices, top 10 + total)"]["p95_ms"]
    fts = out["SQLite FTS5 (notices, top 10 + total)"]["p95_ms"]
    k = out["ketluan (items, facets, totals)"]["p95_ms"]
    out["p95_ratio_vs_plain_whoosh"] = round(k / base, 2) if base else None
    out["p95_ratio_vs_fts5"] = round(k / fts, 2) if fts else None
    out["baseline_index_mb"] = {"plain Whoosh": round(whoosh_bytes / 1e6, 1), "SQLite FTS5": round(fts_bytes / 1e6, 1)}
    return out


def quality_figures() -> dict:
    import tempfile

    import quality
    queries = quality.load_queries()
    relevant = {q: quality.relevant_texts(refs) for q, refs, _ in queries}
    docs = quality.corpus_items()
    with tempfile.TemporaryDirectory() as tmp:
        engines = [quality.Ketluan(Path(tmp) / "k"), quality.Fts5(docs), quality.WhooshStemming(docs, Path(tmp) / "w")]
        return {e.name: quality.evaluate(e, queries, relevant)["summary"]["all"] for e in engines}


def machine() -> dict:
    mem = next((l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")), "0")
    return {"cpus": os.cpu_count(), "memory_gib": round(int(mem) / 2**20, 1), "python": platform.python_version(),
            "platform": platform.platform()}


def bench_size(size: int, seed: int, one_job: bool = True) -> dict:
    files = DATA / str(size)
    if not (files / ".complete").exists():
        shutil.rmtree(files, ignore_errors=True)
        generate.generate(files, size, seed)
        (files / ".complete").write_text("")
    work = DATA / f"work-{size}"
    work.mkdir(parents=True, exist_ok=True)
    result = {"notices": size, "machine": machine(), "measured": time.strftime("%Y-%m-%d %H:%M"),
              "indexing": index_figures(size, files, work, (1, 2) if one_job else (2,))}
    result["latency"] = latency_figures(work)
    return result


def summary_table(results: list[dict], quality: dict) -> str:
    lines = ["| notices | files | MB | index 1 job (s) | index 2 jobs (s) | MB/s (2 jobs) | notices/s (2 jobs) | "
             "re-run (s) | memory, 2 jobs: PSS sum / largest process RSS (MB) | index MB | p50 / p95 ms (ketluan) | "
             "p95 plain Whoosh | p95 FTS5 | p95 ratio vs Whoosh | vs FTS5 | measured |", "|" + "---|" * 16]
    for r in results:
        i, lat = r["indexing"], r["latency"]
        k = lat["ketluan (items, facets, totals)"]
        two = i["jobs2"]
        memory = (f"{two['peak_pss_mb']} / {two['peak_rss_largest_process_mb']}" if "peak_pss_mb" in two
                  else f"RSS sum {two.get('peak_rss_mb')}")
        lines.append(
            f"| {r['notices']:,} | {i['files']:,} | {i['megabytes']} | {i.get('jobs1', {}).get('seconds', 'not run')} | "
            f"{two['seconds']} | {two['mb_per_s']} | {two['notices_per_s']} | {i['rerun']['seconds']} | {memory} | "
            f"{i['index_mb']} | {k['p50_ms']} / {k['p95_ms']} | "
            f"{lat['plain Whoosh (notices, top 10 + total)']['p95_ms']} | {lat['SQLite FTS5 (notices, top 10 + total)']['p95_ms']} | "
            f"{lat['p95_ratio_vs_plain_whoosh']} | {lat['p95_ratio_vs_fts5']} | "
            f"index {two.get('measured', r.get('measured', ''))}, queries {r.get('latency_measured', r.get('measured', ''))} |")
    lines += ["", "Search quality on corpus/ (68 labelled queries): recall@10 / MRR@10", ""]
    lines += [f"- {name}: {s['recall@10']:.2f} / {s['mrr@10']:.2f}" for name, s in quality.items()]
    return "\n".join(lines) + "\n"


def plot(results: list[dict]) -> Path | None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot (pip install matplotlib)")
        return None
    sizes = [r["notices"] for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    one = [(r["notices"], r["indexing"]["jobs1"]["seconds"]) for r in results if "jobs1" in r["indexing"]]
    left.plot([n for n, _ in one], [t for _, t in one], "o-", label="1 job")
    left.plot(sizes, [r["indexing"]["jobs2"]["seconds"] for r in results], "o-", label="2 jobs")
    left.set(xscale="log", yscale="log", xlabel="notices", ylabel="seconds", title="Bulk index time")
    left.legend()
    for name in ("ketluan (items, facets, totals)", "plain Whoosh (notices, top 10 + total)",
                 "SQLite FTS5 (notices, top 10 + total)"):
        right.plot(sizes, [r["latency"][name]["p95_ms"] for r in results], "o-", label=name)
    right.set(xscale="log", yscale="log", xlabel="notices", ylabel="p95 ms", title="Query latency p95")
    right.legend(fontsize=7)
    fig.tight_layout()
    path = RESULTS / "scaling.png"
    fig.savefig(path, dpi=100)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one-job-max", type=int, default=10000,
                    help="largest size also indexed with 1 job (the 100k 1-job run alone takes ~40 min)")
    ap.add_argument("--latency-only", action="store_true",
                    help="re-measure query latency on the archives indexed by an earlier run")
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        print(f"== {size:,} notices", flush=True)
        if args.latency_only:
            result = json.loads((RESULTS / f"bench-{size}.json").read_text())
            result["latency"] = latency_figures(DATA / f"work-{size}")
            result["latency_measured"] = time.strftime("%Y-%m-%d %H:%M")
        else:
            result = bench_size(size, args.seed, one_job=size <= args.one_job_max)
        (RESULTS / f"bench-{size}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
        print(json.dumps(result, indent=2, ensure_ascii=False), flush=True)
    # The table shows every size measured so far (each row says when), so a separate
    # `--sizes 100000` run adds its row to the 1k and 10k ones.
    results = [json.loads(p.read_text()) for p in RESULTS.glob("bench-*.json")]
    results.sort(key=lambda r: r["notices"])
    quality = quality_figures()
    table = summary_table(results, quality)
    (RESULTS / "summary.md").write_text(f"Machine: {results[0]['machine']}\n\n" + table)
    print(table)
    plotted = plot(results)
    if plotted:
        print(f"plot: {plotted}")


if __name__ == "__main__":
    main()
