"""Notice-first results (issue #17): a notice is found first by its number, the official
who chaired, the signer, a title phrase or a sentence, whether or not the parser found
numbered items in it; one hit per notice, with the items that match; on the library,
the CLI, the JSON API and the page alike."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT

WITH_ITEMS = """ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
HUYỆN TAM NÔNG                     Độc lập - Tự do - Hạnh phúc
Số: 318/TB-UBND                    Tam Nông, ngày 12 tháng 5 năm 2023

THÔNG BÁO
Kết luận của Chủ tịch UBND huyện tại cuộc họp về phòng cháy rừng tràm mùa khô

Ngày 10/5/2023, đồng chí Hồ Văn Khải, Chủ tịch Ủy ban nhân dân huyện chủ trì cuộc họp về phòng cháy rừng tràm. Chủ tịch Ủy ban nhân dân huyện kết luận:

1. Hạt Kiểm lâm huyện bố trí lực lượng trực phòng cháy rừng tràm 24/24 giờ tại vườn quốc gia.
2. Ủy ban nhân dân các xã nạo vét kênh tạo nguồn nước chữa cháy rừng tràm trước ngày 30/5/2023.
3. Hạt Kiểm lâm huyện tuyên truyền người dân không đốt đồng gần rừng tràm.
4. Công an huyện xử lý nghiêm hành vi gây cháy rừng tràm.

Nơi nhận:                          TM. ỦY BAN NHÂN DÂN
- Như trên;                        CHỦ TỊCH
- Lưu: VT.
                                   Hồ Văn Khải
"""

WITHOUT_ITEMS = """ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
XÃ PHÚ THỌ                         Độc lập - Tự do - Hạnh phúc
Số: 27/TB-UBND                     Phú Thọ, ngày 03 tháng 6 năm 2023

THÔNG BÁO
Kết luận của Chủ tịch UBND xã về việc giải quyết kiến nghị của hộ ông Trần Văn Lợi

Ngày 01/6/2023, đồng chí Ngô Thanh Sang, Chủ tịch Ủy ban nhân dân xã chủ trì buổi làm việc với hộ ông Trần Văn Lợi về việc bồi thường cây trồng trên đất thu hồi làm bờ bao chống lũ. Chủ tịch Ủy ban nhân dân xã kết luận: cây trồng của hộ được kiểm đếm lại theo đơn giá năm 2023, công chức địa chính hoàn thành hồ sơ trong 10 ngày làm việc.

Nơi nhận:                          KT. CHỦ TỊCH
- Hộ ông Trần Văn Lợi;             PHÓ CHỦ TỊCH
- Lưu: VT.
                                   Lê Thị Diệu Hiền
"""

# a notice that cites the first one's number in its text
CITING = WITH_ITEMS.replace("Số: 318/TB-UBND", "Số: 402/TB-UBND").replace(
    "Ngày 10/5/2023,", "Thực hiện Thông báo số 318/TB-UBND, ngày 20/5/2023,").replace("Hồ Văn Khải", "Đinh Công Tâm")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from indexer.ingest import ingest
    folder = tmp_path_factory.mktemp("notices")
    for name, text in (("with_items.txt", WITH_ITEMS), ("without_items.txt", WITHOUT_ITEMS), ("citing.txt", CITING)):
        (folder / name).write_text(text, encoding="utf-8")
    root = tmp_path_factory.mktemp("notices-data")
    assert ingest([folder], root).failed == 0
    return root


@pytest.fixture(scope="module")
def client(data):
    from search_web import create_app
    return create_app({"TESTING": True, "DATA_DIR": str(data)}).test_client()


QUERIES = [
    ("318/TB-UBND", "with_items.txt"), ("318 TB UBND", "with_items.txt"), ("số 318", "with_items.txt"),
    ("ho van khai", "with_items.txt"),  # the presiding official (and signer)
    ("Lê Thị Diệu Hiền", "without_items.txt"),  # only the signer
    ("ngo thanh sang", "without_items.txt"),  # presiding, in a notice without items
    ("27/TB-UBND", "without_items.txt"),
    ("kiến nghị của hộ ông Trần Văn Lợi", "without_items.txt"),  # title phrase
    ("bồi thường cây trồng trên đất thu hồi làm bờ bao chống lũ", "without_items.txt"),  # a sentence
]


def library_first(data, q):
    from indexer.index import Index
    from indexer.search import SearchRequest, search
    result = search(Index(data / "index"), SearchRequest(q=q))
    return result, result.hits[0].source_name


@pytest.mark.parametrize("q, wanted", QUERIES)
def test_found_first_by_the_library(data, q, wanted):
    result, first = library_first(data, q)
    assert first == wanted
    assert len({h.notice_id for h in result.hits}) == len(result.hits)  # one hit per notice


@pytest.mark.parametrize("q, wanted", QUERIES)
def test_found_first_by_the_api_and_the_page(client, q, wanted):
    data = client.get("/api/search", query_string={"q": q}).get_json()
    assert data["hits"][0]["source_name"] == wanted and data["kind"] == "notice"
    page = client.get("/", query_string={"q": q}).get_data(as_text=True)
    first_card = page.split('<article class="hit"')[1]
    assert data["hits"][0]["notice_id"] in first_card


@pytest.mark.parametrize("q, wanted", QUERIES[:3] + QUERIES[4:6])
def test_found_first_on_the_command_line(data, q, wanted):
    run = subprocess.run([sys.executable, "-m", "indexer.cli", "search", "--data", str(data), "--json", q],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["hits"][0]["source_name"] == wanted


def test_a_notice_lists_its_matching_items_best_first(data):
    result, first = library_first(data, "rung tram")
    hit = result.hits[0]
    assert hit.matched_count == 4 and len(hit.matched_items) == 4
    assert [i.number for i in hit.matched_items][0] in (1, 2, 3, 4)
    assert all("<mark>" in i.snippet for i in hit.matched_items)
    assert result.total == 2  # notices, not items: the two notices about rừng tràm


def test_a_notice_matched_outside_its_items_shows_where(data):
    result, first = library_first(data, "Lê Thị Diệu Hiền")
    hit = result.hits[0]
    assert hit.matched_items == () and "<mark>" in hit.snippet and "Diệu Hiền" in hit.snippet


def test_the_cited_number_finds_the_citing_notice_after_the_bearer(data):
    result, _ = library_first(data, "318/TB-UBND")
    assert [h.source_name for h in result.hits][:2] == ["with_items.txt", "citing.txt"]


def test_presiding_official_is_a_facet_and_a_filter(client):
    data = client.get("/api/search", query_string={"q": "rung tram"}).get_json()
    assert data["facets"]["presiding"] == {"Hồ Văn Khải": 1, "Đinh Công Tâm": 1}
    only = client.get("/api/search", query_string={"q": "rung tram", "presiding": "Hồ Văn Khải"}).get_json()
    assert only["total"] == 1 and only["hits"][0]["presiding"] == "Hồ Văn Khải"


def test_the_item_view_lists_items(client):
    data = client.get("/api/search", query_string={"q": "rung tram", "kind": "item"}).get_json()
    assert data["kind"] == "item" and data["total"] == 8 and all(h["kind"] == "item" for h in data["hits"])
