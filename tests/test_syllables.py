import unicodedata

import pytest

from conftest import CORPUS, corpus_samples
from indexer.ocr import NeedsOcr
from indexer.parse import parse
from indexer.read import read_bytes, read_file
from indexer.syllables import is_syllable, repair_spacing, split_run


@pytest.mark.parametrize("word", ["ngày", "Huế", "KẾT", "quốc", "người", "nghiêng", "gì", "giữa", "khuya", "huỳnh",
                                  "thuở", "tiến", "ủy", "hòa", "hoà", "nhiễm", "Nguyễn", "ạch"])
def test_syllables(word):
    assert is_syllable(word)


@pytest.mark.parametrize("word", ["vụtừ", "xyz", "HĐND", "online", "Covid", "tiê", "àch", "bnag", "Đắk"])
def test_not_syllables(word):
    assert not is_syllable(word)


@pytest.mark.parametrize("run, parts", [
    ("vụtừngày", ["vụ", "từ", "ngày"]), ("bộxã", ["bộ", "xã"]), ("phụnữ", ["phụ", "nữ"]),
    ("ĐẢNGBỘ", ["ĐẢNG", "BỘ"]), ("thựchiện", ["thực", "hiện"]), ("Tỉnhủy", ["Tỉnh", "ủy"]),
    ("giảiphóngmặtbằng", ["giải", "phóng", "mặt", "bằng"]), ("Ủybannhândân", ["Ủy", "ban", "nhân", "dân"]),
    ("UBND", None), ("Krông", None),
    ("Uỷban", ["Uỷ", "ban"]),  # the old tone placement: not `U ỷ ban`
])
def test_split_run(run, parts):
    assert split_run(run) == parts


@pytest.mark.parametrize("text, repaired, count", [
    ("nhiệm vụtừngày 1/7", "nhiệm vụ từ ngày 1/7", 1),
    ("Đảng bộxã Tân Hòa", "Đảng bộ xã Tân Hòa", 1),
    ("Hội Liên hiệp Phụnữ", "Hội Liên hiệp Phụ nữ", 1),
    ("Thừa Thiên H u ế", "Thừa Thiên Huế", 1),
    ("K ÉT LUẬN của Ban", "KÉT LUẬN của Ban", 1),
    ("UBND online Covid-19, HĐND, Krông Pắc", "UBND online Covid-19, HĐND, Krông Pắc", 0),
    ("a) b) c)", "a) b) c)", 0),
    ("Ban Thường vụ Quận ủy họp", "Ban Thường vụ Quận ủy họp", 0),
    ("Uỷban nhân dân", "Uỷ ban nhân dân", 1),
    ("nhiệm kỳ2025 - 2030", "nhiệm kỳ 2025 - 2030", 1),  # a number glued to the word introducing it
    ("ngày12 tháng3 năm2024", "ngày 12 tháng 3 năm 2024", 3),
    ("F0, km2, Covid19, QĐ-UBND2023", "F0, km2, Covid19, QĐ-UBND2023", 0),
    ("thángnăm2024", "tháng năm 2024", 2),  # the split puts the number after `năm`
    ("(H u ế), và cá người", "(Huế), và cá người", 1),  # a run between brackets; `và cá` joins nothing
    ("xã\tH u ế", "xã\tHuế", 1),
])
def test_repair_spacing(text, repaired, count):
    assert repair_spacing(text) == (repaired, count)
    assert repair_spacing(text) == (repaired, count)  # the second time from the tokens remembered


GLUED_SAMPLES = {"052_dang_uy_xa_chu_ky_so.txt": 1}  # PDF text: `nhiệm kỳ2025`


@pytest.mark.parametrize("sample", corpus_samples(), ids=lambda p: p.name)
def test_clean_samples_need_no_repair(sample):
    try:
        warnings = read_file(sample).warnings
    except NeedsOcr:
        pytest.skip("a scan, and tesseract-ocr-vie is not installed (make ocr)")
    repaired = [w for w in warnings if w.startswith("spacing_repaired")]
    expected = GLUED_SAMPLES.get(sample.name)
    assert repaired == ([f"spacing_repaired:{expected}"] if expected else [])


def test_glued_pdf_text_is_repaired_and_counted():
    original = (CORPUS / "001_tb_thi_uy_ben_cat.txt").read_text(encoding="utf-8")
    glued = original.replace("hoàn thành trước ngày", "hoànthành trướcngày").replace("Đề nghị", "Đềnghị")
    result = read_bytes(glued.encode("utf-8"), "x.txt")
    assert "spacing_repaired:3" in result.warnings
    (notice,) = parse(result.text)
    assert notice.items[0].deadline.date.isoformat() == "2021-09-30"
    assert notice.items[1].addressees == ("Ủy ban Mặt trận Tổ quốc Việt Nam thị xã", "Các đoàn thể")


def test_nfd_input_is_not_mangled():
    text = unicodedata.normalize("NFD", "Ban Thường vụ Quận ủy tập huấn")
    assert read_bytes(text.encode("utf-8"), "x.txt").text == "Ban Thường vụ Quận ủy tập huấn"
