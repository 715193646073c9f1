"""Process setup: child processes (parsing workers, whoosh's sub-writers) that end with
their parent, and a server's heap that gives freed memory back."""
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


def return_freed_memory() -> None:
    """For the long-lived server, whose threads allocate large numpy arrays (a score or
    a mask per document: 1–4 MB each at 100,000 notices). glibc would give each thread
    a heap of its own and, once a large array has been freed, serve the next ones from
    those heaps rather than map them, so freed memory stayed in the process: 1.6 GB
    against 0.65 GB for the same queries at 100,000 notices. Fixed thresholds instead:
    blocks over 128 KB are mapped and unmapped, two heaps at most.

    The price is speed: each large array is mapped afresh and its pages faulted in.
    Measured at 100,000 notices over HTTP (bench/run.py): p50 / p95 375 / 2,812 ms and
    a 650 MB peak under 8 clients; with a 16 MB threshold (arrays reused from the heaps)
    172 / 1,488 ms but a 969 MB peak. Memory wins: the server must fit in 1 GB."""
    try:
        import ctypes
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return  # not glibc
    for option, value in ((-8, 2), (-3, 128 * 1024), (-1, 128 * 1024)):  # M_ARENA_MAX, M_MMAP_THRESHOLD,
        mallopt(option, value)  # M_TRIM_THRESHOLD
