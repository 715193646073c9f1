"""The server's heap policy (indexer/process.py): the wrapped site answers as before,
and giving memory back after a request fails nothing."""
import pytest

from indexer.process import return_freed_memory


def test_the_wrapped_site_answers_and_memory_is_given_back_after_each_request():
    calls = []

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    wrapped = return_freed_memory(app, above_mb=0)  # past 0 MB: trimmed after every request
    statuses = []
    body = wrapped({"PATH_INFO": "/"}, lambda status, headers: statuses.append(status))
    assert b"".join(body) == b"ok" and statuses == ["200 OK"] and calls == ["/"]


def test_a_failing_request_still_fails_through_the_wrapper():
    def app(environ, start_response):
        raise ValueError("boom")

    wrapped = return_freed_memory(app, above_mb=0)
    with pytest.raises(ValueError, match="boom"):
        wrapped({"PATH_INFO": "/"}, lambda *a: None)


def test_the_server_threads_share_one_heap_and_trim_only_past_the_limit(monkeypatch):
    """One glibc arena (M_ARENA_MAX=1): with two, the threads took turns on them and
    each heap grew and was trimmed again on nearly every request."""
    import ctypes

    class FakeLibc:
        def __init__(self):
            self.options, self.trims = {}, 0

        def mallopt(self, option, value):
            self.options[option] = value

        def malloc_trim(self, pad):
            self.trims += 1

    libc = FakeLibc()
    monkeypatch.setattr(ctypes, "CDLL", lambda name, **kw: libc)

    def app(environ, start_response):
        start_response("200 OK", [])
        return [b""]

    return_freed_memory(app, above_mb=10**6)({}, lambda *a: None)  # far below: no trim
    assert libc.options[-8] == 1 and libc.trims == 0  # M_ARENA_MAX
    return_freed_memory(app, above_mb=0)({}, lambda *a: None)
    assert libc.trims == 1
