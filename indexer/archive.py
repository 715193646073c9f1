"""The archive: every ingested original, stored under its SHA-256, and a SQLite catalog
of files, the paths they came from, and the notices parsed out of them. It is the source
of truth; the search index is derived from it and can be rebuilt from it alone."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .faults import checkpoint
from .model import Notice, notice_from_dict, to_dict

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
"""


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """--data DIR, else $KETLUAN_DATA, else ./var."""
    return Path(explicit or os.environ.get("KETLUAN_DATA") or "var")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_atomic(target: Path, data: bytes) -> None:
    """A temp file in the same folder, synced, then renamed: never a half-written file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        checkpoint("copy")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def notice_id(sha256: str, position: int) -> str:
    """Stable and URL-safe: the file's hash prefix and the notice's place in the file."""
    return f"{sha256[:16]}-{position}"


@dataclass(frozen=True)
class StoredNotice:
    id: str
    sha256: str
    position: int
    notice: Notice
    source_name: str
    source_path: str


class Archive:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.originals = self.root / "originals"
        self.originals.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.root / "catalog.sqlite", timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # originals -----------------------------------------------------------------
    def original_path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.originals / sha256[:2] / sha256

    def store_original(self, data: bytes, sha256: str) -> Path:
        """Content-addressed copy, written to a temp file then renamed into place."""
        target = self.original_path(sha256)
        try:
            if target.stat().st_size == len(data):
                return target
        except FileNotFoundError:
            pass
        _write_atomic(target, data)
        return target

    def ocr_path(self, sha256: str, page: int) -> Path:
        self.original_path(sha256)  # validates the hash
        return self.root / "ocr" / sha256[:2] / f"{sha256}-p{int(page):04d}.hocr"

    def store_ocr(self, sha256: str, pages: Iterable[tuple[int, str]]) -> None:
        """Tesseract's hOCR of a scan, one file per page (where each word is on it)."""
        for page, hocr in pages:
            _write_atomic(self.ocr_path(sha256, page), hocr.encode("utf-8"))

    def ocr_page(self, sha256: str, page: int) -> str | None:
        path = self.ocr_path(sha256, page)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def remove_temp_files(self) -> int:
        """Leftovers of a run killed mid-copy."""
        count = 0
        for tmp in [*self.originals.glob("*/.tmp-*"), *(self.root / "ocr").glob("*/.tmp-*")]:
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

    def has_file(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM files WHERE sha256 = ?", (sha256,)).fetchone() is not None

    def record_file(self, path: str, sha256: str, size: int, fmt: str, encoding: str,
                    warnings: list[str], notices: list[Notice]) -> list[str]:
        """Catalog a parsed file (status `archived` until its notices are indexed).
        Returns the ids of notices that belonged to the path's previous content and
        no longer exist (the caller removes them from the index)."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with self.db:
            stale = self._repoint_path(path, sha256)
            self.db.execute(
                "INSERT INTO files(sha256, size, format, encoding, ingested_at, warnings, status, reason) "
                "VALUES (?,?,?,?,?,?,'archived','') ON CONFLICT(sha256) DO UPDATE SET format=excluded.format, "
                "encoding=excluded.encoding, warnings=excluded.warnings, status='archived', reason=''",
                (sha256, size, fmt, encoding, now, json.dumps(warnings, ensure_ascii=False)))
            self.db.execute("INSERT OR REPLACE INTO paths(path, sha256, name) VALUES (?,?,?)",
                            (path, sha256, Path(path).name))
            self.db.execute("DELETE FROM notices WHERE sha256 = ?", (sha256,))
            self.db.executemany(
                "INSERT INTO notices(id, sha256, position, data) VALUES (?,?,?,?)",
                [(notice_id(sha256, i), sha256, i, json.dumps(to_dict(n), ensure_ascii=False))
                 for i, n in enumerate(notices)])
            checkpoint("catalog")
        return stale

    def _repoint_path(self, path: str, sha256: str) -> list[str]:
        old = self.db.execute("SELECT sha256 FROM paths WHERE path = ?", (path,)).fetchone()
        if not old or old[0] == sha256:
            return []
        others = self.db.execute("SELECT COUNT(*) FROM paths WHERE sha256 = ? AND path != ?", (old[0], path)).fetchone()[0]
        if others:
            return []
        ids = [r[0] for r in self.db.execute("SELECT id FROM notices WHERE sha256 = ?", (old[0],))]
        self.db.execute("DELETE FROM notices WHERE sha256 = ?", (old[0],))
        self.db.execute("UPDATE files SET status = 'replaced' WHERE sha256 = ?", (old[0],))
        return ids

    def record_failure(self, path: str, sha256: str, size: int, reason: str) -> None:
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with self.db:
            self._repoint_path(path, sha256)
            self.db.execute(
                "INSERT INTO files(sha256, size, ingested_at, status, reason) VALUES (?,?,?,'failed',?) "
                "ON CONFLICT(sha256) DO UPDATE SET status='failed', reason=excluded.reason",
                (sha256, size, now, reason))
            self.db.execute("INSERT OR REPLACE INTO paths(path, sha256, name) VALUES (?,?,?)",
                            (path, sha256, Path(path).name))

    def update_notices(self, notices: list[tuple[str, Notice]]) -> None:
        """Replace the parsed data of existing notices (re-tagging)."""
        with self.db:
            self.db.executemany("UPDATE notices SET data = ? WHERE id = ?",
                                [(json.dumps(to_dict(n), ensure_ascii=False), nid) for nid, n in notices])

    def mark_indexed(self, sha256s: list[str]) -> None:
        with self.db:
            self.db.executemany("UPDATE files SET status='indexed' WHERE sha256 = ? AND status = 'archived'",
                                [(s,) for s in sha256s])

    def pending(self) -> list[str]:
        """Files archived but not (known to be) indexed: a run was killed in between."""
        return [r[0] for r in self.db.execute("SELECT sha256 FROM files WHERE status = 'archived'")]

    def notices_of(self, sha256s: list[str] | None = None):
        """StoredNotice for the given files (all indexed/archived files when None)."""
        query = ("SELECT n.id, n.sha256, n.position, n.data, "
                 "(SELECT name FROM paths p WHERE p.sha256 = n.sha256 ORDER BY path LIMIT 1), "
                 "(SELECT path FROM paths p WHERE p.sha256 = n.sha256 ORDER BY path LIMIT 1) "
                 "FROM notices n JOIN files f USING(sha256) WHERE f.status IN ('archived', 'indexed')")
        params: tuple = ()
        if sha256s is not None:
            query += f" AND n.sha256 IN ({','.join('?' * len(sha256s))})"
            params = tuple(sha256s)
        for row in self.db.execute(query + " ORDER BY n.sha256, n.position", params):
            yield StoredNotice(row[0], row[1], row[2], notice_from_dict(json.loads(row[3])), row[4] or "", row[5] or "")

    def get_notice(self, nid: str) -> StoredNotice | None:
        row = self.db.execute(
            "SELECT n.id, n.sha256, n.position, n.data, p.name, p.path FROM notices n "
            "LEFT JOIN paths p USING(sha256) WHERE n.id = ? ORDER BY p.path LIMIT 1", (nid,)).fetchone()
        if not row:
            return None
        return StoredNotice(row[0], row[1], row[2], notice_from_dict(json.loads(row[3])), row[4] or "", row[5] or "")

    def stats(self) -> dict:
        counts = dict(self.db.execute("SELECT status, COUNT(*) FROM files GROUP BY status").fetchall())
        rows = self.db.execute(
            "SELECT json_array_length(n.data, '$.items'), json_extract(n.data, '$.body_level'), "
            "substr(coalesce(json_extract(n.data, '$.meeting_date'), json_extract(n.data, '$.issue_date')), 1, 4) "
            "FROM notices n JOIN files f USING(sha256) WHERE f.status IN ('archived','indexed')").fetchall()
        levels: dict[str, int] = {}
        years: dict[str, int] = {}
        for _, level, year in rows:
            levels[level or "(không rõ)"] = levels.get(level or "(không rõ)", 0) + 1
            years[year or "(không rõ)"] = years.get(year or "(không rõ)", 0) + 1
        return {
            "files": sum(v for k, v in counts.items() if k != "replaced"),
            "files_by_status": counts,
            "notices": len(rows),
            "items": sum(r[0] for r in rows),
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


def read_notices(root: str | os.PathLike, ids: Iterable[str]) -> dict[str, StoredNotice]:
    """Some archived notices by id, read without writing anything (the search path's
    page of hits): {} when the catalog is not there."""
    path = Path(root) / "catalog.sqlite"
    ids = list(ids)
    if not ids or not path.exists():
        return {}
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)  # any path: % escapes
    try:
        rows = db.execute(
            "SELECT n.id, n.sha256, n.position, n.data, "
            "(SELECT name FROM paths p WHERE p.sha256 = n.sha256 ORDER BY path LIMIT 1), "
            "(SELECT path FROM paths p WHERE p.sha256 = n.sha256 ORDER BY path LIMIT 1) "
            f"FROM notices n WHERE n.id IN ({','.join('?' * len(ids))})", ids).fetchall()
    except sqlite3.Error:
        return {}
    finally:
        db.close()
    return {row[0]: StoredNotice(row[0], row[1], row[2], notice_from_dict(json.loads(row[3])), row[4] or "",
                                 row[5] or "") for row in rows}
