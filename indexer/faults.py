"""Crash points for the reliability tests. With $KETLUAN_FAULT=phase:n the process
kills itself with SIGKILL (as a power cut or the OOM killer would) the nth time it
reaches `phase`; unset, `checkpoint` does nothing. Phases: `copy` (an original written
to its temp file and synced, not yet renamed), `catalog` (a file's catalog rows
written, its group's transaction not yet committed), `link` (a batch's copies and
references catalogued, not yet committed), `index-add` (a batch added to the index
writer, not committed), `toc` (inside the index commit: segments written, table of
contents not yet), `indexed` (index committed, files not yet marked indexed in the
catalog)."""
from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def checkpoint(phase: str) -> None:
    spec = os.environ.get("KETLUAN_FAULT")
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name != phase:
        return
    _counts[phase] = _counts.get(phase, 0) + 1
    if _counts[phase] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
