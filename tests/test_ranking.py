"""The ranking promises, each asserting the order of named notices in the default view:
exact diacritics before folded ones, adjacent words (compounds, phrases) before scattered
ones, abbreviations both ways, a document number before the notices that cite it.

Each notice pair differs only in what the promise is about, so that removing the feature
(the exact-diacritic boost, the proximity boost, the abbreviation table, the number
field) changes the order or the hits and fails the test."""
import pytest

from indexer.search import SearchRequest, search

HEADER = "ĐẢNG BỘ TỈNH NGHỆ AN\nHUYỆN ỦY ANH SƠN\nSố {number}\n\nTHÔNG BÁO\nkết luận của Thường trực Huyện ủy\n\n"
NOTICES = {
    # exact diacritics: bảo (protect) / báo (report); đảng (Party) / đang (in progress)
    "bao_protect": ("11-TB/HU", "1. Hạt Kiểm lâm huyện tăng cường bảo vệ rừng phòng hộ đầu nguồn sông Lam."),
    "bao_report": ("12-TB/HU", "1. Hạt Kiểm lâm huyện tăng cường báo về rừng phòng hộ đầu nguồn sông Lam."),
    "dang_party": ("13-TB/HU", "1. Chi bộ thôn Tân Hương kết nạp đảng viên mới trong quý III."),
    "dang_now": ("14-TB/HU", "1. Chi bộ thôn Tân Hương kết nạp đang viên mới trong quý III."),
    # adjacency: giải phóng mặt bằng together / the same syllables scattered
    "gpmb_together": ("15-TB/HU", "1. Ban Quản lý dự án đẩy nhanh giải phóng mặt bằng đường tỉnh 534, phối hợp "
                                  "với các xã rà soát hồ sơ, niêm yết công khai phương án và hoàn thành trong năm."),
    # (the scattered one holds the syllables more often: only adjacency puts the other first)
    "gpmb_scattered": ("16-TB/HU", "1. Ban Quản lý dự án giải quyết mặt đường tỉnh 534, phóng viên bằng lòng, "
                                   "giải quyết mặt bên, phóng to bằng chứng và hoàn thành trong năm."),
    # abbreviations: only the full form / only the abbreviation
    "full_form": ("17-TB/HU", "1. Giao Ủy ban nhân dân xã Long Sơn rà soát hộ nghèo."),
    "abbreviated": ("18-TB/HU", "1. Giao Ban Chỉ đạo GPMB xã Hội Sơn họp với các hộ dân."),
    # number lookup: the notice bearing 318-TB/HU, and one citing it
    "cites_318": ("402-TB/HU", "1. Tiếp tục thực hiện Thông báo số 318-TB/HU về xây dựng trường chuẩn quốc gia."),
    "bears_318": ("318-TB/HU", "1. Phòng Giáo dục và Đào tạo rà soát trường chuẩn quốc gia."),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from indexer.index import Index
    from indexer.ingest import ingest
    folder = tmp_path_factory.mktemp("ranking")
    for name, (number, body) in NOTICES.items():
        (folder / f"{name}.txt").write_text(HEADER.format(number=number) + body + "\n", encoding="utf-8")
    root = tmp_path_factory.mktemp("ranking-data")
    assert ingest([folder], root, jobs=1).failed == 0
    return Index(root / "index")


def order(index, q: str) -> list[str]:
    """The notices found, by file name, best first (one entry per notice)."""
    hits = search(index, SearchRequest(q=q, limit=50)).hits
    return list(dict.fromkeys(h.source_name.removesuffix(".txt") for h in hits))


@pytest.mark.parametrize("q, first, second", [
    ("bảo vệ rừng", "bao_protect", "bao_report"),
    ("báo về rừng", "bao_report", "bao_protect"),
    ("đảng viên mới", "dang_party", "dang_now"),
    ("đang viên mới", "dang_now", "dang_party"),
])
def test_exact_diacritics_rank_before_folded(index, q, first, second):
    found = order(index, q)
    assert found.index(first) < found.index(second), found


def test_without_diacritics_both_are_found(index):
    found = order(index, "bao ve rung")
    assert {"bao_protect", "bao_report"} <= set(found)


def test_adjacent_syllables_rank_before_scattered(index):
    found = order(index, "giải phóng mặt bằng")
    assert found.index("gpmb_together") < found.index("gpmb_scattered"), found


def test_quoted_phrase_needs_adjacency(index):
    assert "gpmb_scattered" not in order(index, '"giải phóng mặt bằng"')
    assert "gpmb_together" in order(index, '"giai phong mat bang"')


@pytest.mark.parametrize("q, wanted", [("UBND xã Long Sơn", "full_form"), ("ubnd", "full_form"),
                                       ("giải phóng mặt bằng xã Hội Sơn", "abbreviated")])
def test_abbreviations_match_both_ways(index, q, wanted):
    assert order(index, q)[:1] == [wanted]


@pytest.mark.parametrize("q", ["318-TB/HU", "318/TB-HU", "318 TB HU", "số 318", "so:318-TB/HU"])
def test_number_finds_its_notice_before_those_citing_it(index, q):
    found = order(index, q)
    assert found[:1] == ["bears_318"], found
