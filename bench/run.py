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
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
from indexer import search as core  # noqa: E402
from indexer.archive import Archive  # noqa: E402
from indexer.index import Index, poststore  # noqa: E402

DATA = BENCH / "data"
RESULTS = BENCH / "results"
KETLUAN = [sys.executable, "-m", "indexer.cli"]

# (class, query, filters). Classes: broad (tens of thousands of hits), narrow, phrase,
# long (8-12 words, natural language), filtered, filter-only (no words), no hit.
QUERIES = [
    ("broad", "Ban Thường vụ", {}), ("broad", "UBND huyen", {}), ("broad", "hợp tác xã", {}),
    ("broad", "uy ban nhan dan", {}), ("broad", "dang vien", {}), ("broad", "kiem tra giam sat", {}),
    ("narrow", "giai phong mat bang", {}), ("narrow", "giải phóng mặt bằng", {}), ("narrow", "tiêm vắc xin", {}),
    ("narrow", "nong thon moi", {}), ("narrow", "chuyen doi so", {}), ("narrow", "thu hoi dat", {}),
    ("narrow", "du lich", {}), ("narrow", "ve sinh moi truong", {}), ("narrow", "GPMB", {}),
    ("phrase", "\"dịch vụ công\"", {}), ("phrase", "\"giải ngân vốn đầu tư công\"", {}),
    ("long", "ủy ban nhân dân huyện khẩn trương hoàn thành giải phóng mặt bằng các dự án trọng điểm", {}),
    ("long", "tang cuong cong tac kiem tra giam sat dang vien vi pham ky luat dang", {}),
    ("long", "đẩy nhanh tiến độ giải ngân vốn đầu tư công và xây dựng nông thôn mới nâng cao", {}),
    ("filtered", "giai phong mat bang", {"level": "huyện"}), ("filtered", "dang vien", {"year": 2020}),
    ("filtered", "nong thon moi", {"topic": "nong-thon-moi"}),
    ("filtered", "thu hoi dat", {"date_from": "2015-01-01", "date_to": "2018-12-31"}),
    ("filter-only", "", {"topic": "y-te"}), ("filter-only", "", {"level": "xã", "year": 2022}),
    ("filter-only", "", {"sort": "newest"}),
    ("no hit", "khong co tu nao nhu the nay", {}), ("no hit", "xyzzy quasar", {}),
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

    # PSS is read every PSS_EVERY-th sample only: the kernel walks a process's page
    # tables for it (smaps_rollup), which slows the processes measured (a 20,000-notice
    # run took 57.7 s sampled so every 0.2 s against 54.3 s unsampled; the plain Whoosh
    # baseline is not sampled at all). RSS is a counter, read cheaply at every sample.
    PSS_EVERY = 10

    def _run(self):
        sample = 0
        while not self._stop.is_set():
            pids = self._tree(self.pid)
            rss = [self._field(f"/proc/{p}/status", "VmRSS:") for p in pids]
            if sample % self.PSS_EVERY == 0:
                pss = sum(self._field(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
                self.peak["pss"] = max(self.peak["pss"], pss)
            for key, value in (("rss_sum", sum(rss)), ("rss_max", max(rss, default=0))):
                self.peak[key] = max(self.peak[key], value)
            sample += 1
            time.sleep(0.2)

    def stop(self) -> dict:
        self._stop.set()
        self.thread.join()
        return self.peak


def settle() -> None:
    """Before a timed run: write out what earlier steps left dirty in the page cache
    (the generated corpus, the archive just deleted). ketluan syncs its archive as it
    goes, so its first syncs could pay for them; plain Whoosh never syncs. (Measured
    here after deleting a 100,000-notice archive: 0.06 s, so a guard, not a fix.)"""
    os.sync()


def timed_index(files: Path, data: Path, jobs: int) -> dict:
    settle()
    started = time.perf_counter()
    proc = subprocess.Popen(KETLUAN + ["index", str(files), "--data", str(data), "--jobs", str(jobs), "--quiet"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = PeakRss(proc.pid)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    peak = sampler.stop()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"ketluan index failed: {err}")
    links = LINKS_LINE.search(out)
    cataloguing, signatures = (float(links.group(1)), float(links.group(2))) if links else (0.0, 0.0)
    return {"seconds": round(seconds, 2), "peak_pss_mb": round(peak["pss"] / 2**20, 1),
            "peak_rss_sum_mb": round(peak["rss_sum"] / 2**20, 1),
            "peak_rss_largest_process_mb": round(peak["rss_max"] / 2**20, 1), "summary": out.strip().splitlines()[0],
            # copies and references: the main process's cataloguing adds to the run's time
            # (it is the busy one); the workers' signature CPU is spread over `jobs`
            "links_seconds": cataloguing, "signature_cpu_seconds": signatures,
            "links_share": round((cataloguing + signatures / jobs) / seconds, 3)}


LINKS_LINE = re.compile(r"references and copies: ([\d.]+) s cataloguing, ([\d.]+) s of parsing CPU")


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


@dataclass(frozen=True)
class BaselineDoc:
    id: str
    body: str
    level: str
    topics: str  # comma-separated topic ids
    year: int
    date: str  # ISO, or ""


def baseline_docs(data: Path) -> list[BaselineDoc]:
    """One per notice, with the fields the filtered queries use."""
    with Archive(data) as archive:
        return [BaselineDoc(s.id, s.notice.body, s.notice.body_level, ",".join(s.notice.topics),
                            s.notice.date.year if s.notice.date else 0,
                            s.notice.date.isoformat() if s.notice.date else "")
                for s in archive.notices_of() if s.copy_of is None]  # each notice once, as ketluan shows them


def plain_whoosh(docs: list[BaselineDoc], path: Path):
    """Plain Whoosh at its best: accent folding (đ too), every word required, filters
    as filter queries, a filter-only request as a term query; top 10 and the total."""
    import datetime as dt

    from whoosh import index
    from whoosh import query as wq
    from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
    from quality import folding_analyzer, plain_query
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    schema = Schema(id=ID(stored=True), content=TEXT(analyzer=folding_analyzer()), level=ID,
                    topics=KEYWORD(commas=True), year=NUMERIC(shift_step=0), date=DATETIME(sortable=True))
    ix = index.create_in(str(path), schema)
    writer = ix.writer(limitmb=256, procs=2, multisegment=True)
    for d in docs:
        writer.add_document(id=d.id, content=d.body, level=d.level, topics=d.topics, year=d.year,
                            **({"date": dt.datetime.fromisoformat(d.date)} if d.date else {}))
    writer.commit()
    searcher = ix.searcher()
    analyzer = schema["content"].analyzer

    def filters(f: dict):
        clauses = [wq.Term(k, f[k]) for k in ("level",) if k in f]
        clauses += [wq.Term("topics", f["topic"])] if "topic" in f else []
        clauses += [wq.NumericRange("year", f["year"], f["year"])] if "year" in f else []
        if "date_from" in f:
            clauses.append(wq.DateRange("date", dt.datetime.fromisoformat(f["date_from"]),
                                        dt.datetime.fromisoformat(f["date_to"])))
        return wq.And(clauses) if clauses else None

    def run(q: str, f: dict) -> int:
        terms = [[t.text for w in words for t in analyzer(w)] for words in plain_query(q)[0]]
        terms = [t for t in terms if t]
        filt = filters(f)
        sortedby = dict(sortedby="date", reverse=True) if f.get("sort") == "newest" else {}
        if not terms:  # filters only: the filter is the query
            results = searcher.search(filt or wq.Every(), limit=10, scored=False, **sortedby)
        else:
            query = wq.And([wq.Phrase("content", t) if len(t) > 1 else wq.Term("content", t[0]) for t in terms])
            results = searcher.search(query, limit=10, filter=filt, **sortedby)
        return len(results)
    return run, sum(f.stat().st_size for f in path.iterdir())


def fts5(docs: list[BaselineDoc], path: Path):
    """SQLite FTS5 at its best: remove_diacritics 2 with đ folded on both sides, filter
    columns; rank, LIMIT 10 and COUNT."""
    from quality import fold_d, plain_query
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("CREATE VIRTUAL TABLE notices USING fts5(id UNINDEXED, body, level UNINDEXED, topics UNINDEXED, "
               "year UNINDEXED, date UNINDEXED, tokenize='unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO notices VALUES (?, ?, ?, ?, ?, ?)",
                   [(d.id, fold_d(d.body), d.level, f",{d.topics},", d.year, d.date) for d in docs])
    db.commit()

    def where(f: dict) -> tuple[str, list]:
        sql, args = [], []
        if "level" in f:
            sql.append("level = ?"), args.append(f["level"])
        if "topic" in f:
            sql.append("topics LIKE ?"), args.append(f"%,{f['topic']},%")
        if "year" in f:
            sql.append("year = ?"), args.append(f["year"])
        if "date_from" in f:
            sql.append("date BETWEEN ? AND ?"), args.extend([f["date_from"], f["date_to"]])
        return " AND ".join(sql), args

    def run(q: str, f: dict) -> int:
        terms = plain_query(fold_d(q))[0]
        cond, args = where(f)
        order = "date DESC" if f.get("sort") == "newest" else "rank"
        if terms:
            match = " AND ".join('"' + " ".join(t) + '"' for t in terms)
            cond, args = " AND ".join(filter(None, ["notices MATCH ?", cond])), [match] + args
        elif order == "rank":
            order = "rowid"
        cond = f"WHERE {cond}" if cond else ""
        db.execute(f"SELECT id FROM notices {cond} ORDER BY {order} LIMIT 10", args).fetchall()
        return db.execute(f"SELECT COUNT(*) FROM notices {cond}", args).fetchone()[0]
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


def _percentiles(times: list[float]) -> dict:
    times = sorted(times)
    pick = lambda p: round(times[min(len(times) - 1, int(p * len(times)))], 2)  # noqa: E731
    return {"queries": len(times), "p50_ms": pick(0.50), "p95_ms": pick(0.95), "p99_ms": pick(0.99),
            "mean_ms": round(statistics.mean(times), 2)}


def latency(run, rounds: int = 3) -> dict:
    """p50/p95/p99 over every query (each run `rounds` times after one warm-up run),
    and per query class."""
    for _, q, filters in QUERIES:
        run(q, filters)
    per_class: dict[str, list[float]] = {}
    for _ in range(rounds):
        for kind, q, filters in QUERIES:
            started = time.perf_counter()
            run(q, filters)
            per_class.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
    out = _percentiles([t for v in per_class.values() for t in v])
    out["by_class"] = {kind: _percentiles(v) for kind, v in per_class.items()}
    return out


ENGINES = ("ketluan", "plain Whoosh", "SQLite FTS5")


def latency_figures(work: Path) -> dict:
    data = work / "jobs2"
    docs = baseline_docs(data)
    settle()
    started = time.perf_counter()
    whoosh_run, whoosh_bytes = plain_whoosh(docs, work / "plain-whoosh")
    whoosh_seconds = time.perf_counter() - started
    fts_run, fts_bytes = fts5(docs, work / "fts5.sqlite")
    out = {"ketluan": latency(ketluan_runner(data)), "plain Whoosh": latency(whoosh_run),
           "SQLite FTS5": latency(fts_run)}
    for base in ENGINES[1:]:
        for p in ("p50_ms", "p95_ms"):
            b = out[base][p]
            out[f"{p[:3]}_ratio_vs_{base}"] = round(out["ketluan"][p] / b, 2) if b else None
    out["baseline_index_mb"] = {"plain Whoosh": round(whoosh_bytes / 1e6, 1), "SQLite FTS5": round(fts_bytes / 1e6, 1)}
    # plain Whoosh indexing the notices' texts (already read and parsed) with 2 processes
    out["plain_whoosh_index_seconds"] = round(whoosh_seconds, 2)
    return out


def quality_figures() -> dict:
    import quality
    return quality.measure()


def commit() -> str:
    """The commit measured (with `+dirty` when the work tree differs from it)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                            ":!bench/results", ":!README.md"],  # what make bench itself rewrites
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return (head or "unknown") + ("+dirty" if dirty else "")


def machine() -> dict:
    mem = next((l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")), "0")
    return {"cpus": os.cpu_count(), "memory_gib": round(int(mem) / 2**20, 1), "python": platform.python_version(),
            "platform": platform.platform()}


FILTER_PARAMS = {"level": "level", "year": "year", "topic": "topic", "date_from": "from", "date_to": "to",
                 "sort": "sort"}


def free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_figures(data: Path, seconds: float, clients: int = 8) -> dict:
    """The default search over HTTP (`ketluan serve`, waitress): each query's latency
    (total, facets and one page of notice hits, as the site asks for them), then
    `clients` concurrent clients for `seconds`, counting errors, with the server's peak
    memory (RSS, and PSS) sampled throughout."""
    import http.client
    import urllib.parse
    port = free_port()
    server = subprocess.Popen(KETLUAN + ["serve", "--data", str(data), "--port", str(port), "--threads", "8"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = PeakRss(server.pid)
    try:
        for _ in range(300):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=60).request("GET", "/api/stats")
                break
            except OSError:
                time.sleep(0.1)

        def url(q: str, filters: dict) -> str:
            params = {"q": q, "limit": "10", **{FILTER_PARAMS[k]: str(v) for k, v in filters.items()}}
            return "/api/search?" + urllib.parse.urlencode(params)

        def get(conn, path: str) -> int:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            return response.status

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for _, q, filters in QUERIES:  # warm up, as the in-process runs
            get(conn, url(q, filters))
        per_class: dict[str, list[float]] = {}
        for _ in range(3):
            for kind, q, filters in QUERIES:
                started = time.perf_counter()
                status = get(conn, url(q, filters))
                if status != 200:
                    raise SystemExit(f"{q!r}: HTTP {status}")
                per_class.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        out = _percentiles([t for v in per_class.values() for t in v])
        out["by_class"] = {kind: _percentiles(v) for kind, v in per_class.items()}
        settled = dict(sampler.peak)
        results = {"requests": 0, "errors": 0}
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds

        def client(offset: int):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            i = offset
            while time.monotonic() < stop_at:
                _, q, filters = QUERIES[i % len(QUERIES)]
                i += 1
                try:
                    ok = get(c, url(q, filters)) == 200
                except (OSError, http.client.HTTPException):
                    ok = False
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                with lock:
                    results["requests"] += 1
                    results["errors"] += not ok
        threads = [threading.Thread(target=client, args=(n * 3,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = sampler.stop()
        out["concurrent"] = {"clients": clients, "seconds": seconds, **results,
                             "requests_per_s": round(results["requests"] / seconds, 1)}
        out["server_peak_rss_mb"] = round(peak["rss_max"] / 2**20, 1)
        out["server_peak_pss_mb"] = round(peak["pss"] / 2**20, 1)
        out["server_rss_after_sequential_mb"] = round(settled["rss_max"] / 2**20, 1)
        return out
    finally:
        server.terminate()
        server.wait(10)


def index_sizes(index_dir: Path, max_terms: int = 3_000_000) -> dict:
    """Bytes of the index by kind of file, and of postings by field (term by term, for
    indexes of up to `max_terms` terms)."""
    by_kind: dict[str, int] = {}
    for f in index_dir.iterdir():
        kind = {".pst": "postings", ".trm": "term dictionary", ".fdt": "stored fields", ".fdi": "stored fields",
                ".seg": "segment files (compound)", ".toc": "table of contents"}.get(f.suffix, f.suffix or f.name)
        by_kind[kind] = by_kind.get(kind, 0) + f.stat().st_size
    by_field: dict[str, int] = {}
    index = Index(index_dir)
    with index.reading() as searcher:
        for reader, _ in searcher.reader().leaf_readers():
            if not hasattr(reader, "_terms"):
                continue
            store = poststore.locate(str(index_dir), reader._segment, reader._storage)
            if store:  # the posting store (indexer/index/poststore.py)
                size = store[2] if store[2] is not None else os.path.getsize(store[0])
                by_field["(posting store)"] = by_field.get("(posting store)", 0) + size
            count = 0
            for (fieldname, text), info in reader._terms.items():
                count += 1
                length = info._length[0] if isinstance(info._length, tuple) else (info._length or 0)
                by_field[fieldname] = by_field.get(fieldname, 0) + length + len(text)
                if count > max_terms:
                    return {"by_file_kind_mb": _mb(by_kind), "postings_by_field_mb": "not measured (too many terms)"}
    return {"by_file_kind_mb": _mb(by_kind), "postings_by_field_mb": _mb(by_field)}


def _mb(sizes: dict) -> dict:
    return {k: round(v / 1e6, 2) for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])}


def index_repeats(files: Path, work: Path, ketluan_seconds: float, plain_seconds: float, repeats: int) -> dict:
    """The indexing comparison, run `repeats` times: ketluan (2 jobs, a fresh data
    directory) then plain Whoosh (2 processes), in turn; the first pair is the runs
    `index_figures` and `latency_figures` timed. The machine is shared: the same
    100,000-notice run took 260–283 s on one afternoon, a spread as wide as the bar's
    margin, so each engine's best run (the least disturbed) is compared, and every run
    is kept."""
    ketluan, plain = [ketluan_seconds], [plain_seconds]
    docs = baseline_docs(work / "jobs2") if repeats > 1 else []
    data, plain_path = work / "jobs2-repeat", work / "plain-whoosh-repeat"
    for _ in range(1, repeats):
        shutil.rmtree(data, ignore_errors=True)
        ketluan.append(timed_index(files, data, 2)["seconds"])
        settle()
        started = time.perf_counter()
        plain_whoosh(docs, plain_path)
        plain.append(round(time.perf_counter() - started, 2))
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(plain_path, ignore_errors=True)
    return {"ketluan_seconds": ketluan, "plain_whoosh_seconds": plain,
            "pair_ratios": [round(p / k, 3) for k, p in zip(ketluan, plain)],
            "best_ratio": round(min(plain) / min(ketluan), 3)}


def index_runs(r: dict) -> tuple[list[float], list[float]]:
    """(ketluan's 2-job index times, plain Whoosh's) of a result, every run."""
    repeats = r["indexing"].get("repeats")
    if repeats:
        return repeats["ketluan_seconds"], repeats["plain_whoosh_seconds"]
    plain = r["latency"].get("plain_whoosh_index_seconds")
    return [r["indexing"]["jobs2"]["seconds"]], [plain] if plain else []


def bench_size(size: int, seed: int, one_job: bool = True, http_seconds: float = 60, index_repeats_n: int = 2) -> dict:
    files = DATA / str(size)
    marker = files / ".complete"
    if not marker.exists() or marker.read_text() != generate.VERSION:
        shutil.rmtree(files, ignore_errors=True)
        generate.generate(files, size, seed)
        marker.write_text(generate.VERSION)
    work = DATA / f"work-{size}"
    work.mkdir(parents=True, exist_ok=True)
    result = {"notices": size, "machine": machine(), "measured": time.strftime("%Y-%m-%d %H:%M"), "commit": commit(),
              "indexing": index_figures(size, files, work, (1, 2) if one_job else (2,))}
    result["latency"] = latency_figures(work)
    result["indexing"]["repeats"] = index_repeats(files, work, result["indexing"]["jobs2"]["seconds"],
                                                  result["latency"]["plain_whoosh_index_seconds"], index_repeats_n)
    result["http"] = http_figures(work / "jobs2", http_seconds)
    result["index_sizes"] = index_sizes(work / "jobs2" / "index")
    result["source_mb"] = result["indexing"]["megabytes"]
    return result


def _ratio(plain_seconds, seconds) -> str:
    return f"{plain_seconds / seconds:.2f}×" if plain_seconds and seconds else "not measured"


def _runs(seconds: list[float]) -> str:
    return " / ".join(f"{s:g}" for s in seconds) or "not measured"


def _best_ratio(r: dict) -> str:
    """Throughput ÷ plain Whoosh's, each engine's best run; with the pairs' when repeated."""
    ketluan, plain = index_runs(r)
    best = _ratio(min(plain, default=None), min(ketluan))
    if len(ketluan) < 2:
        return best
    return f"{best} (in turn: {', '.join(_ratio(p, k) for k, p in zip(ketluan, plain))})"


def summary_table(results: list[dict], quality: dict) -> str:
    lines = ["## Indexing", "", "Plain Whoosh: the same notices' texts (already read and parsed), 2 processes, "
             "in the same run; the ratio is ketluan's throughput ÷ plain Whoosh's, each engine's best run (the two "
             "index in turn, twice: the machine is shared and one run's time varies by a few percent); every "
             "run's time is listed.", "",
             "| notices | files | MB | 1 job (s) | 2 jobs (s) | plain Whoosh (s) | throughput ÷ plain Whoosh | "
             "MB/s (2 jobs) | re-run (s) | PSS sum / largest RSS, 2 jobs (MB) | index MB (× source) | measured (commit) |",
             "|" + "---|" * 12]
    for r in results:
        i, two = r["indexing"], r["indexing"]["jobs2"]
        ketluan, plain = index_runs(r)
        lines.append(
            f"| {r['notices']:,} | {i['files']:,} | {i['megabytes']} | {i.get('jobs1', {}).get('seconds', 'not run')} | "
            f"{_runs(ketluan)} | {_runs(plain)} | {_best_ratio(r)} | "
            f"{two['mb_per_s']} | {i['rerun']['seconds']} | "
            f"{two.get('peak_pss_mb')} / {two.get('peak_rss_largest_process_mb')} | "
            f"{i['index_mb']} ({i['index_mb'] / i['megabytes']:.1f}×) | {r['measured']} ({r.get('commit', 'unknown')}) |")
    lines += ["", "## Query latency, in process (ms, p50 / p95; every class run 3 times after a warm-up)", "",
              "ketluan: default search with total and facets. Plain Whoosh (folded, filters as filter queries) and "
              "SQLite FTS5 (đ folded, filter columns): top 10 and the total, one document per notice.", ""]
    classes = [c for c, _, _ in QUERIES]
    classes = list(dict.fromkeys(classes))
    lines += ["| notices | engine | all | " + " | ".join(classes) + " | measured (commit) |",
              "|" + "---|" * (len(classes) + 4)]
    for r in results:
        lat = r["latency"]
        if "by_class" not in lat.get("ketluan", {}):
            continue  # measured before the per-class bench
        for engine in ENGINES:
            e = lat[engine]
            cells = [f"{e['by_class'][c]['p50_ms']} / {e['by_class'][c]['p95_ms']}" for c in classes]
            lines.append(f"| {r['notices']:,} | {engine} | {e['p50_ms']} / {e['p95_ms']} | " + " | ".join(cells) +
                         f" | {r.get('latency_measured', r['measured'])} ({r.get('latency_commit', r.get('commit', 'unknown'))}) |")
        lines.append(f"| {r['notices']:,} | ketluan ÷ FTS5 | p50 {lat['p50_ratio_vs_SQLite FTS5']}×, "
                     f"p95 {lat['p95_ratio_vs_SQLite FTS5']}× | ketluan ÷ plain Whoosh: p50 "
                     f"{lat['p50_ratio_vs_plain Whoosh']}×, p95 {lat['p95_ratio_vs_plain Whoosh']}× |" + " |" * (len(classes) - 1))
    lines += ["", "## Over HTTP (`ketluan serve`, waitress, 8 threads): the default search with total, facets and "
              "one page of notice hits", "",
              "| notices | p50 / p95 / p99 ms | ÷ FTS5 in process (p50 / p95) | broad | long | filtered | no hit | "
              "8 clients: requests, errors, req/s | server peak RSS / PSS (MB) | index (× source) |",
              "|" + "---|" * 10]
    for r in results:
        h = r.get("http")
        if not h:
            continue
        fts = r["latency"]["SQLite FTS5"]
        c = h["concurrent"]
        ratio = f"{h['p50_ms'] / fts['p50_ms']:.2f}× / {h['p95_ms'] / fts['p95_ms']:.2f}×"
        cells = [f"{h['by_class'][k]['p50_ms']} / {h['by_class'][k]['p95_ms']}" for k in ("broad", "long", "filtered", "no hit")]
        lines.append(f"| {r['notices']:,} | {h['p50_ms']} / {h['p95_ms']} / {h['p99_ms']} | {ratio} | " + " | ".join(cells) +
                     f" | {c['requests']}, {c['errors']}, {c['requests_per_s']} | {h['server_peak_rss_mb']} / "
                     f"{h['server_peak_pss_mb']} | {r['indexing']['index_mb']} MB "
                     f"({r['indexing']['index_mb'] / r['indexing']['megabytes']:.1f}×) |")
    sizes = [(r["notices"], r["index_sizes"]) for r in results if r.get("index_sizes")]
    if sizes:
        lines += ["", "Index size by field (postings and term keys, MB):", ""]
        for n, sz in sizes:
            lines.append(f"- {n:,}: {sz['postings_by_field_mb']}; by file: {sz['by_file_kind_mb']}")
    lines += ["", f"## Search quality (recall@10 / MRR@10), measured {time.strftime('%Y-%m-%d %H:%M')} ({commit()})", ""]
    for name, title in (("tuning", "Tuning set (bench/quality_queries.tsv, corpus/)"),
                        ("eval", "Evaluation set, never tuned on (bench/eval_queries.tsv)")):
        lines.append(f"{title}:")
        lines += [f"- {engine}: {s['summary']['all']['recall@10']:.2f} / {s['summary']['all']['mrr@10']:.2f}"
                  for engine, s in quality[name].items()]
        lines.append("")
    for key, title in (("did_you_mean", "tuning"), ("eval_did_you_mean", "evaluation")):
        d = quality[key]
        lines.append(f"Did you mean ({title}, {d['queries']} queries): whole queries {d['ketluan']:.2f}, "
                     f"syllables {d['ketluan syllables']:.2f} (pyvi add_accents {d['pyvi add_accents']:.2f} / "
                     f"{d['pyvi syllables']:.2f})")
    return "\n".join(lines) + "\n"


README = ROOT / "README.md"
README_START, README_END = "<!-- bench:start (written by make bench) -->", "<!-- bench:end -->"


def readme_block(results: list[dict]) -> str:
    """The README's table of figures: every one as `make bench` measured it, with when
    and at which commit."""
    lines = ["| notices | index, 2 jobs, best run (MB/s; throughput ÷ plain Whoosh's best) | index size (× source) | search p50 / p95, in process: ketluan · "
             "plain Whoosh · FTS5 (ms) | over HTTP p50 / p95 (ms) | server peak RSS, 8 clients (MB) | measured (commit) |",
             "|" + "---|" * 7]
    for r in results:
        lat, i = r["latency"], r["indexing"]
        if "by_class" not in lat.get("ketluan", {}):
            continue
        cells = " · ".join(f"{lat[e]['p50_ms']:.0f} / {lat[e]['p95_ms']:.0f}" for e in ENGINES)
        h = r.get("http")
        http = f"{h['p50_ms']:.0f} / {h['p95_ms']:.0f}" if h else "not measured"
        rss = f"{h['server_peak_rss_mb']:.0f} ({h['concurrent']['errors']} errors)" if h else "not measured"
        ketluan, plain = index_runs(r)
        lines.append(f"| {r['notices']:,} | {min(ketluan):.0f} s ({i['megabytes'] / min(ketluan):.3f}; "
                     f"{_ratio(min(plain, default=None), min(ketluan))}) | "
                     f"{i['index_mb']:.0f} MB ({i['index_mb'] / i['megabytes']:.1f}×) | {cells} | {http} | {rss} | "
                     f"{r.get('latency_measured', r['measured'])} ({r.get('latency_commit', r.get('commit', '?'))}) |")
    return "\n".join(lines)


def update_readme(block: str) -> None:
    text = README.read_text(encoding="utf-8")
    if README_START in text and README_END in text:
        head, rest = text.split(README_START, 1)
        _, tail = rest.split(README_END, 1)
        README.write_text(f"{head}{README_START}\n{block}\n{README_END}{tail}", encoding="utf-8")


def plot(results: list[dict]) -> Path | None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot (pip install matplotlib)")
        return None
    results = [r for r in results if "by_class" in r["latency"].get("ketluan", {})]
    if not results:
        return None
    sizes = [r["notices"] for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    one = [(r["notices"], r["indexing"]["jobs1"]["seconds"]) for r in results if "jobs1" in r["indexing"]]
    left.plot([n for n, _ in one], [t for _, t in one], "o-", label="1 job")
    left.plot(sizes, [min(index_runs(r)[0]) for r in results], "o-", label="2 jobs (best run)")
    plain = [(r["notices"], min(index_runs(r)[1])) for r in results if index_runs(r)[1]]
    left.plot([n for n, _ in plain], [t for _, t in plain], "o--", label="plain Whoosh, 2 processes (best run)")
    left.set(xscale="log", yscale="log", xlabel="notices", ylabel="seconds", title="Bulk index time")
    left.legend()
    for name in ENGINES:
        for p, style in (("p50_ms", "o--"), ("p95_ms", "o-")):
            right.plot(sizes, [r["latency"][name][p] for r in results], style, label=f"{name} {p[:3]}")
    served = [r for r in results if r.get("http")]
    for p, style in (("p50_ms", "s--"), ("p95_ms", "s-")):
        right.plot([r["notices"] for r in served], [r["http"][p] for r in served], style, label=f"ketluan over HTTP {p[:3]}")
    right.set(xscale="log", yscale="log", xlabel="notices", ylabel="ms", title="Query latency")
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
    ap.add_argument("--http-seconds", type=float, default=60, help="how long the 8 concurrent clients run")
    ap.add_argument("--index-repeats", type=int, default=2,
                    help="times ketluan and plain Whoosh each index, in turn, for the indexing ratio")
    ap.add_argument("--latency-only", action="store_true",
                    help="re-measure query latency on the archives indexed by an earlier run")
    ap.add_argument("--report-only", action="store_true",
                    help="measure nothing: write the summary, the README table and the plot from bench/results/*.json")
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for size in [] if args.report_only else args.sizes:
        print(f"== {size:,} notices", flush=True)
        if args.latency_only:
            result = json.loads((RESULTS / f"bench-{size}.json").read_text())
            result["latency"] = latency_figures(DATA / f"work-{size}")
            result["http"] = http_figures(DATA / f"work-{size}" / "jobs2", args.http_seconds)
            result["index_sizes"] = index_sizes(DATA / f"work-{size}" / "jobs2" / "index")
            result["latency_measured"] = time.strftime("%Y-%m-%d %H:%M")
            result["latency_commit"] = commit()
        else:
            result = bench_size(size, args.seed, one_job=size <= args.one_job_max, http_seconds=args.http_seconds,
                                index_repeats_n=args.index_repeats)
        (RESULTS / f"bench-{size}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
        print(json.dumps(result, indent=2, ensure_ascii=False), flush=True)
    # The table shows every size measured so far (each row says when), so a separate
    # `--sizes 100000` run adds its row to the 1k and 10k ones.
    results = [json.loads(p.read_text()) for p in RESULTS.glob("bench-*.json")]
    results.sort(key=lambda r: r["notices"])
    quality = quality_figures()
    table = summary_table(results, quality)
    (RESULTS / "summary.md").write_text(f"# Benchmarks\n\nWritten by `make bench` (bench/run.py). Machine: "
                                        f"{results[0]['machine']}\n\n" + table)
    print(table)
    update_readme(readme_block(results))
    plotted = plot(results)
    if plotted:
        print(f"plot: {plotted}")


if __name__ == "__main__":
    main()
