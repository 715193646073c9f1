"""References to other documents: the forms notices use (table-driven), and the number
key that makes one number's spellings alike."""
import datetime as dt

import pytest

from indexer.parse import parse
from indexer.references import find_references, number_key

D = dt.date

FORMS = [
    # text, [(doc_type, number, date, issuer)]
    ("Thực hiện Thông báo số 318-TB/HU ngày 14/6/2022 của Thường trực Huyện ủy về việc giải phóng mặt bằng",
     [("thông báo", "318-TB/HU", D(2022, 6, 14), "Thường trực Huyện ủy")]),
    ("quán triệt Kết luận số 57-KL/TW ngày 18/8/2014 của Ban Bí thư về công tác cán bộ",
     [("kết luận", "57-KL/TW", D(2014, 8, 18), "Ban Bí thư")]),
    ("thực hiện nghiêm Chỉ thị 05/CT-TTg về chấn chỉnh kỷ cương", [("chỉ thị", "05/CT-TTg", None, "")]),
    ("theo tinh thần Nghị quyết số 25-NQ/TW.", [("nghị quyết", "25-NQ/TW", None, "")]),
    ("Căn cứ Quyết định số 1234/QĐ-UBND ngày 02 tháng 3 năm 2023 của UBND tỉnh;",
     [("quyết định", "1234/QĐ-UBND", D(2023, 3, 2), "UBND tỉnh")]),
    ("triển khai Kế hoạch 23-KH/TU của Tỉnh ủy", [("kế hoạch", "23-KH/TU", None, "Tỉnh ủy")]),
    ("Kết luận số 12 - KL/HU ngày 5-6-2021", [("kết luận", "12 - KL/HU", D(2021, 6, 5), "")]),
    ("nghiên cứu Nghị định 30/2020/NĐ-CP của Chính phủ", [("nghị định", "30/2020/NĐ-CP", None, "Chính phủ")]),
    # a list of numbers of one type: the date and issuer belong to the last
    ("thực hiện các Kết luận số 3-KL/HU, 7-KL/HU và 9-KL/HU ngày 1/2/2024 của Ban Thường vụ Huyện ủy",
     [("kết luận", "3-KL/HU", None, ""), ("kết luận", "7-KL/HU", None, ""),
      ("kết luận", "9-KL/HU", D(2024, 2, 1), "Ban Thường vụ Huyện ủy")]),
    # the issuer before the date; an issuer with `và` in its name; stops at a verb
    ("Công văn số 88/SNN-KH của Sở Nông nghiệp và Phát triển nông thôn ngày 3/4/2024 đề nghị",
     [("công văn", "88/SNN-KH", D(2024, 4, 3), "Sở Nông nghiệp và Phát triển nông thôn")]),
    ("Quyết định số 7/QĐ-UBND của UBND tỉnh phê duyệt đề án", [("quyết định", "7/QĐ-UBND", None, "UBND tỉnh")]),
    ("Thông báo số 5/TB-STC của Sở Tài chính, Sở Giáo dục", [("thông báo", "5/TB-STC", None, "Sở Tài chính")]),
    # a bare number repeated later adds nothing new and is not a second reference
    ("Thông báo số 318-TB/HU ngày 14/6/2022. Tại Thông báo số 318/TB-HU, giao UBND huyện",
     [("thông báo", "318-TB/HU", D(2022, 6, 14), "")]),
    # ... but what the first mention lacked comes from the later one
    ("Chỉ thị số 21-CT/TU. Nhắc lại Chỉ thị số 21-CT/TU ngày 12/3/2024 của Tỉnh ủy",
     [("chỉ thị", "21-CT/TU", D(2024, 3, 12), "Tỉnh ủy")]),
    # OCR: tone marks lost or wrong, capitals
    ("Thông bảo sô 77-TB/HU ngảy 3/5/2023 cùa Huyện uỷ.", [("thông báo", "77-TB/HU", D(2023, 5, 3), "Huyện uỷ")]),
    ("THỰC HIỆN CHỈ THỊ SỐ 21-CT/TU NGÀY 12/3/2024 CỦA TỈNH ỦY VỀ", [("chỉ thị", "21-CT/TU", D(2024, 3, 12), "TỈNH ỦY")]),
    # a reference broken over two lines
    ("thực hiện Thông báo số 90-TB/TU\nngày 9/9/2023 của Thường trực Tỉnh ủy",
     [("thông báo", "90-TB/TU", D(2023, 9, 9), "Thường trực Tỉnh ủy")]),
    # not references: dates, unnumbered documents, addresses, ratios
    ("Ngày 30/9/2022, Nghị quyết Đại hội Đảng bộ tỉnh lần thứ XVI và Luật Đất đai năm 2024", []),
    ("số 15 đường Trần Hưng Đạo, đạt 12/15 xã, Quốc lộ 14", []),
    ("Thông báo này thay cho Thông báo ngày 3/3/2023", []),
    # an impossible date is left out, the reference kept
    ("Kế hoạch số 4-KH/ĐU ngày 31/2/2023", [("kế hoạch", "4-KH/ĐU", None, "")]),
]


@pytest.mark.parametrize("text, expected", FORMS)
def test_reference_forms(text, expected):
    got = [(r.doc_type, r.number, r.date, r.issuer) for r in find_references(text)]
    assert got == expected


def test_the_text_of_a_reference_is_its_passage():
    (ref,) = find_references("Thực hiện Thông báo số 318-TB/HU ngày 14/6/2022 của Thường trực Huyện ủy về việc X")
    assert ref.text == "Thông báo số 318-TB/HU ngày 14/6/2022 của Thường trực Huyện ủy"


def test_the_notices_own_number_is_not_a_reference():
    assert find_references("THÔNG BÁO số 123-TB/TU về kết luận", own_number="123-TB/TU") == ()


@pytest.mark.parametrize("a, b", [
    ("318-TB/HU", "318/TB-HU"), ("318-TB/HU", "318 - TB/HU"), ("57-KL/TƯ", "57-KL/TW"),
    ("05/CT-TTg", "5/CT-TTG"), ("1234/QĐ-UBND", "1234/qd-ubnd"), ("30/2020/NĐ-CP", "30/2020/ND-CP"),
])
def test_number_spellings_share_a_key(a, b):
    assert number_key(a) == number_key(b)


@pytest.mark.parametrize("a, b", [("318-TB/HU", "318-TB/TU"), ("57-KL/TW", "57-KL/TU"), ("12-KL/HU", "120-KL/HU")])
def test_other_numbers_have_other_keys(a, b):
    assert number_key(a) != number_key(b)


def test_parse_fills_references():
    text = ("HUYỆN ỦY CHÂU THÀNH\nSố 401-TB/HU\n\nTHÔNG BÁO\nkết luận của Thường trực Huyện ủy\n"
            "Thực hiện Thông báo số 318-TB/HU ngày 14/6/2022 của Thường trực Huyện ủy, ngày 2/7/2022 "
            "Thường trực Huyện ủy họp và kết luận:\n1. Giao UBND huyện hoàn thành giải phóng mặt bằng.\n")
    (notice,) = parse(text)
    assert notice.number == "401-TB/HU"
    assert [(r.number, r.date) for r in notice.references] == [("318-TB/HU", D(2022, 6, 14))]
