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
