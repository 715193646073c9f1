"""The site and JSON API through Flask's test client."""
import csv
import html
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import CORPUS, ROOT, XSS

SEED_ID = None


def api(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.data[:300])
    assert response.is_json
    return response.get_json()


def first_notice_id(client, q="giai phong mat bang", source="001_tb_thi_uy_ben_cat.txt"):
    """The best hit from the sample file `source` (the corpus holds the same notice in
    several formats)."""
    hits = api(client, f"/api/search?q={q}&limit=50")["hits"]
    return next(h["notice_id"] for h in hits if h["source_name"] == source)


@pytest.mark.parametrize("url", [
    "/", "/?q=giai+phong+mat+bang", "/?q=dang+vien&kind=notice", "/?topic=dat-dai", "/browse", "/due", "/addressees",
    "/due?due_from=2021-01-01&due_to=2024-12-31", "/api/search?q=dang", "/api/facets", "/api/stats",
    "/export.csv?q=dang", "/?q=&sort=newest", "/?q=x&page=9999", "/due?due_from=&due_to=",
])
def test_routes_answer(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.data[:500]


def test_search_without_diacritics_finds_and_marks_the_diacritised_text(client):
    data = api(client, "/api/search?q=giai+phong+mat+bang")
    assert data["total"] >= 3 and not data["partial"]
    assert "<mark>giải phóng mặt bằng</mark>" in data["hits"][0]["snippet"]
    page = client.get("/?q=giai+phong+mat+bang").get_data(as_text=True)
    assert "<mark>giải phóng mặt bằng</mark>" in page and 'value="giai phong mat bang"' in page


@pytest.mark.parametrize("param, check", [
    ("from=2023-01-01", lambda h: h["date"] >= "2023-01-01"),
    ("to=2021-12-31", lambda h: h["date"] <= "2021-12-31"),
    ("from=08/07/2021&to=08/07/2021", lambda h: h["date"] == "2021-07-08"),
    ("body=Thị ủy Bến Cát", lambda h: h["issuer"] == "Thị ủy Bến Cát"),
    ("level=huyện", lambda h: h["level"] == "huyện"),
    ("topic=y-te", lambda h: "y-te" in h["topics"]),
    ("type=kết luận", lambda h: h["doc_type"] == "kết luận"),
    ("year=2022", lambda h: h["date"].startswith("2022")),
    ("addressee=Ủy ban nhân dân thị xã", lambda h: "Ủy ban nhân dân thị xã" in h["addressees"]),
    ("due_from=2022-01-01&due_to=2022-12-31", lambda h: "2022-01-01" <= h["deadline"] <= "2022-12-31"),
    ("kind=notice", lambda h: h["kind"] == "notice" and h["item_number"] is None),
    ("topic=dat-dai&level=thị xã&year=2021", lambda h: "dat-dai" in h["topics"] and h["level"] == "thị xã"),
])
def test_filters(client, param, check):
    data = api(client, f"/api/search?{param}&limit=200")
    assert data["total"] > 0, param
    assert all(check(h) for h in data["hits"]), param


@pytest.mark.parametrize("sort, key, reverse", [("newest", "date", True), ("oldest", "date", False),
                                                ("deadline", "deadline", False)])
def test_sorts(client, sort, key, reverse):
    hits = api(client, f"/api/search?sort={sort}&limit=200&due_from=2000-01-01")["hits"]
    values = [h[key] for h in hits]
    assert values == sorted(values, reverse=reverse) and len(values) > 3


def test_facets_are_counted_on_the_filtered_results(client):
    everything = api(client, "/api/facets")
    huyen = api(client, "/api/facets?level=huyện")
    assert set(huyen["facets"]["level"]) == {"huyện"}
    assert huyen["total"] < everything["total"]
    assert sum(huyen["facets"]["year"].values()) == huyen["total"]
    assert everything["topics"]["dat-dai"] == "Đất đai & giải phóng mặt bằng"


def test_facet_links_add_a_filter_and_chips_remove_it(client):
    page = client.get("/?q=dang+vien").get_data(as_text=True)
    link = re.search(r'<section class="facet" data-facet="topic">.*?href="([^"]+)"', page, re.S).group(1)
    assert "q=dang+vien" in link and "topic=" in link
    filtered = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    chip = re.search(r'<a class="chip" href="([^"]+)"', filtered).group(1).replace("&amp;", "&")
    assert "topic=" not in chip and "q=dang+vien" in chip


def test_addressee_facet_shows_commas_and_filters_by_them(client):
    facets = api(client, "/api/facets")["facets"]["addressee"]
    name = "Ủy ban nhân dân các xã, thị trấn"
    assert name in facets
    hits = api(client, f"/api/search?addressee={name}&sort=newest&limit=200")["hits"]
    assert len(hits) == facets[name] and all(name in h["addressees"] for h in hits)
    dates = [h["date"] for h in hits]
    assert dates == sorted(dates, reverse=True)
    page = client.get("/addressees").get_data(as_text=True)
    assert name in page and "sort=newest" in page


def test_pagination_and_bookmarkable_state(client):
    one = api(client, "/api/search?limit=2&page=1")
    two = api(client, "/api/search?limit=2&page=2")
    assert one["total"] == two["total"] and one["pages"] == -(-one["total"] // 2)
    assert {h["id"] for h in one["hits"]}.isdisjoint(h["id"] for h in two["hits"])
    page = client.get("/?q=dang&limit=2&topic=xay-dung-dang").get_data(as_text=True)
    assert 'rel="next" href="/?q=dang&amp;limit=2&amp;topic=xay-dung-dang&amp;page=2"' in page


def test_notice_page_shows_fields_items_anchors_and_original(client):
    nid = first_notice_id(client)
    page = client.get(f"/notices/{nid}?q=giai+phong&item=3").get_data(as_text=True)
    for text in ("Thị ủy Bến Cát", "123-TB/TU", "08/07/2021", "Nơi nhận", "Nguyễn Văn An", "Tải bản gốc",
                 'id="item-1"', 'id="item-3" class="item current"', "Hạn: 30/09/2021", "<mark>giải phóng</mark>"):
        assert text in page, text
    original = client.get(f"/notices/{nid}/original")
    assert original.status_code == 200
    assert original.headers["Content-Disposition"].startswith("attachment")
    assert (CORPUS / "001_tb_thi_uy_ben_cat.txt").read_bytes() == original.data


def test_notice_page_lists_other_conclusions_of_the_same_body(client):
    nid = api(client, "/api/search?body=Huyện ủy Kiến Xương&kind=notice")["hits"][0]["notice_id"]
    page = client.get(f"/notices/{nid}").get_data(as_text=True)
    assert "Kết luận khác của Huyện ủy Kiến Xương" in page


def test_api_notice(client):
    nid = first_notice_id(client)
    data = api(client, f"/api/notices/{nid}")
    assert data["id"] == nid and data["notice"]["number"] == "123-TB/TU"
    assert data["notice"]["items"][2]["anchor"] == "item-3"
    assert data["original_url"].endswith(f"/notices/{nid}/original")


def test_api_stats(client):
    stats = api(client, "/api/stats")
    assert stats["notices"] >= 20 and stats["index_documents"]["item"] == stats["distinct_items"]
    assert stats["index_documents"]["notice"] == stats["distinct_notices"] == stats["notices"] - stats["copies"]


def test_csv_export(client):
    response = client.get("/export.csv?q=giai+phong+mat+bang")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][:4] == ["notice_id", "kind", "item_number", "date"]
    assert len(rows) - 1 == api(client, "/api/search?q=giai+phong+mat+bang")["total"]
    assert any("giải phóng mặt bằng" in " ".join(r) for r in rows[1:])


ERRORS = [
    ("from=2021-13-45", "Ngày '2021-13-45' không hợp lệ"),
    ("to=hôm qua", "không hợp lệ"),
    ("page=-1", "'page' phải là số nguyên"),
    ("page=0", "'page' phải là số nguyên"),
    ("limit=10^9", "'limit' phải là số nguyên"),
    ("limit=1000000000", "'limit' phải là số nguyên"),
    ("topic=khong-co", "Chủ đề 'khong-co' không có trong danh mục"),
    ("q=a+OR", "OR cần có từ"),
    ("q=" + "a" * 600, "quá dài"),
    ("sort=random", "Cách sắp xếp 'random' không hợp lệ"),
    ("kind=file", "Kiểu kết quả 'file' không hợp lệ"),
    ("year=abc", "'year' phải là số nguyên"),
    ("from=2022-01-01&to=2021-01-01", "Ngày bắt đầu sau ngày kết thúc"),
]


@pytest.mark.parametrize("query, message", ERRORS)
def test_bad_parameters_are_400_with_a_vietnamese_message(client, query, message):
    page = client.get(f"/?{query}")
    assert page.status_code == 400 and message in html.unescape(page.get_data(as_text=True))
    data = api(client, f"/api/search?{query}", status=400)
    assert message in data["error"]
    assert client.get(f"/export.csv?{query}").status_code == 400


@pytest.mark.parametrize("url", ["/notices/0000000000000000-0", "/notices/nope", "/notices/..%2F..%2Fetc%2Fpasswd",
                                 "/notices/0000000000000000-0/original", "/notices/../../etc/passwd/original",
                                 "/nowhere", "/api/notices/x"])
def test_unknown_things_are_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    if url.startswith("/api/"):
        assert response.get_json()["error"]
    else:
        assert "Không tìm thấy" in response.get_data(as_text=True)


def test_security_headers_everywhere(client):
    for url in ("/", "/api/stats", "/nowhere", "/?page=-1", "/export.csv"):
        headers = client.get(url).headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_markup_from_files_and_queries_is_escaped(hostile_client):
    nid = api(hostile_client, "/api/search?q=giai+phong")["hits"][0]["notice_id"]
    pages = [hostile_client.get(u).get_data(as_text=True) for u in (
        f"/notices/{nid}", "/?q=giai+phong", "/?q=" + XSS, "/browse", "/due?due_from=2021-01-01&due_to=2021-12-31",
        "/?addressee=" + XSS, "/?body=" + XSS)]
    for page in pages:
        assert "<script>alert" not in page and "<b onmouseover" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
    row = [r for r in csv.reader(io.StringIO(hostile_client.get("/export.csv?q=HYPERLINK").data.decode()[1:]))][1]
    assert all(not cell.startswith("=") for cell in row)


def test_searching_sees_what_the_bulk_indexer_commits(tmp_path):
    from indexer.ingest import ingest
    from search_web import create_app
    client = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)}).test_client()
    assert api(client, "/api/search?q=vanh+dai")["total"] == 0
    ingest([CORPUS / "001_tb_thi_uy_ben_cat.txt"], tmp_path)
    assert api(client, "/api/search?q=vanh+dai")["total"] == 1


def test_empty_data_directory_shows_an_empty_site(tmp_path):
    from search_web import create_app
    client = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "new")}).test_client()
    assert client.get("/").status_code == 200
    assert api(client, "/api/search?q=x")["total"] == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_listens_on_localhost_by_default(corpus_archive):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "indexer.cli", "serve", "--data", str(corpus_archive),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/stats", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not answer")
        listening = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout if os.path.exists("/usr/bin/ss") or os.path.exists("/bin/ss") else ""
        if listening:
            assert f"127.0.0.1:{port}" in listening and f"0.0.0.0:{port}" not in listening
    finally:
        proc.terminate()
        proc.wait(10)


def test_did_you_mean_link(client):
    page = client.get("/?q=nong+thon+moi").get_data(as_text=True)
    assert "Có phải bạn muốn tìm" in page and ">nông thôn mới</a>" in page
    assert api(client, "/api/search?q=nong+thon+moi")["suggestion"] == "nông thôn mới"


def test_a_notice_with_copies_shows_once_and_lists_them(client):
    hits = api(client, "/api/search?q=so:123-TB/TU")["hits"]
    assert len(hits) == 1 and [c["name"] for c in hits[0]["copies"]] == ["043_text_layer.pdf"]
    copy_id = hits[0]["copies"][0]["notice_id"]
    page = client.get(f"/notices/{hits[0]['notice_id']}").get_data(as_text=True)
    assert "Các bản khác của văn bản này" in page and f"/notices/{copy_id}/original" in page
    copy_page = client.get(f"/notices/{copy_id}").get_data(as_text=True)
    assert "Đây là một bản sao" in copy_page and f'href="/notices/{hits[0]["notice_id"]}"' in copy_page
    assert api(client, f"/api/notices/{copy_id}")["copy_of"] == hits[0]["notice_id"]
    rows = list(csv.reader(io.StringIO(client.get("/export.csv?q=so:123-TB/TU").data.decode("utf-8")[1:])))
    assert len(rows) == 2 and rows[0][-1] == "copies" and rows[1][-1].endswith("043_text_layer.pdf")


def test_a_started_server_reads_its_tables_before_the_first_search(corpus_archive, tmp_path):
    """ketluan serve warms the index in the background: BM25 norms, columns and facet
    tables are read before anyone searches; with no index there is nothing to warm
    and nothing fails."""
    from search_web.store import Store
    store = Store(corpus_archive)
    store.warm_up()
    tables = store.index.snapshot()._tables
    assert ("bm25 norms", "folded") in tables and ("column", "date") in tables and ("keyword", "issuer", "notice") in tables
    Store(tmp_path / "empty").warm_up()
