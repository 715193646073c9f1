"""Property-based: arbitrary strings thrown at the search core and at every HTTP route
never give anything but results or BadQuery / a 4xx with well-formed JSON."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.errors import BadQuery
from indexer.search import SearchRequest, search

TEXT = st.text(st.characters(codec="utf-8"), max_size=80) | st.sampled_from(
    ['"', "(", ")", "OR", "-", "so:", "so:/", "*", "AND OR", "\x00", "\u0301", "𝔘", "%", "\\", "<script>", "a" * 600])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(q=TEXT, body=TEXT, topic=TEXT)
def test_search_core_never_raises_anything_but_bad_query(corpus_index, q, body, topic):
    try:
        result = search(corpus_index, SearchRequest(q=q, body=body, topic=topic))
    except BadQuery as err:
        assert err.message_vi
        return
    assert result.total >= 0 and len(result.hits) <= 20


PARAMS = st.dictionaries(
    st.sampled_from(["q", "from", "to", "body", "level", "topic", "type", "year", "addressee", "due_from", "due_to",
                     "kind", "sort", "page", "limit", "item", "x"]),
    TEXT, max_size=5)


@SETTINGS
@given(params=PARAMS, route=st.sampled_from(["/api/search", "/api/facets", "/", "/export.csv", "/due"]))
def test_routes_answer_every_parameter_without_a_server_error(client, params, route):
    response = client.get(route, query_string=params)
    assert response.status_code in (200, 400), (route, params, response.data[:300])
    if route.startswith("/api/"):
        data = json.loads(response.data)
        assert ("error" in data) == (response.status_code == 400)


@SETTINGS
@given(nid=TEXT)
def test_notice_routes_answer_any_id(client, nid):
    for route in ("/notices/{}", "/api/notices/{}", "/notices/{}/original"):
        response = client.get(route.format(nid.replace("/", "%2F").replace("?", "%3F").replace("#", "%23")))
        assert response.status_code in (200, 404, 308, 400), (route, nid)
