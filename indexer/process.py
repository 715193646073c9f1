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


def return_freed_memory(wsgi_app, above_mb: float):
    """For the long-lived server, whose threads allocate large numpy arrays (a score or
    a mask per document: 1–4 MB each at 100,000 notices): one heap shared by every
    thread, arrays up to 16 MB reused from it, and after a request, when the server
    holds more than `above_mb`, the heap's free pages given back (`malloc_trim`).
    Returns `wsgi_app` wrapped to do so.

    glibc's defaults gave each thread a heap of its own and kept what was freed there:
    1.6 GB for the same queries at 100,000 notices. Mapping every array over 128 KB
    afresh (and unmapping it when freed) kept the server at 650 MB, but each search
    paid for its page faults: 375 / 2,812 ms p50 / p95 over HTTP against 168 / 1,191 in
    process. Two heaps, trimmed past 450 MB: 73 / 394 ms, 549 MB at most under 8
    clients, but the waitress threads took turns on the two heaps, so each heap had to
    grow to a search's size again: a trim after nearly every request and 7,000–20,000
    page faults per search (a fifth of its time). One heap (the searches run two at a
    time, `search._RUNNING`, and take its lock a few thousand times each): the next
    search reuses what the last one freed, and the peak is lower: without trimming the
    server stayed at 530 MB under 8 clients; trimmed past 500 MB, 63–68 / 345–354 ms
    and 533–539 MB at most, against 82 / 440 ms and 581 MB with two heaps."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        mallopt, malloc_trim = libc.mallopt, libc.malloc_trim
    except (OSError, AttributeError):
        return wsgi_app  # not glibc
    for option, value in ((-8, 1), (-3, 16 * 2**20), (-1, 16 * 2**20)):  # M_ARENA_MAX, M_MMAP_THRESHOLD,
        mallopt(option, value)  # M_TRIM_THRESHOLD
    page = os.sysconf("SC_PAGE_SIZE")
    limit = above_mb * 2**20

    def trimming(environ, start_response):
        try:
            return wsgi_app(environ, start_response)
        finally:
            try:
                with open("/proc/self/statm", "rb") as statm:
                    resident = int(statm.read().split()[1]) * page
            except (OSError, ValueError, IndexError):
                resident = 0
            if resident > limit:
                malloc_trim(0)
    return trimming
