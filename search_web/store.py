"""What the site reads: the index (opened once per process, refreshed when the bulk
indexer commits), the archive catalog and the topic taxonomy of a data directory."""
from __future__ import annotations

import re
import threading
from pathlib import Path

from flask import current_app

from indexer import search as core
from indexer import topics
from dataclasses import dataclass

from indexer.archive import Archive, Citation, Copy, StoredNotice
from indexer.errors import KetluanError
from indexer.index import Index

NOTICE_ID = re.compile(r"^[0-9a-f]{16}-[0-9]{1,6}$")


@dataclass(frozen=True)
class Links:
    """A notice's place among the others: what it cites (each with the archived notice
    it resolves to, if any), what cites it, and the other files holding it."""
    citations: tuple[tuple[Citation, StoredNotice | None], ...]
    cited_by: tuple[StoredNotice, ...]
    copies: tuple[Copy, ...]
    shown: StoredNotice | None  # the copy shown in results, when this one is not it


class IndexOutdated(KetluanError):
    message_vi = "Chỉ mục được tạo bởi phiên bản cũ; hãy chạy 'ketluan reindex' rồi tải lại trang."


class Store:
    def __init__(self, data_dir: str | Path, topics_file: str | Path | None = None):
        self.data_dir = Path(data_dir)
        self.topics_file = topics_file
        self._index: Index | None = None
        self._lock = threading.Lock()

    @property
    def index(self) -> Index:
        with self._lock:
            if self._index is None:
                self._index = Index(self.data_dir / "index")
        if self._index.outdated():
            raise IndexOutdated("the index was built by an older version; run 'ketluan reindex'")
        return self._index

    @property
    def taxonomy(self) -> topics.Taxonomy:
        return topics.load(topics.taxonomy_path(self.topics_file, self.data_dir))

    def search(self, request: core.SearchRequest) -> core.SearchResult:
        return core.search(self.index, request)

    def warm_up(self) -> None:
        """core.warm_up, for a server that has just started; an index that is missing,
        outdated or unreadable is left for the first request to report."""
        try:
            core.warm_up(self.index)
        except Exception:  # noqa: BLE001 - the requests that follow say what is wrong
            pass

    def archive(self) -> Archive:
        return Archive(self.data_dir)

    def notice(self, nid: str) -> StoredNotice | None:
        if not NOTICE_ID.match(nid):
            return None
        with self.archive() as archive:
            return archive.get_notice(nid)

    def links(self, stored: StoredNotice) -> Links:
        with self.archive() as archive:
            citations = tuple((c, archive.get_notice(c.notice_id) if c.notice_id else None)
                              for c in archive.citations(stored))
            shown = archive.get_notice(stored.copy_of) if stored.copy_of else None
            return Links(citations, tuple(archive.cited_by(stored)), tuple(archive.copies_of(stored.id)), shown)

    def original(self, stored: StoredNotice) -> Path | None:
        """The archived original of a notice, only ever inside the archive."""
        with self.archive() as archive:
            path = archive.original_path(stored.sha256).resolve()
            inside = path.is_relative_to(archive.originals.resolve())
        return path if inside and path.is_file() else None

    def stats(self) -> dict:
        with self.archive() as archive:
            stats = archive.stats()
        stats["index_documents"] = self.index.kind_counts()
        return stats


def store() -> Store:
    return current_app.extensions["ketluan"]
