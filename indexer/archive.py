"""The archive: every ingested original, stored under its SHA-256, and a SQLite catalog
of files, the paths they came from, and the notices parsed out of them. It is the source
of truth; the search index is derived from it and can be rebuilt from it alone."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Iterable

from . import copies
from .faults import checkpoint
from .model import Notice, Reference, notice_from_dict, to_json
from .references import number_key, with_references

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    format TEXT,
    encoding TEXT,
    ingested_at TEXT NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL,          -- archived (not yet indexed) | indexed | failed
    reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS paths (
    path TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL REFERENCES files(sha256),
    name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS paths_sha ON paths(sha256);
CREATE TABLE IF NOT EXISTS notices (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL REFERENCES files(sha256),
    position INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notices_sha ON notices(sha256);
-- Derived from each notice (rebuilt by `upgrade`): what copies must agree on, which
-- copy is shown, and what the notice cites.
CREATE TABLE IF NOT EXISTS notice_facts (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    number_key TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    meeting_date TEXT NOT NULL,
    issuer TEXT NOT NULL,          -- folded
    locality TEXT NOT NULL,
    signature BLOB NOT NULL,       -- MinHash of the text (copies.py); empty: too short
    bands BLOB NOT NULL,           -- the signature's LSH band keys (copies.band_bytes)
    tier INTEGER NOT NULL,         -- copies.source_tier and text_noise: which copy is shown
    noise REAL,                    -- NULL: not measured yet (only copies need it)
    warnings INTEGER NOT NULL,
    ingested_at TEXT NOT NULL,
    copy_of TEXT                   -- the shown copy's id (NULL: this one is shown)
);
CREATE INDEX IF NOT EXISTS facts_number ON notice_facts(number_key);
CREATE INDEX IF NOT EXISTS facts_copy ON notice_facts(copy_of);
DROP INDEX IF EXISTS facts_sha;  -- no query used it; each linked notice paid a random insert into it
CREATE TABLE IF NOT EXISTS refs (notice_id TEXT NOT NULL, key TEXT NOT NULL, date TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS refs_key ON refs(key);
CREATE INDEX IF NOT EXISTS refs_notice ON refs(notice_id);
"""
VERSION = 4  # 2: notice_facts, notice_bands and refs (copies and references); 3: bands keyed;
# 4: bands kept in notice_facts (looked up in memory, copies.Candidates)
_HELD = ("archived", "indexed")  # a file's statuses while the catalog holds its notices
_HELD_SQL = "(" + ", ".join(f"'{status}'" for status in _HELD) + ")"
MAX_CANDIDATES = 200  # notices compared with a new one, per kind of candidate


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """--data DIR, else $KETLUAN_DATA, else ./var."""
    return Path(explicit or os.environ.get("KETLUAN_DATA") or "var")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_all_atomic(files: list[tuple[Path, bytes]]) -> None:
    """Several files, each written to a temp file beside its target; all synced at once
    (one `syncfs` of their file system: a journal commit per file made bulk archiving
    pay for thousands of them); then each renamed into place, and the renames synced
    too (the catalog may name these files as soon as this returns). A crash leaves
    complete files or temp files (`Archive.remove_temp_files`), never a half-written
    target."""
    temps: list[tuple[str, Path]] = []
    fds: list[int] = []
    folders: set[Path] = set()
    try:
        for target, data in files:
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            fd, tmp = _new_temp_file(target)
            fds.append(fd)
            temps.append((tmp, target))
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        _sync(fds)
    except BaseException:
        _close_all(fds)
        _remove_all(temps)
        raise
    _close_all(fds)
    renamed = 0
    try:
        for tmp, target in temps:
            checkpoint("copy")
            os.replace(tmp, target)
            renamed += 1
        _sync_folders(sorted(folders))
    except BaseException:
        _remove_all(temps[renamed:])
        raise


def _new_temp_file(target: Path) -> tuple[int, str]:
    """A new, empty temp file beside `target`: named after it (an archived file's name
    is its content's hash, so no other write uses that name), else, when a file of that
    name is left over, a random name (`mkstemp`, which costs more: a random name drawn
    in Python for each of thousands of files)."""
    tmp = f"{target.parent}{os.sep}{_TEMP_PREFIX}{target.name}"
    try:
        return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), tmp
    except FileExistsError:
        return tempfile.mkstemp(dir=target.parent, prefix=_TEMP_PREFIX)


_TEMP_PREFIX = ".tmp-"  # `Archive.remove_temp_files` removes what a killed run left


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _remove_all(temps: list[tuple[str, Path]]) -> None:
    for tmp, _ in temps:
        Path(tmp).unlink(missing_ok=True)


def _already_stored(target: Path, size: int) -> bool:
    """Already archived (an original is written whole or not at all)."""
    try:
        return os.stat(target).st_size == size
    except FileNotFoundError:
        return False


def _sync(fds: list[int]) -> None:
    """Make the data of these open files durable: one `syncfs` when there are several
    (they share a file system), else `fsync`."""
    if len(fds) > 1 and _syncfs is not None:
        if _syncfs(fds[0]) == 0:
            return
    for fd in fds:
        os.fsync(fd)


def _sync_folders(folders: list[Path]) -> None:
    """Make the entries just renamed into these folders durable: one `syncfs` through
    the first when the system has it (it covers their file system, as `_sync` assumes
    for the files), else an `fsync` of each. (Opening every folder of a group for one
    `syncfs` took the bulk indexer 35 µs a folder.)"""
    if _syncfs is not None and folders:
        fd = os.open(folders[0], os.O_RDONLY | os.O_DIRECTORY)
        try:
            if _syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    fds: list[int] = []
    try:
        for folder in folders:
            fds.append(os.open(folder, os.O_RDONLY | os.O_DIRECTORY))
        for fd in fds:
            os.fsync(fd)
    finally:
        _close_all(fds)


def _load_syncfs():
    try:
        import ctypes
        return ctypes.CDLL("libc.so.6", use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


_syncfs = _load_syncfs()


def notice_id(sha256: str, position: int) -> str:
    """Stable and URL-safe: the file's hash prefix and the notice's place in the file."""
    return f"{sha256[:16]}-{position}"


def notice_data(notice: Notice) -> str:
    """A notice as the catalog keeps it (JSON)."""
    return to_json(notice)


@dataclass(frozen=True)
class LinkEntry:
    """What `Archive.link` catalogues of a recorded notice: its `copies.facts`, and the
    rest of what copies are ranked and references resolved by. Built where the notice
    is parsed (`of`), so the process that writes the catalog needs no notice objects."""
    id: str
    facts: copies.Facts
    locality: str
    warnings: int
    references: tuple[tuple[str, str], ...]  # (number key, date or "") of each document cited

    @classmethod
    def of(cls, nid: str, notice: Notice, facts: copies.Facts) -> "LinkEntry":
        return cls(nid, facts, notice.locality, len(notice.warnings),
                   tuple((number_key(r.number), r.date.isoformat() if r.date else "") for r in notice.references))


@dataclass(frozen=True)
class StoredNotice:
    id: str
    sha256: str
    position: int
    notice: Notice
    source_name: str
    source_path: str
    copy_of: str | None = None  # another file's copy of this notice is the one shown
    copies: tuple["Copy", ...] = ()  # filled by read_notices(with_copies=True)


@dataclass(frozen=True)
class Copy:
    """Another archived file holding the same notice."""
    notice_id: str
    name: str
    path: str
    format: str
    primary: bool  # the copy shown in results


@dataclass(frozen=True)
class Citation:
    """A reference and the archived notice it resolves to (None: not archived, or
    more than one could be meant)."""
    reference: Reference
    notice_id: str | None


class Archive:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.originals = self.root / "originals"
        self.originals.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.root / "catalog.sqlite", timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.link_seconds = 0.0  # spent cataloguing references and grouping copies (the bench reports it)
        self._candidates: copies.Candidates | None = None  # loaded by the first link
        self._candidates_seen = -1  # the catalog's data_version it was loaded at
        if self.db.execute("PRAGMA user_version").fetchone()[0] < VERSION:
            self._upgrade()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # originals -----------------------------------------------------------------
    def original_path(self, sha256: str) -> Path:
        if not _SHA256_HEX.fullmatch(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.originals / sha256[:2] / sha256

    def store_original(self, data: bytes, sha256: str) -> Path:
        """Content-addressed copy, written to a temp file then renamed into place."""
        self.store_originals([(data, sha256, ())])
        return self.original_path(sha256)

    def store_originals(self, files: Iterable[tuple[bytes, str, Iterable[tuple[int, str]]]]) -> None:
        """Several files' originals (data, sha256) and their scans' hOCR pages, synced
        to disk together before any is renamed into place."""
        writes: dict[Path, bytes] = {}
        for data, sha256, hocr in files:
            target = self.original_path(sha256)
            if not _already_stored(target, len(data)):
                writes[target] = data
            writes.update((self.ocr_path(sha256, page), text.encode("utf-8")) for page, text in hocr)
        if writes:
            _write_all_atomic(list(writes.items()))

    def ocr_path(self, sha256: str, page: int) -> Path:
        self.original_path(sha256)  # validates the hash
        return self.root / "ocr" / sha256[:2] / f"{sha256}-p{int(page):04d}.hocr"

    def ocr_page(self, sha256: str, page: int) -> str | None:
        path = self.ocr_path(sha256, page)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def remove_temp_files(self) -> int:
        """Leftovers of a run killed mid-copy."""
        count = 0
        for tmp in [*self.originals.glob(f"*/{_TEMP_PREFIX}*"), *(self.root / "ocr").glob(f"*/{_TEMP_PREFIX}*")]:
            tmp.unlink(missing_ok=True)
            count += 1
        return count

    # catalog -------------------------------------------------------------------
    def status_of_path(self, path: str) -> tuple[str | None, str | None, int | None]:
        """(sha256, status, size) last recorded for a path, or (None, None, None)."""
        row = self.db.execute(
            "SELECT p.sha256, f.status, f.size FROM paths p JOIN files f USING(sha256) WHERE p.path = ?",
            (path,)).fetchone()
        return tuple(row) if row else (None, None, None)

    def record_files(self, files: Iterable[tuple[str, str, int, str, str, list[str], list[str]]]
                     ) -> tuple[list[str], set[str], set[str]]:
        """Catalog parsed files (path, sha256, size, format, encoding, warnings, their
        notices as `notice_data`), in one transaction, each with status `archived` until its notices are
        indexed. Returns the ids of notices that belonged to a path's previous content
        and no longer exist (the caller removes them from the index), the hashes of
        the files the catalog did not have before, and the paths whose bytes the
        catalog already holds (archived or indexed under another path): only the path
        is recorded for those, their notices stay as they are. Copies and references
        are catalogued by `link`, for a batch of files at once."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        stale: list[str] = []
        new: set[str] = set()
        known_content: set[str] = set()
        with self._transaction():
            for path, sha256, size, fmt, encoding, warnings, notices in files:
                status = self._status_of(sha256)
                stale += self._repoint_path(path, sha256)
                if status in _HELD:
                    self._record_path(path, sha256)
                    known_content.add(path)
                    continue
                if status is None:
                    new.add(sha256)
                self.db.execute(
                    "INSERT INTO files(sha256, size, format, encoding, ingested_at, warnings, status, reason) "
                    "VALUES (?,?,?,?,?,?,'archived','') ON CONFLICT(sha256) DO UPDATE SET format=excluded.format, "
                    "encoding=excluded.encoding, warnings=excluded.warnings, status='archived', reason=''",
                    (sha256, size, fmt, encoding, now, json.dumps(warnings, ensure_ascii=False)))
                self._record_path(path, sha256)
                if status is not None:  # a file new to the catalog has no notices to forget
                    self._forget_notices(sha256)
                self.db.executemany(
                    "INSERT INTO notices(id, sha256, position, data) VALUES (?,?,?,?)",
                    [(notice_id(sha256, i), sha256, i, data) for i, data in enumerate(notices)])
                checkpoint("catalog")
        return stale, new, known_content

    def _record_path(self, path: str, sha256: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO paths(path, sha256, name) VALUES (?,?,?)",
                        (path, sha256, os.path.basename(path)))

    def _status_of(self, sha256: str) -> str | None:
        row = self.db.execute("SELECT status FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def link(self, recorded: list[LinkEntry]) -> None:
        """Catalog what these recorded notices cite and what copies must agree on, and
        group each with its copies in other files: one transaction for a batch of files
        (`recorded`, as the parsing workers made them). A notice already linked, or no
        longer archived, is skipped."""
        started = time.perf_counter()
        with self._transaction():
            files = self._unlinked_of([entry.id for entry in recorded])
            linking: dict[str, LinkEntry] = {}
            for entry in recorded:  # a notice recorded twice in the batch: linked once
                if entry.id in files:
                    linking.setdefault(entry.id, entry)
            self._add_facts(list(linking.values()), files)
            self._group_copies({entry.id: entry.facts for entry in linking.values()})
            checkpoint("link")
        self.link_seconds += time.perf_counter() - started

    @contextmanager
    def _transaction(self):
        """One transaction; the copy candidates held in memory are dropped (and read
        again when needed) if it fails, since they may hold what was rolled back."""
        try:
            with self.db:
                yield
        except BaseException:
            self._candidates = None
            raise

    def _copy_candidates(self) -> copies.Candidates:
        """The linked notices' bands and facts, read once and then kept current by this
        archive's own writes; read again if another connection wrote to the catalog."""
        seen = self.db.execute("PRAGMA data_version").fetchone()[0]
        if self._candidates is None or seen != self._candidates_seen:
            self._candidates = copies.Candidates(self.db.execute(
                "SELECT id, number_key, issue_date, meeting_date, bands FROM notice_facts"))
            self._candidates_seen = seen
        return self._candidates

    def _unlinked_of(self, ids: list[str]) -> dict[str, tuple]:
        """Those of these notices that are archived and not linked yet, each with what
        its file tells about it: (sha256, format, encoding, warnings, ingested_at)."""
        return {r[0]: r[1:] for r in self.db.execute(
            "SELECT n.id, f.sha256, f.format, f.encoding, f.warnings, f.ingested_at "
            "FROM notices n JOIN files f USING(sha256) WHERE n.id IN (SELECT value FROM json_each(?)) "
            "AND NOT EXISTS (SELECT 1 FROM notice_facts c WHERE c.id = n.id)", (json.dumps(ids),))}

    def link_unlinked(self) -> int:
        """Link the notices recorded but never linked (a run killed in between, or a
        catalog from before copies and references were kept); their references are
        read again from their text if none were read. Returns how many."""
        rows = self.db.execute("SELECT id, data FROM notices n WHERE NOT EXISTS "
                               "(SELECT 1 FROM notice_facts f WHERE f.id = n.id) ORDER BY sha256, position").fetchall()
        recorded = []
        with self.db:
            for nid, data in rows:
                notice = notice_from_dict(json.loads(data))
                if not notice.references and (found := with_references(notice)).references:
                    notice = found
                    self.db.execute("UPDATE notices SET data = ? WHERE id = ?",
                                    (notice_data(notice), nid))
                recorded.append(LinkEntry.of(nid, notice, copies.facts(notice)))
        if recorded:
            self.link(recorded)
        return len(recorded)

    def _repoint_path(self, path: str, sha256: str) -> list[str]:
        old = self.db.execute("SELECT sha256 FROM paths WHERE path = ?", (path,)).fetchone()
        if not old or old[0] == sha256:
            return []
        others = self.db.execute("SELECT COUNT(*) FROM paths WHERE sha256 = ? AND path != ?", (old[0], path)).fetchone()[0]
        if others:
            return []
        ids = self._forget_notices(old[0])
        self.db.execute("UPDATE files SET status = 'replaced' WHERE sha256 = ?", (old[0],))
        return ids

    # copies and references -------------------------------------------------------
    def _forget_notices(self, sha256: str) -> list[str]:
        """Remove a file's notices from the catalog; where one of them was the copy
        shown, the best of its other copies is shown instead."""
        ids = [r[0] for r in self.db.execute("SELECT id FROM notices WHERE sha256 = ?", (sha256,))]
        for nid in ids:
            others = [r[0] for r in self.db.execute(
                "SELECT id FROM notice_facts WHERE copy_of = ? AND sha256 != ?", (nid, sha256))]
            if others:
                self._show_best(others)
            if self._candidates is not None:
                self._candidates.remove(nid)
        for table, column in (("refs", "notice_id"), ("notice_facts", "id")):
            self.db.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM notices WHERE sha256 = ?)",
                            (sha256,))
        self.db.execute("DELETE FROM notices WHERE sha256 = ?", (sha256,))
        return ids

    def _add_facts(self, entries: list[LinkEntry], files: dict[str, tuple]) -> None:
        """The notice_facts, bands and references of these notices; `files`: each
        one's file facts (`_unlinked_of`)."""
        rows = []
        for e in entries:
            sha256, fmt, encoding, file_warnings, ingested_at = files[e.id]
            tier = copies.source_tier(fmt or "", encoding or "")
            warned = len(json.loads(file_warnings or "[]"))
            rows.append((e.id, sha256, e.facts.number_key, e.facts.issue_date, e.facts.meeting_date, e.facts.issuer,
                         e.locality, e.facts.signature, copies.band_bytes(e.facts.bands), tier, warned + e.warnings,
                         ingested_at))
        self.db.executemany(
            "INSERT OR REPLACE INTO notice_facts(id, sha256, number_key, issue_date, meeting_date, issuer, locality, "
            "signature, bands, tier, noise, warnings, ingested_at, copy_of) VALUES (?,?,?,?,?,?,?,?,?,?,NULL,?,?,NULL)",
            rows)
        self._copy_candidates().add_many((e.id, e.facts) for e in entries)
        self.db.executemany("INSERT INTO refs(notice_id, key, date) VALUES (?,?,?)",
                            [(e.id, key, date) for e in entries for key, date in e.references])

    _FACTS = "id, number_key, issue_date, meeting_date, issuer, signature"
    # Nothing two copies both state may differ: number and dates are compared here, in
    # SQL, so that templates (alike texts, other numbers) are not even fetched.
    _AGREES = ("(f.number_key = '' OR :number = '' OR f.number_key = :number) "
               "AND (f.issue_date = '' OR :issue = '' OR f.issue_date = :issue) "
               "AND (f.meeting_date = '' OR :meeting = '' OR f.meeting_date = :meeting) AND f.id != :id")

    def _group_copies(self, notices: dict[str, copies.Facts]) -> None:
        """Group each notice with the archived notices it is a copy of (copies.py):
        those sharing a band of its signature that is not boilerplate
        (`copies.Candidates`), and those of its number."""
        columns = ", ".join("f." + c for c in self._FACTS.split(", "))
        signed = [(nid, facts) for nid, facts in notices.items() if facts.signature]
        by_number = self._facts_by_number({facts.number_key for _, facts in signed if facts.number_key})
        for (nid, facts), alike in zip(signed, self._copy_candidates().of_many(signed)):
            params = dict(number=facts.number_key, issue=facts.issue_date, meeting=facts.meeting_date, id=nid)
            candidates = []
            if alike:
                candidates += self.db.execute(
                    f"SELECT {columns} FROM notice_facts f WHERE f.id IN (SELECT value FROM json_each(:alike)) "
                    f"AND {self._AGREES} LIMIT {MAX_CANDIDATES}", {**params, "alike": json.dumps(alike)}
                ).fetchall()
            if facts.number_key:
                own = (facts.number_key, facts.issue_date, facts.meeting_date)
                candidates += list(islice((r for r in by_number.get(facts.number_key, ())
                                           if r[0] != nid and copies.agree(own, r[1:4])), MAX_CANDIDATES))
            matched = {r[0] for r in candidates if copies.same_notice(facts, _facts(r))}
            if matched:
                self._show_best(self._groups_of(matched) | {nid})

    def _facts_by_number(self, keys: set[str]) -> dict[str, list[tuple]]:
        """The linked notices of these number keys (`_FACTS`), by key, in the catalog's
        order: read for a batch at once (a query per notice cost 5 s at 100,000)."""
        found: dict[str, list[tuple]] = {}
        for row in self.db.execute(f"SELECT {self._FACTS} FROM notice_facts WHERE number_key IN "
                                   "(SELECT value FROM json_each(?)) ORDER BY number_key, rowid",
                                   (json.dumps(sorted(keys)),)):
            found.setdefault(row[1], []).append(row)
        return found

    def _groups_of(self, ids: set[str]) -> set[str]:
        """Every copy in the groups of these notices."""
        marks = ",".join("?" * len(ids))
        shown = {r[0] or r[1] for r in self.db.execute(
            f"SELECT copy_of, id FROM notice_facts WHERE id IN ({marks})", tuple(ids))}
        marks = ",".join("?" * len(shown))
        return shown | {r[0] for r in self.db.execute(
            f"SELECT id FROM notice_facts WHERE copy_of IN ({marks})", tuple(shown))}

    def _show_best(self, group: list[str] | set[str]) -> None:
        """Make the best copy of a group the one shown (copies.primary_rank); files
        whose notices change between shown and not are to be indexed again."""
        group = list(group)
        self._measure_noise(group)
        rows = self.db.execute(
            f"SELECT id, tier, noise, warnings, ingested_at, copy_of, sha256 FROM notice_facts WHERE id IN "
            f"({','.join('?' * len(group))})", group).fetchall()
        best = min(rows, key=lambda r: copies.primary_rank(r[1], r[2], r[3], r[4], r[0]))[0]
        for nid, _, _, _, _, copy_of, sha in rows:
            wanted = None if nid == best else best
            if copy_of != wanted:
                self.db.execute("UPDATE notice_facts SET copy_of = ? WHERE id = ?", (wanted, nid))
                self.db.execute("UPDATE files SET status = 'archived' WHERE sha256 = ? AND status = 'indexed'", (sha,))

    def _measure_noise(self, ids: list[str]) -> None:
        """copies.text_noise of the notices not measured yet: a notice's is needed
        only once it has a copy, so most never are."""
        rows = self.db.execute(
            "SELECT n.id, json_extract(n.data, '$.body') FROM notices n JOIN notice_facts f ON f.id = n.id "
            f"WHERE f.noise IS NULL AND n.id IN ({','.join('?' * len(ids))})", ids).fetchall()
        self.db.executemany("UPDATE notice_facts SET noise = ? WHERE id = ?",
                            [(copies.text_noise(body or ""), nid) for nid, body in rows])

    def copy_count(self) -> int:
        """How many archived notices are copies of another file's (not shown)."""
        return self.db.execute("SELECT COUNT(*) FROM notice_facts WHERE copy_of IS NOT NULL").fetchone()[0]

    def copies_of(self, nid: str) -> list[Copy]:
        """The other archived files holding this notice, the one shown first."""
        return _copies(self.db, [nid]).get(nid, [])

    def citations(self, stored: StoredNotice) -> list[Citation]:
        """The notice's references, each resolved to an archived notice where one is
        meant: the same number (however written) and, where both say it, the same
        date; of several, the one of the citing notice's own locality."""
        return [Citation(ref, self._resolve(stored, number_key(ref.number), ref.date.isoformat() if ref.date else ""))
                for ref in stored.notice.references]

    def _resolve(self, citing: StoredNotice, key: str, date: str) -> str | None:
        rows = self.db.execute(
            "SELECT coalesce(copy_of, id), locality FROM notice_facts WHERE number_key = ? AND number_key != '' "
            "AND (? = '' OR issue_date = '' OR issue_date = ?)", (key, date, date)).fetchall()
        own = citing.copy_of or citing.id
        found = {nid: locality for nid, locality in rows if nid != own}
        if len(found) > 1 and citing.notice.locality:
            found = {nid: loc for nid, loc in found.items() if loc == citing.notice.locality}
        return next(iter(found)) if len(found) == 1 else None

    def cited_by(self, stored: StoredNotice) -> list[StoredNotice]:
        """The notices that cite this one (resolved as `citations` does), newest first,
        each once (its shown copy)."""
        key = number_key(stored.notice.number) if stored.notice.number else ""
        if not key:
            return []
        own = stored.copy_of or stored.id
        citing: dict[str, StoredNotice] = {}
        for (nid,) in self.db.execute("SELECT DISTINCT notice_id FROM refs WHERE key = ?", (key,)).fetchall():
            other = self.get_notice(nid)
            if other is None or (other.copy_of or other.id) == own:
                continue
            if any(c.notice_id == own for c in self.citations(other)):
                shown = self.get_notice(other.copy_of) if other.copy_of else other
                citing.setdefault(shown.id, shown)
        return sorted(citing.values(), key=lambda s: (s.notice.date or dt.date.min, s.id), reverse=True)

    def _upgrade(self) -> None:
        """A catalog written before copies and references were kept, or with their
        tables of an earlier shape (derived data: dropped and rebuilt): read the
        references from each notice's text and group the copies."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version == 3:
            self._keep_bands_with_facts()
        elif version >= 2:
            for table in ("notice_bands", "common_bands", "notice_facts", "refs"):
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
            self.db.executescript(SCHEMA)
        self.link_unlinked()
        self.db.execute(f"PRAGMA user_version = {VERSION}")

    def _keep_bands_with_facts(self) -> None:
        """Version 3 kept the bands in a table of their own: each notice's now go
        beside its signature, from which they are computed again."""
        with self.db:
            self.db.execute("ALTER TABLE notice_facts ADD COLUMN bands BLOB NOT NULL DEFAULT x''")
            self.db.executemany("UPDATE notice_facts SET bands = ? WHERE id = ?", [
                (copies.band_bytes(copies.bands(sig)), nid)
                for nid, sig in self.db.execute("SELECT id, signature FROM notice_facts").fetchall()])
            self.db.execute("DROP TABLE IF EXISTS notice_bands")
            self.db.execute("DROP TABLE IF EXISTS common_bands")

    def record_failure(self, path: str, sha256: str, size: int, reason: str) -> None:
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with self._transaction():
            self._repoint_path(path, sha256)
            if self._status_of(sha256) not in _HELD:  # bytes read well before stay archived and indexed
                self.db.execute(
                    "INSERT INTO files(sha256, size, ingested_at, status, reason) VALUES (?,?,?,'failed',?) "
                    "ON CONFLICT(sha256) DO UPDATE SET status='failed', reason=excluded.reason",
                    (sha256, size, now, reason))
            self._record_path(path, sha256)

    def update_notices(self, notices: list[tuple[str, Notice]]) -> None:
        """Replace the parsed data of existing notices (re-tagging)."""
        with self.db:
            self.db.executemany("UPDATE notices SET data = ? WHERE id = ?",
                                [(notice_data(n), nid) for nid, n in notices])

    def mark_indexed(self, sha256s: list[str]) -> None:
        with self.db:
            self.db.executemany("UPDATE files SET status='indexed' WHERE sha256 = ? AND status = 'archived'",
                                [(s,) for s in sha256s])

    def copies_among(self, ids: list[str]) -> set[str]:
        """Those of these notices that are another notice's copy (not shown)."""
        return {r[0] for r in self.db.execute(
            "SELECT id FROM notice_facts WHERE id IN (SELECT value FROM json_each(?)) AND copy_of IS NOT NULL",
            (json.dumps(ids),))}

    def pending(self) -> list[str]:
        """Files archived but not (known to be) indexed: a run was killed in between."""
        return [r[0] for r in self.db.execute("SELECT sha256 FROM files WHERE status = 'archived'")]

    def notices_of(self, sha256s: list[str] | None = None):
        """StoredNotice for the given files (all indexed/archived files when None)."""
        query = (f"SELECT {_NOTICE_COLUMNS} FROM notices n JOIN files f USING(sha256) "
                 f"WHERE f.status IN {_HELD_SQL}")
        params: tuple = ()
        if sha256s is not None:
            query += f" AND n.sha256 IN ({','.join('?' * len(sha256s))})"
            params = tuple(sha256s)
        # in the order they were archived: a rebuilt index keeps the order ingest gave its
        # documents, and with it the order of equal scores
        for row in self.db.execute(query + " ORDER BY n.rowid", params):
            yield _stored(row)

    def get_notice(self, nid: str) -> StoredNotice | None:
        row = self.db.execute(f"SELECT {_NOTICE_COLUMNS} FROM notices n WHERE n.id = ?", (nid,)).fetchone()
        return _stored(row) if row else None

    def stats(self) -> dict:
        counts = dict(self.db.execute("SELECT status, COUNT(*) FROM files GROUP BY status").fetchall())
        rows = self.db.execute(
            "SELECT json_array_length(n.data, '$.items'), json_extract(n.data, '$.body_level'), "
            "substr(coalesce(json_extract(n.data, '$.meeting_date'), json_extract(n.data, '$.issue_date')), 1, 4), "
            "(SELECT copy_of IS NOT NULL FROM notice_facts c WHERE c.id = n.id) "
            f"FROM notices n JOIN files f USING(sha256) WHERE f.status IN {_HELD_SQL}").fetchall()
        levels: dict[str, int] = {}
        years: dict[str, int] = {}
        for _, level, year, is_copy in rows:
            if is_copy:
                continue
            levels[level or "(không rõ)"] = levels.get(level or "(không rõ)", 0) + 1
            years[year or "(không rõ)"] = years.get(year or "(không rõ)", 0) + 1
        return {
            "files": sum(v for k, v in counts.items() if k != "replaced"),
            "files_by_status": counts,
            "notices": len(rows),
            "items": sum(r[0] for r in rows),
            "copies": sum(1 for r in rows if r[3]),  # notices another file holds too (not shown twice)
            "distinct_notices": sum(1 for r in rows if not r[3]),
            "distinct_items": sum(r[0] for r in rows if not r[3]),
            "by_body_level": dict(sorted(levels.items())),
            "by_year": dict(sorted(years.items())),
        }

    def file_format(self, sha256: str) -> str:
        """The format a file was read as (`txt`, `hocr`, `docx`, ...), '' if unknown."""
        row = self.db.execute("SELECT format FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        return (row[0] or "") if row else ""

    def failures(self) -> list[tuple[str, str]]:
        return self.db.execute(
            "SELECT p.path, f.reason FROM files f JOIN paths p USING(sha256) WHERE f.status='failed' ORDER BY p.path"
        ).fetchall()


def read_notices(root: str | os.PathLike, ids: Iterable[str], with_copies: bool = False) -> dict[str, StoredNotice]:
    """Some archived notices by id, read without writing anything (the search path's
    page of hits): {} when the catalog is not there. `with_copies`: each with the
    other files that hold it."""
    path = Path(root) / "catalog.sqlite"
    ids = list(ids)
    if not ids or not path.exists():
        return {}
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)  # any path: % escapes
    try:
        rows = db.execute(f"SELECT {_NOTICE_COLUMNS} FROM notices n WHERE n.id IN ({','.join('?' * len(ids))})",
                          ids).fetchall()
        found = {row[0]: _stored(row) for row in rows}
        copies_of = _copies(db, list(found)) if with_copies else {}
    except sqlite3.Error:
        return {}
    finally:
        db.close()
    return {nid: replace(stored, copies=tuple(copies_of.get(nid, ()))) for nid, stored in found.items()}


_SHA256_HEX = re.compile("[0-9a-f]{64}")

_NOTICE_COLUMNS = (
    "n.id, n.sha256, n.position, n.data, "
    "(SELECT name FROM paths p WHERE p.sha256 = n.sha256 ORDER BY path LIMIT 1), "
    "(SELECT path FROM paths p WHERE p.sha256 = n.sha256 ORDER BY path LIMIT 1), "
    "(SELECT copy_of FROM notice_facts c WHERE c.id = n.id)")


def _stored(row) -> StoredNotice:
    return StoredNotice(row[0], row[1], row[2], notice_from_dict(json.loads(row[3])), row[4] or "", row[5] or "",
                        row[6])


def _facts(row) -> copies.Facts:
    return copies.Facts(row[1], row[2], row[3], row[4], row[5])


def _copies(db: sqlite3.Connection, ids: list[str]) -> dict[str, list[Copy]]:
    """For each notice, the other files holding it (the shown copy first)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    groups = dict(db.execute(f"SELECT id, coalesce(copy_of, id) FROM notice_facts WHERE id IN ({marks})", ids))
    shown = sorted(set(groups.values()))
    if not shown:
        return {}
    marks = ",".join("?" * len(shown))
    members: dict[str, list[Copy]] = {}
    for nid, group, name, path, fmt in db.execute(
            "SELECT c.id, coalesce(c.copy_of, c.id), "
            "(SELECT name FROM paths p WHERE p.sha256 = c.sha256 ORDER BY path LIMIT 1) AS name, "
            "(SELECT path FROM paths p WHERE p.sha256 = c.sha256 ORDER BY path LIMIT 1), f.format "
            # (two indexed lookups: `coalesce(copy_of, id) IN` scanned the whole table)
            f"FROM notice_facts c JOIN files f USING(sha256) WHERE c.id IN ({marks}) OR c.copy_of IN ({marks}) "
            "ORDER BY c.copy_of IS NOT NULL, name, c.id", shown + shown):
        members.setdefault(group, []).append(Copy(nid, name or "", path or "", fmt or "", nid == group))
    return {nid: [c for c in members.get(group, []) if c.notice_id != nid] for nid, group in groups.items()}
