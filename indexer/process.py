"""Child processes (parsing workers, whoosh's sub-writers) that end with their parent."""
from __future__ import annotations

import multiprocessing
import os
import signal


def init_child() -> None:
    """Called in a child process. Ctrl-C is the parent's to handle (it stops the run
    cleanly), and the child gets SIGKILL when the parent dies (kill -9 included), so no
    orphan keeps the run lock or the terminal's pipes open."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)  # the parent died before the line above took effect
