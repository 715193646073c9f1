"""Bulk ingestion: files on disk → archive → index, idempotent and resumable.

Workers read and parse (both cores with --jobs 2), and prepare what is written of each
notice (its catalog JSON, link facts and index documents); the main process alone
writes the archive and the index. A file is `archived` in the catalog before its notices are
indexed and `indexed` after the index commit, so a run killed anywhere is finished by
running it again: archived-but-unindexed files are indexed then, and index updates
are keyed by notice id, so nothing is duplicated."""
from __future__ import annotations

import fcntl
import os
import signal
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import copies, topics
from .archive import Archive, LinkEntry, notice_data, notice_id, sha256_bytes
from .errors import IndexBusy, KetluanError, UnreadableFile, UnsupportedFile
from .faults import checkpoint
from .index import Index, PackedNotice, for_rebuild, packed_documents
from .model import Notice
from .ocr import locate_pages
from .parse import parse
from .process import init_child
from .read import DEFAULT_MAX_BYTES, load_bytes, read_bytes

# Files per index commit: searchers see new notices at each. Larger runs commit less
# often (every tenth of the run, up to every 2,000 files): each commit costs a new
# segment and its sub-writer processes (a 10k run took ~5% less time with commits
# every 1,000 files than every 500), and fewer segments search faster (whoosh's merges
# cost as much as indexing). $KETLUAN_COMMIT_EVERY overrides.
BATCH_FILES = 500
MAX_BATCH_FILES = 2000
MAX_IN_FLIGHT = 500  # parsed files waiting for the main process, at most
FILES_PER_TASK = 16


def batch_size(files_to_do: int) -> int:
    explicit = os.environ.get("KETLUAN_COMMIT_EVERY")
    if explicit:
        return int(explicit)
    return max(BATCH_FILES, min(MAX_BATCH_FILES, files_to_do // 10))


@dataclass
class Summary:
    new: int = 0
    known_content: int = 0  # new paths whose bytes the archive already held: only the path is recorded
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    warned: int = 0
    notices: int = 0
    items: int = 0
    bytes: int = 0
    seconds: float = 0.0
    report: list[tuple[str, str, str]] = field(default_factory=list)  # path, status, reason
    taxonomy_changed: bool = False  # a new topic file: already archived notices need `ketluan retag`
    copies: int = 0  # the archive's notices that are copies of another file's (shown once)
    link_seconds: float = 0.0  # main process: cataloguing references and grouping copies
    signature_seconds: float = 0.0  # workers' CPU: the copies' text signatures and facts

    @property
    def files(self) -> int:
        return self.new + self.known_content + self.unchanged + self.skipped + self.failed

    def count_known_content(self, parsed: "_Parsed") -> None:
        """A file counted as new turned out to hold bytes already archived: its
        notices are not new either."""
        self.new -= 1
        self.known_content += 1
        self.notices -= len(parsed.notices)
        self.items -= sum(n.items for n in parsed.notices)


@dataclass(frozen=True)
class _Prepared:
    """A parsed notice as the main process uses it, made in the worker: the catalog's
    JSON, what linking needs, its index documents (packed), and what the summary counts.
    The main process never unpickles the notice's objects (0.15 ms a file, its largest
    single cost), nor serialises it, nor builds its documents."""
    data: str  # archive.notice_data
    link: LinkEntry
    documents: PackedNotice
    items: int
    warnings: tuple[str, ...]


def _prepare(sha256: str, notices: tuple[Notice, ...]) -> tuple[tuple[_Prepared, ...], float]:
    """Each notice prepared, and the CPU seconds its copies' facts took."""
    prepared, seconds = [], 0.0
    for position, notice in enumerate(notices):
        nid = notice_id(sha256, position)
        started = time.process_time()
        facts = copies.facts(notice)
        seconds += time.process_time() - started
        prepared.append(_Prepared(notice_data(notice), LinkEntry.of(nid, notice, facts),
                                  packed_documents(nid, sha256, notice), len(notice.items), notice.warnings))
    return tuple(prepared), seconds


@dataclass(frozen=True)
class _Parsed:
    path: str
    sha256: str
    size: int
    data: bytes | None
    format: str = ""
    encoding: str = ""
    warnings: tuple[str, ...] = ()
    notices: tuple[_Prepared, ...] = ()
    hocr: tuple[tuple[int, str], ...] = ()
    signature_seconds: float = 0.0  # CPU of the copies' facts (number key, dates, signature, bands)
    error: str = ""
    unsupported: bool = False


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[str]:
    """Files under the given paths, recursively, in a stable order; symlink loops and
    unreadable folders are skipped. As strings (a Path object each cost the main
    process 15 µs: 1.5 s for 100,000 files)."""
    for root in paths:
        root = str(Path(root))  # written as a Path writes it: `corpus/`, `./corpus` → `corpus`
        if os.path.isdir(root):
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                dirnames.sort()
                if root == ".":  # `./a/b.txt` → `a/b.txt`, as Path writes it
                    dirpath = dirpath[2:]
                for name in sorted(filenames):
                    if not name.startswith("."):
                        yield os.path.join(dirpath, name)
        else:
            yield root


DOCUMENTATION_NAMES = ("readme", "license", "licence", "copying", "changelog", "contributing", "authors")
DOCUMENTATION = "documentation file, not a notice"


def is_documentation(path: Path, notices=None) -> bool:
    """A folder's own documentation, skipped rather than archived as a notice: README*,
    LICENSE*, COPYING*, CHANGELOG*, CONTRIBUTING*, AUTHORS* of any extension, and a
    Markdown or reStructuredText file in which the parser finds nothing of a notice (no
    document type, number, date or numbered items). Hidden files are never read."""
    if path.name.lower().startswith(DOCUMENTATION_NAMES):
        return True
    if notices is None or path.suffix.lower() not in (".md", ".markdown", ".rst"):
        return False
    return not any(n.doc_type or n.number or n.date or n.items for n in notices)


def _read_and_parse(path: str, max_bytes: int, taxonomy_file: str) -> _Parsed:
    p = Path(path)
    if is_documentation(p):
        return _Parsed(path, "", 0, None, error=DOCUMENTATION, unsupported=True)
    if p.is_symlink() and not p.exists():
        return _Parsed(path, "", 0, None, error="broken or looping symbolic link")
    try:
        data = load_bytes(p, max_bytes)
    except UnsupportedFile as err:
        return _Parsed(path, "", 0, None, error=err.reason, unsupported=True)
    except UnreadableFile as err:
        return _Parsed(path, "", 0, None, error=err.reason)
    sha = sha256_bytes(data)
    try:
        result = read_bytes(data, p.name, path)
        taxonomy = topics.load(taxonomy_file)
        notices = tuple(taxonomy.tag(n) for n in parse(result.text))
        if is_documentation(p, notices):
            return _Parsed(path, sha, len(data), data, error=DOCUMENTATION, unsupported=True)
        if result.pages:
            notices = locate_pages(notices, list(result.pages))
    except UnsupportedFile as err:
        return _Parsed(path, sha, len(data), data, error=err.reason, unsupported=True)
    except KetluanError as err:
        return _Parsed(path, sha, len(data), data, error=getattr(err, "reason", str(err)))
    except RecursionError:
        return _Parsed(path, sha, len(data), data, error="document nested too deeply")
    prepared, signature_seconds = _prepare(sha, notices)
    return _Parsed(path, sha, len(data), data, result.format, result.encoding, result.warnings, prepared, result.hocr,
                   signature_seconds)


class RunLock:
    """One ingesting process per data directory; a second one is refused."""

    def __init__(self, root: Path):
        self.path = root / ".ingest.lock"

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise IndexBusy(f"another 'ketluan index' is already running on {self.path.parent}",
                            "Một tiến trình lập chỉ mục khác đang chạy trên thư mục dữ liệu này.")
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def ingest(paths: Iterable[str | os.PathLike], root: Path, jobs: int = 1, max_bytes: int = DEFAULT_MAX_BYTES,
           on_file: Callable[[str, str, str], None] | None = None,
           progress: Callable[[int, int, int], None] | None = None,
           taxonomy: str | os.PathLike | None = None) -> Summary:
    """Archive and index every file under `paths`. `on_file(path, status, reason)` is
    called for each file not indexed cleanly; `progress(done, total, bytes)` after each.
    `taxonomy`: a topic file to tag with (kept in the data directory for later runs)."""
    started = time.monotonic()
    summary = Summary()
    root = Path(root)
    with RunLock(root), Archive(root) as archive, _StopOnCtrlC() as stop:
        summary.taxonomy_changed = _save_taxonomy(root, taxonomy)
        taxonomy_file = str(topics.taxonomy_path(None, root))
        archive.remove_temp_files()
        index = Index(root / "index")
        if index.outdated():
            _rebuild(archive, root, jobs)
            index = Index(root / "index")
        archive.link_unlinked()
        _finish_pending(archive, index)
        files = list(iter_files(paths))
        todo = []
        for path in files:
            if _unchanged(archive, path):
                summary.unchanged += 1
            else:
                todo.append(path)
        if progress:
            progress(summary.unchanged, len(files), 0)
        batch_files = batch_size(len(todo))
        batch = _Batch()
        stale: list[str] = []
        for parsed in _parse_all(todo, jobs, max_bytes, taxonomy_file, window=batch_files):
            if stop.is_set():
                _archive(archive, batch, stale, summary)
                raise KeyboardInterrupt  # at a safe point: what is archived is kept, the rest waits for a re-run
            _record(archive, parsed, summary, batch, on_file)
            if batch.unwritten_full():
                _archive(archive, batch, stale, summary)
            if progress:
                progress(summary.files, len(files), summary.bytes)
            if len(batch.files) + len(batch.unwritten) >= batch_files:
                _archive(archive, batch, stale, summary)
                _index_batch(archive, index, batch, stale, jobs)
        _archive(archive, batch, stale, summary)
        _index_batch(archive, index, batch, stale, jobs)
        summary.copies = archive.copy_count()
        summary.link_seconds = archive.link_seconds
    summary.seconds = time.monotonic() - started
    _write_report(root, summary, set(todo), run=time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - summary.seconds)))
    return summary


class _StopOnCtrlC(threading.Event):
    """Ctrl-C only sets a flag; the run stops between two files. (An interrupt raised at
    an arbitrary point, e.g. inside the worker pool's machinery, can hang the exit.)"""

    def __enter__(self):
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, lambda *_: self.set())
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _unchanged(archive: Archive, path: str) -> bool:
    sha, status, size = archive.status_of_path(path)
    if status != "indexed":
        return False
    try:
        # Cheap check first (size), then the hash: an unchanged tree re-runs quickly.
        return Path(path).stat().st_size == size and sha256_bytes(Path(path).read_bytes()) == sha
    except OSError:
        return False


def _parse_all(paths: list[str], jobs: int, max_bytes: int, taxonomy_file: str, window: int = 64) -> Iterator[_Parsed]:
    topics.load(taxonomy_file)  # a broken topic file fails the run before any file is read
    if jobs <= 1 or len(paths) < 4:
        for path in paths:
            yield _read_and_parse(path, max_bytes, taxonomy_file)
        return
    # A bounded window of files in flight: when indexing is slower than parsing, parsed
    # files must not pile up in memory; but it is wide enough that the workers parse
    # ahead while the main process is busy committing to the index.
    size = max(jobs * 16, min(window, MAX_IN_FLIGHT))
    # Files go to the workers in small chunks: each task costs the pool's machinery
    # (pickling, queues, a future, wake-ups) in the main process, about 1 ms a task.
    chunk = max(1, min(FILES_PER_TASK, len(paths) // (jobs * 4)))
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=init_child)
    try:
        in_flight: deque = deque()
        for start in range(0, len(paths), chunk):
            in_flight.append(pool.submit(_read_and_parse_all, paths[start:start + chunk], max_bytes, taxonomy_file))
            if len(in_flight) * chunk >= size:
                yield from in_flight.popleft().result()
        while in_flight:
            yield from in_flight.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # stopped early: drop what was not started


def _read_and_parse_all(paths: list[str], max_bytes: int, taxonomy_file: str) -> list[_Parsed]:
    return [_read_and_parse(path, max_bytes, taxonomy_file) for path in paths]


# Parsed files archived together: their originals synced to disk at once and their
# catalog rows written in one transaction (a sync and a commit per file took a quarter
# of the main process's CPU: 19 s against 14 s for 10,000 files).
ARCHIVE_GROUP_FILES = 64
ARCHIVE_GROUP_BYTES = 32 * 2**20


@dataclass
class _Batch:
    """Files archived since the last index commit; `new`: those never archived before;
    `recorded`: their notices as the workers prepared them, to be linked and indexed;
    `unwritten`: files parsed and counted, waiting to be archived as a group."""
    files: list[str] = field(default_factory=list)
    new: set[str] = field(default_factory=set)
    recorded: list[_Prepared] = field(default_factory=list)
    unwritten: list[_Parsed] = field(default_factory=list)
    unwritten_bytes: int = 0

    def unwritten_full(self) -> bool:
        return len(self.unwritten) >= ARCHIVE_GROUP_FILES or self.unwritten_bytes >= ARCHIVE_GROUP_BYTES

    def clear(self) -> None:
        self.files.clear()
        self.new.clear()
        self.recorded.clear()


def _record(archive: Archive, parsed: _Parsed, summary: Summary, batch: _Batch, on_file) -> None:
    """Count a parsed file and report its problems; a failed file is archived (its
    original and reason) at once, a parsed one waits in `batch.unwritten`."""
    def report(status: str, reason: str) -> None:
        summary.report.append((parsed.path, status, reason))
        if on_file:
            on_file(parsed.path, status, reason)

    if parsed.unsupported:
        summary.skipped += 1
        report("skipped", parsed.error)
        return
    if parsed.error:
        summary.failed += 1
        if parsed.sha256:
            archive.store_original(parsed.data, parsed.sha256)
            archive.record_failure(parsed.path, parsed.sha256, parsed.size, parsed.error)
        report("failed", parsed.error)
        return
    batch.unwritten.append(parsed)
    batch.unwritten_bytes += parsed.size
    summary.signature_seconds += parsed.signature_seconds
    summary.new += 1
    summary.bytes += parsed.size
    summary.notices += len(parsed.notices)
    summary.items += sum(n.items for n in parsed.notices)
    warnings = list(parsed.warnings) + sorted({w for n in parsed.notices for w in n.warnings})
    if warnings:
        summary.warned += 1
        report("warning", ", ".join(warnings))


def _archive(archive: Archive, batch: _Batch, stale: list[str], summary: Summary) -> None:
    """Archive the files waiting in `batch.unwritten`: originals first (durable before
    the catalog names them), then their catalog rows. A file whose bytes the archive
    already holds under another path adds its path only: its notices are catalogued
    and indexed already (or waiting to be, as `pending`)."""
    group = batch.unwritten
    if not group:
        return
    archive.store_originals((p.data, p.sha256, p.hocr) for p in group)
    found_stale, new, known_content = archive.record_files(
        (p.path, p.sha256, p.size, p.format, p.encoding, list(p.warnings), [n.data for n in p.notices])
        for p in group)
    stale.extend(found_stale)
    batch.new |= new
    for parsed in group:
        if parsed.path in known_content:
            summary.count_known_content(parsed)
            continue
        batch.recorded.extend(parsed.notices)
        batch.files.append(parsed.sha256)
    batch.unwritten, batch.unwritten_bytes = [], 0


def _index_batch(archive: Archive, index: Index, batch: _Batch, stale: list[str], jobs: int = 1) -> None:
    archive.link([n.link for n in batch.recorded])
    # with the files whose notices became, or stopped being, the copy shown (their
    # status went back to `archived` when another file's copy arrived or left): those
    # are read from the catalog, this batch's notices come packed from the workers
    files = list(dict.fromkeys([*batch.files, *archive.pending()]))
    if not files and not stale:
        return
    packed = list({n.documents.id: n.documents for n in batch.recorded}.values())  # a file twice in a batch: once
    packed_files = {p.sha256 for p in packed}
    others = [sha256 for sha256 in files if sha256 not in packed_files]
    with index.writer(procs=jobs if len(files) >= 50 else 1) as writer:
        writer.delete_notices(stale)
        new_files = frozenset(batch.new)
        writer.add_packed(packed, archive.copies_among([p.id for p in packed]), new_files)
        if others:
            writer.add_notices(archive.notices_of(others), new_files=new_files)
        checkpoint("index-add")
    checkpoint("indexed")
    archive.mark_indexed(files)
    batch.clear()
    stale.clear()


def _finish_pending(archive: Archive, index: Index) -> None:
    pending = archive.pending()
    if pending:
        _index_batch(archive, index, _Batch(pending), [])


def reindex(root: Path, jobs: int = 1) -> int:
    """Rebuild the index from the archive alone (with `jobs` writer processes). Returns
    the number of documents."""
    with RunLock(root), Archive(root) as archive:
        return _rebuild(archive, Path(root), jobs)


def _rebuild(archive: Archive, root: Path, jobs: int = 1) -> int:
    archive.link_unlinked()
    index = for_rebuild(root / "index")
    with index.writer(replace_all=True, procs=jobs) as writer:
        count = writer.add_notices(archive.notices_of(), replace=False)
    archive.mark_indexed(archive.pending())
    return count


def retag(root: Path, taxonomy: str | os.PathLike | None = None, jobs: int = 1) -> tuple[int, int]:
    """Re-tag every archived notice with the taxonomy (without re-reading any file) and
    rebuild the index. Returns (notices, notices whose topics changed)."""
    root = Path(root)
    with RunLock(root), Archive(root) as archive:
        _save_taxonomy(root, taxonomy)
        tax = topics.load(topics.taxonomy_path(None, root))
        changed, total = [], 0
        for stored in archive.notices_of():
            total += 1
            tagged = tax.tag(stored.notice)
            if tagged != stored.notice:
                changed.append((stored.id, tagged))
        archive.update_notices(changed)
        _rebuild(archive, root, jobs)
        return total, len(changed)


def _save_taxonomy(root: Path, taxonomy: str | os.PathLike | None) -> bool:
    """Keep a copy of the topic file the archive is tagged with (so later runs and the
    site use it too). True when it differs from the copy kept before."""
    source = topics.taxonomy_path(taxonomy, root)
    saved = root / topics.SAVED_NAME
    if source == saved or (taxonomy is None and not os.environ.get("KETLUAN_TOPICS")):
        return False
    topics.load(source)  # refuse a broken file before keeping it
    text = source.read_text(encoding="utf-8")
    if saved.is_file() and saved.read_text(encoding="utf-8") == text:
        return False
    tmp = saved.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, saved)
    return True


REPORT_HEADER = "path\tstatus\treason\trun"


def _write_report(root: Path, summary: Summary, read_now: set[str], run: str) -> None:
    """DATA/report.tsv describes the archive as it stands: every file that failed, was
    skipped or has warnings, with the run (its start time) that last read it. A file
    this run read again replaces its row (and loses it when it is now clean); files it
    did not read keep theirs, so a re-run that finds nothing new keeps the report."""
    rows: dict[str, tuple[str, str, str]] = {}
    path = root / "report.tsv"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            cells = line.split("\t")
            if len(cells) >= 3 and cells[0] not in read_now:
                rows[cells[0]] = (cells[1], cells[2], cells[3] if len(cells) > 3 else "")
    for file, status, reason in summary.report:
        rows[file] = (status, reason.replace("\t", " ").replace("\n", " "), run)
    lines = [f"{file}\t{status}\t{reason}\t{when}" for file, (status, reason, when) in sorted(rows.items())]
    tmp = root / "report.tsv.tmp"
    tmp.write_text(REPORT_HEADER + "\n" + "".join(line + "\n" for line in lines), encoding="utf-8")
    os.replace(tmp, path)
