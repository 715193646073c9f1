import io
import zipfile

import pytest

from conftest import CORPUS
from indexer.errors import UnreadableFile, UnsupportedFile
from indexer.legacy import VIETNAMESE_LETTERS, decode_tcvn3, decode_vni, encode_tcvn3, encode_vni
from indexer.read import read_bytes, read_file

SAMPLE = "Ban Thường vụ Thị ủy kết luận về giải phóng mặt bằng và xây dựng nông thôn mới ở các xã, phường."


@pytest.mark.parametrize("letter", VIETNAMESE_LETTERS)
def test_vni_round_trips_every_letter(letter):
    assert decode_vni(encode_vni(letter)) == letter
    assert decode_vni(encode_vni(letter.upper())) == letter.upper()


@pytest.mark.parametrize("letter", VIETNAMESE_LETTERS)
def test_tcvn3_round_trips_every_letter(letter):
    assert decode_tcvn3(encode_tcvn3(letter)) == letter


@pytest.mark.parametrize("name,encoding", [
    ("001_tb_thi_uy_ben_cat.txt", "utf-8"), ("020_cp1258.txt", "cp1258"), ("021_utf16.txt", "utf-16"),
    ("022_vni.txt", "vni"), ("023_tcvn3.txt", "tcvn3"), ("024_utf8_bom.txt", "utf-8-sig"),
])
def test_encoding_detection(name, encoding):
    assert read_file(CORPUS / name).encoding == encoding


@pytest.mark.parametrize("name,fmt", [("030_hocr.hocr", "hocr"), ("031_alto.xml", "alto"), ("032_word.docx", "docx")])
def test_format_detection(name, fmt):
    result = read_file(CORPUS / name)
    assert result.format == fmt and "THÔNG BÁO" in result.text


def test_hocr_recognised_by_content_not_extension():
    data = (CORPUS / "030_hocr.hocr").read_bytes()
    assert read_bytes(data, "scan.txt").format == "hocr"


def test_alto_hyphenation_is_joined():
    alto = ('<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page><PrintSpace><TextBlock>'
            '<TextLine><String CONTENT="giải"/><SP/><String CONTENT="phóng"/><SP/><String CONTENT="mặt"/><HYP CONTENT="-"/></TextLine>'
            '<TextLine><String CONTENT="bằng"/><SP/><String CONTENT="nhanh"/></TextLine>'
            '</TextBlock></PrintSpace></Page></Layout></alto>')
    # The hyphenated halves are joined, then the syllable repair splits them again:
    # in Vietnamese a line-end hyphen separates syllables (`mặt-` / `bằng`).
    assert read_bytes(alto.encode(), "a.xml").text == "giải phóng mặt bằng\nnhanh"


def test_html_strips_scripts_and_keeps_blocks():
    page = "<html><head><title>x</title><script>alert(1)</script></head><body><p>Một</p><p>Hai <b>ba</b></p></body></html>"
    assert read_bytes(page.encode(), "a.html").text == "Một\nHai ba"


def test_utf8_with_a_few_bad_bytes_warns():
    data = SAMPLE.encode() * 5 + b"\xff\xfe\xfa" + SAMPLE.encode()
    result = read_bytes(data, "x.txt")
    assert result.encoding == "utf-8" and result.warnings == ("replaced_bytes:3",)


@pytest.mark.parametrize("data,name,reason", [
    (b"", "empty.txt", "empty"),
    (b"   \n ", "blank.txt", "empty"),
    (bytes(range(256)) * 10, "blob.txt", "binary"),
    (b"<root><a></root>", "bad.xml", "malformed XML"),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', "xxe.xml", "entities"),
    (b'<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>', "bomb.xml", "entities"),
    (b"PK\x03\x04garbage", "broken.docx", "broken .docx"),
])
def test_bad_files_raise_typed_errors(data, name, reason):
    with pytest.raises(UnreadableFile) as err:
        read_bytes(data, name)
    assert reason in str(err.value) and name in str(err.value)


def test_docx_without_document_xml():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("other.txt", "x")
    with pytest.raises(UnreadableFile, match="not a Word document"):
        read_bytes(buffer.getvalue(), "x.docx")


def test_unsupported_and_too_large(tmp_path):
    (tmp_path / "a.exe").write_bytes(b"MZ")
    with pytest.raises(UnsupportedFile):
        read_file(tmp_path / "a.exe")
    big = tmp_path / "big.txt"
    big.write_text("a" * 2000)
    with pytest.raises(UnreadableFile, match="too large"):
        read_file(big, max_bytes=1000)
    with pytest.raises(UnreadableFile, match="cannot open"):
        read_file(tmp_path / "missing.txt")
