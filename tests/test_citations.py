"""References resolved to archived notices, in whatever order the notices arrive; the
notice page and the JSON API show both directions; a number search finds the notice
with that number first, then the notices citing it."""
import pytest

from indexer.archive import Archive
from indexer.index import Index
from indexer.ingest import ingest
from indexer.search import SearchRequest, search
from search_web import create_app


def notice(number: str, place_date: str, issuer: str, body: str) -> str:
    return (f"ĐẢNG BỘ TỈNH LONG AN\n{issuer}\n*\nSố {number}\n{place_date}\n\nTHÔNG BÁO\n"
            f"kết luận của Thường trực {issuer.title().replace('Ủy', 'ủy')}\n-----\n{body}\n")


CITED = notice("318-TB/HU", "Đức Hòa, ngày 14 tháng 6 năm 2022", "HUYỆN ỦY ĐỨC HÒA",
               "Ngày 10/6/2022, Thường trực Huyện ủy họp nghe báo cáo về giải phóng mặt bằng đường tỉnh 830 và kết luận:\n"
               "1. Giao Ủy ban nhân dân huyện hoàn thành chi trả bồi thường trước ngày 30/9/2022.\n"
               "2. Các xã tuyên truyền, vận động nhân dân bàn giao mặt bằng.")
# cites it with the number written the other way (state style) and the date
CITING = notice("401-TB/HU", "Đức Hòa, ngày 20 tháng 10 năm 2022", "HUYỆN ỦY ĐỨC HÒA",
                "Ngày 18/10/2022, Thường trực Huyện ủy nghe báo cáo kết quả thực hiện Thông báo số 318/TB-HU "
                "ngày 14/6/2022 của Thường trực Huyện ủy và Kết luận số 57-KL/TW ngày 18/8/2014 của Ban Bí thư, kết luận:\n"
                "1. Giao Ủy ban nhân dân huyện tổ chức cưỡng chế thu hồi đất các hộ còn lại.\n"
                "2. Ban Tuyên giáo Huyện ủy tiếp tục tuyên truyền về công tác bồi thường.")
# the same number, another date: another document (not this archive's 318)
OTHER_318 = notice("520-TB/HU", "Đức Hòa, ngày 3 tháng 3 năm 2023", "HUYỆN ỦY ĐỨC HÒA",
                   "Ngày 1/3/2023, Thường trực Huyện ủy họp về thực hiện Thông báo số 318-TB/HU ngày 2/1/2020 về công tác "
                   "chuyển đổi số và kết luận:\n1. Giao Văn phòng Huyện ủy triển khai phần mềm quản lý văn bản.\n"
                   "2. Các chi bộ thực hiện nghiêm quy định về văn thư.")


@pytest.fixture(scope="module")
def archive_root(tmp_path_factory):
    base = tmp_path_factory.mktemp("citations")
    src, root = base / "src", base / "data"
    src.mkdir()
    (src / "b_citing.txt").write_text(CITING, encoding="utf-8")
    (src / "c_other.txt").write_text(OTHER_318, encoding="utf-8")
    ingest([src], root)  # the citing notices first: the cited one is not archived yet
    (src / "a_cited.txt").write_text(CITED, encoding="utf-8")
    ingest([src], root)
    return root


def ids_by_number(root) -> dict:
    with Archive(root) as archive:
        return {s.notice.number: s for s in archive.notices_of()}


def test_a_reference_resolves_to_the_notice_archived_after_it(archive_root):
    by_number = ids_by_number(archive_root)
    with Archive(archive_root) as archive:
        citations = archive.citations(by_number["401-TB/HU"])
        assert [(c.reference.number, c.notice_id) for c in citations] == [
            ("318/TB-HU", by_number["318-TB/HU"].id), ("57-KL/TW", None)]
        unresolved = citations[1].reference
        assert (unresolved.doc_type, unresolved.date.isoformat(), unresolved.issuer) == ("kết luận", "2014-08-18",
                                                                                         "Ban Bí thư")
        # a reference whose date disagrees is another document
        assert [c.notice_id for c in archive.citations(by_number["520-TB/HU"])] == [None]
        assert [s.notice.number for s in archive.cited_by(by_number["318-TB/HU"])] == ["401-TB/HU"]


def test_a_number_search_finds_the_notice_then_those_citing_it(archive_root):
    result = search(Index(archive_root / "index"), SearchRequest(q="318-TB/HU"))
    numbers = [h.number for h in result.hits]
    assert numbers[0] == "318-TB/HU" and set(numbers[1:]) == {"401-TB/HU", "520-TB/HU"}
    # the citing notice is found by the key too, however the number was typed
    assert [h.number for h in search(Index(archive_root / "index"), SearchRequest(q="so:318 - TB/HU")).hits][:1] \
        == ["318-TB/HU"]


@pytest.fixture(scope="module")
def client(archive_root):
    return create_app({"TESTING": True, "DATA_DIR": str(archive_root)}).test_client()


def test_api_lists_references_and_cited_by(archive_root, client):
    by_number = ids_by_number(archive_root)
    citing = client.get(f"/api/notices/{by_number['401-TB/HU'].id}").get_json()
    first, second = citing["references"]
    assert first["notice_id"] == by_number["318-TB/HU"].id and first["url"].endswith(by_number["318-TB/HU"].id)
    assert (first["doc_type"], first["number"], first["date"], first["issuer"]) == (
        "thông báo", "318/TB-HU", "2022-06-14", "Thường trực Huyện ủy")
    assert second["notice_id"] is None and second["number"] == "57-KL/TW" and second["issuer"] == "Ban Bí thư"
    assert citing["notice"]["references"] == citing["references"]
    cited = client.get(f"/api/notices/{by_number['318-TB/HU'].id}").get_json()
    assert [c["notice_id"] for c in cited["cited_by"]] == [by_number["401-TB/HU"].id]
    assert cited["references"] == [] and cited["copies"] == [] and cited["copy_of"] is None


def test_notice_page_links_both_ways(archive_root, client):
    by_number = ids_by_number(archive_root)
    citing = client.get(f"/notices/{by_number['401-TB/HU'].id}").get_data(as_text=True)
    assert "Văn bản được dẫn chiếu" in citing and f'href="/notices/{by_number["318-TB/HU"].id}"' in citing
    assert "chưa có trong kho" in citing  # Kết luận 57-KL/TW is not archived
    cited = client.get(f"/notices/{by_number['318-TB/HU'].id}").get_data(as_text=True)
    assert "Được dẫn chiếu bởi" in cited and f'href="/notices/{by_number["401-TB/HU"].id}"' in cited


def test_same_number_of_two_districts_resolves_to_the_citing_notices_own(tmp_path):
    src, root = tmp_path / "src", tmp_path / "data"
    src.mkdir()
    (src / "a.txt").write_text(CITED, encoding="utf-8")
    elsewhere = CITED.replace("ĐỨC HÒA", "BẾN LỨC").replace("Đức Hòa,", "Bến Lức,").replace("830", "833")
    (src / "b.txt").write_text(elsewhere, encoding="utf-8")
    (src / "c.txt").write_text(CITING.replace("ngày 14/6/2022 ", ""), encoding="utf-8")  # no date to tell them apart
    ingest([src], root)
    with Archive(root) as archive:
        stored = {s.source_name: s for s in archive.notices_of()}
        assert stored["a.txt"].notice.locality == "Đức Hòa"
        assert archive.citations(stored["c.txt"])[0].notice_id == stored["a.txt"].id
