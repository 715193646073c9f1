"""Scans: PDFs with and without a text layer, images, multi-page TIFF, OCR with
Tesseract's Vietnamese model (run where it is installed: `make test` installs it as
root with apt), and the same files reported as "needs OCR" where it is not."""
import io
import json
import sys
import unicodedata
from pathlib import Path

import pytest

from conftest import CORPUS, GOLDEN, load_json
from indexer import ocr
from indexer.errors import UnreadableFile, UnsupportedFile
from indexer.ingest import ingest
from indexer.parse import parse
from indexer.read import read_bytes, read_file

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from formats import image_pdf, png, scan_pages, tiff  # noqa: E402

needs_tesseract = pytest.mark.skipif(not ocr.tesseract_ready(),
                                     reason="tesseract-ocr-vie not installed (make test installs it as root with apt)")


@pytest.fixture
def no_tesseract(monkeypatch):
    monkeypatch.setattr(ocr, "tesseract_ready", lambda: False)


@pytest.mark.parametrize("head,kind", [
    (b"%PDF-1.7\n", "pdf"), (b"\x89PNG\r\n\x1a\n....", "png"), (b"\xff\xd8\xff\xe0..", "jpeg"),
    (b"II*\x00....", "tiff"), (b"MM\x00*....", "tiff"), (b"THONG BAO", None), (b"", None),
])
def test_scan_format_by_content(head, kind):
    assert ocr.scan_format(head) == kind


def test_text_layer_pdf_needs_no_ocr(no_tesseract):
    result = read_file(CORPUS / "043_text_layer.pdf")
    assert (result.format, result.encoding) == ("pdf", "pdf-text")
    assert [n for n, _ in result.pages] == [1]
    notice = parse(result.text)[0]
    assert notice.number == "123-TB/TU" and notice.issue_date.isoformat() == "2021-07-12"


@pytest.mark.parametrize("name", ["040_scan.png", "041_scan_two_pages.tiff", "042_scan_two_notices.pdf"])
def test_scans_without_tesseract_say_what_to_install(no_tesseract, name):
    with pytest.raises(UnsupportedFile, match="needs OCR: install tesseract-ocr-vie"):
        read_file(CORPUS / name)


def test_without_tesseract_the_run_goes_on_and_a_rerun_picks_the_scan_up(no_tesseract, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("040_scan.png", "002_ubnd_huyen_ket_luan.txt"):
        (folder / name).write_bytes((CORPUS / name).read_bytes())
    summary = ingest([folder], tmp_path / "data")
    assert (summary.new, summary.skipped, summary.failed) == (1, 1, 0)
    assert summary.report == [(str(folder / "040_scan.png"), "skipped", "needs OCR: install tesseract-ocr-vie")]
    again = ingest([folder], tmp_path / "data")
    assert (again.unchanged, again.skipped) == (1, 1)  # not archived as done: it waits for Tesseract


@pytest.mark.parametrize("data,reason", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "broken image"),
    (b"%PDF-1.4\n%%EOF\n", "malformed PDF"),
    (b"THONG BAO ket luan", "not a PDF or an image"),
])
def test_broken_scans_are_named(data, reason, monkeypatch):
    monkeypatch.setattr(ocr, "tesseract_ready", lambda: True)
    with pytest.raises(UnreadableFile, match=reason):
        read_bytes(data, "scan.png" if reason != "malformed PDF" else "scan.pdf")


def test_decompression_bomb_is_refused(monkeypatch):
    from PIL import Image
    monkeypatch.setattr(ocr, "tesseract_ready", lambda: True)
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")  # 400 Mpx of white: tiny file, huge image
    with pytest.raises(UnreadableFile, match="image too large"):
        read_bytes(out.getvalue(), "bomb.png")


def test_locate_pages_finds_each_item():
    text = (CORPUS / "005_hai_thong_bao.txt").read_text(encoding="utf-8")
    first, second = text.split("ĐẢNG BỘ TỈNH THÁI BÌNH\nHUYỆN ỦY KIẾN XƯƠNG\nSố 91")
    second = "ĐẢNG BỘ TỈNH THÁI BÌNH\nHUYỆN ỦY KIẾN XƯƠNG\nSố 91" + second
    notices = ocr.locate_pages(tuple(parse(text)), [(1, first), (2, second)])
    assert [n.page for n in notices] == [1, 2]
    assert [i.page for n in notices for i in n.items] == [1, 1, 2, 2]


def character_accuracy(found: str, truth: str) -> float:
    """1 − edit distance / length, over the texts with whitespace collapsed."""
    a, b = " ".join(found.split()), " ".join(truth.split())
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return 1 - previous[-1] / max(len(b), 1)


@needs_tesseract
def test_ocr_of_a_rendered_notice_matches_its_golden_fields():
    """The sample notice printed with DejaVu Sans at 200 dpi, OCR'd, parsed: the same
    date, issuer, number and items as the golden file of the text."""
    source = (CORPUS / "002_ubnd_huyen_ket_luan.txt").read_text(encoding="utf-8")
    result = read_bytes(png(scan_pages(source)[0]), "scan.png")
    assert (result.format, result.encoding) == ("png", "ocr-vie") and len(result.hocr) == 1
    golden = load_json(GOLDEN / "002_ubnd_huyen_ket_luan.json")["notices"][0]
    notice = parse(result.text)[0]
    for field in ("number", "issue_date", "meeting_date", "issuer_canonical", "body_level", "doc_type"):
        assert str(getattr(notice, field) or "") == str(golden[field] or ""), field
    assert [i.number for i in notice.items] == [i["number"] for i in golden["items"]]
    item_accuracy = character_accuracy(" ".join(i.text for i in notice.items),
                                       " ".join(i["text"] for i in golden["items"]))
    page_accuracy = character_accuracy(result.text, source)
    report = {"items": round(item_accuracy, 4), "page": round(page_accuracy, 4)}
    print(f"\nOCR character accuracy: {json.dumps(report)}")
    assert item_accuracy >= 0.98, report


@needs_tesseract
def test_bundled_scans_are_read(tmp_path):
    tiff_result = read_file(CORPUS / "041_scan_two_pages.tiff")
    assert [n for n, _ in tiff_result.pages] == [1, 2] and len(tiff_result.hocr) == 2
    notice = ocr.locate_pages(tuple(parse(tiff_result.text)), list(tiff_result.pages))[0]
    assert notice.page == 1 and {i.page for i in notice.items} == {1, 2}

    pdf = read_file(CORPUS / "042_scan_two_notices.pdf")
    assert (pdf.format, pdf.encoding) == ("pdf", "ocr-vie")
    notices = ocr.locate_pages(tuple(parse(pdf.text)), list(pdf.pages))
    assert [(n.number, n.page) for n in notices] == [("88-TB/HU", 1), ("91-TB/HU", 2)]


@needs_tesseract
def test_a_page_over_the_timeout_is_skipped_and_reported(monkeypatch):
    monkeypatch.setenv("KETLUAN_OCR_TIMEOUT", "0.001")
    pages = scan_pages("THÔNG BÁO\fkết luận")
    with pytest.raises(UnreadableFile, match="OCR timed out on every page"):
        read_bytes(tiff(pages), "scan.tiff")


@needs_tesseract
def test_scans_are_archived_with_their_hocr_and_pages(corpus_archive):
    from indexer.archive import Archive
    with Archive(corpus_archive) as archive:
        stored = [s for s in archive.notices_of() if s.source_name == "042_scan_two_notices.pdf"]
        assert [s.notice.page for s in stored] == [1, 2]
        hocr = archive.ocr_page(stored[1].sha256, 2)
        assert "ocr_page" in hocr and "91-TB/HU" in unicodedata.normalize("NFC", hocr)
        assert archive.ocr_page(stored[1].sha256, 3) is None


def test_image_only_pdf_is_built_without_a_text_layer():
    """The generator's PDF really is image-only (so the OCR path is what reads it)."""
    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(image_pdf(scan_pages("THÔNG BÁO\nkết luận"))))
    assert (reader.pages[0].extract_text() or "").strip() == ""


def _yellow_pixels(png_bytes: bytes) -> int:
    from PIL import Image
    raw = Image.open(io.BytesIO(png_bytes)).convert("RGB").tobytes()
    return sum(1 for i in range(0, len(raw), 3) if raw[i] > 240 and raw[i + 1] > 210 and raw[i + 2] < 150)


def _scan_notice_id(client, source):
    """The first notice of a sample file (a scan is a copy of a typed sample: not in the
    results itself, but listed among the hit's copies)."""
    hits = client.get("/api/search?q=&kind=notice&limit=100").get_json()["hits"]
    files = [(h["notice_id"], h["source_name"]) for h in hits]
    files += [(c["notice_id"], c["name"]) for h in hits for c in h["copies"]]
    return min(nid for nid, name in files if name == source)


@needs_tesseract
def test_site_shows_the_scanned_page_with_the_item_marked(client):
    nid = _scan_notice_id(client, "040_scan.png")
    page = client.get(f"/notices/{nid}").get_data(as_text=True)
    assert f"/notices/{nid}/page/1.png?item=2" in page and "Xem trên bản quét, trang 1" in page
    plain = client.get(f"/notices/{nid}/page/1.png")
    marked = client.get(f"/notices/{nid}/page/1.png?item=2")
    assert plain.status_code == marked.status_code == 200 and marked.mimetype == "image/png"
    assert _yellow_pixels(marked.data) > 5000  # the item's lines are highlighted
    assert _yellow_pixels(plain.data) == 0
    for bad in ("/page/2.png", "/page/0.png", "/page/99999.png"):
        assert client.get(f"/notices/{nid}{bad}").status_code == 404, bad


@needs_tesseract
def test_site_renders_pdf_pages(client):
    nid = _scan_notice_id(client, "042_scan_two_notices.pdf")
    response = client.get(f"/notices/{nid}/page/1.png")
    assert response.status_code == 200 and response.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(f"/notices/{nid}/original").mimetype == "application/pdf"


def test_page_images_only_for_notices_that_exist(client):
    assert client.get("/notices/0000000000000000-0/page/1.png").status_code == 404
    text_notice = _scan_notice_id(client, "002_ubnd_huyen_ket_luan.txt")
    assert client.get(f"/notices/{text_notice}/page/1.png").status_code == 404  # not a scan
    assert client.get("/notices/..%2F..%2Fetc/page/1.png").status_code == 404


@needs_tesseract
def test_jpeg_photo_with_exif_rotation_is_read_upright():
    """A phone photo: JPEG, stored sideways with an EXIF orientation tag."""
    from PIL import Image
    page = scan_pages((CORPUS / "009_mot_la.txt").read_text(encoding="utf-8"))[0].convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    out = io.BytesIO()
    page.transpose(Image.Transpose.ROTATE_90).save(out, "JPEG", quality=80, dpi=(200, 200), exif=exif.tobytes())
    result = read_bytes(out.getvalue(), "photo.jpg")
    notice = parse(result.text)[0]
    assert (result.format, notice.number, notice.issue_date.isoformat(), len(notice.items)) == \
        ("jpeg", "301-TB/QU", "2024-03-20", 3)


@pytest.mark.parametrize("encode", ["utf-8", "tcvn3", "vni"])
def test_pdf_text_layers_in_legacy_font_encodings_are_decoded(encode):
    """Office PDFs typed in .VnTime (TCVN3) or VNI fonts carry text layers like
    `Th«ng b¸o`: the bytes of the legacy encoding read as Windows-1252."""
    from indexer.legacy import encode_tcvn3, encode_vni
    from indexer.read import _text_layer
    text = (CORPUS / "002_ubnd_huyen_ket_luan.txt").read_text(encoding="utf-8")
    layer = {"utf-8": text, "tcvn3": encode_tcvn3(text).decode("cp1252", "replace"),
             "vni": encode_vni(text).decode("cp1252", "replace")}[encode]
    decoded = _text_layer(layer).lower()  # TCVN3 has no capital Ủ: `Ủy` comes back `ủy`
    assert "kết luận của chủ tịch ủy ban nhân dân huyện" in decoded
    assert "giải phóng mặt bằng" in decoded


def test_an_unreadable_text_layer_is_not_indexed():
    from indexer.read import _text_layer
    assert _text_layer("\u25a1\u25a1\u25a1 \u2591\u2592 ÿþý ÷×¤ " * 10) is None


def test_a_pdf_mixing_text_and_scanned_pages_reads_both(monkeypatch):
    """Page 1 with a text layer, page 2 a scan: the first is read, the second OCR'd."""
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter()
    writer.append(PdfReader(CORPUS / "043_text_layer.pdf"))
    writer.append(PdfReader(io.BytesIO(image_pdf(scan_pages("THÔNG BÁO\nkết luận")))))
    out = io.BytesIO()
    writer.write(out)
    if not ocr.tesseract_ready():
        with pytest.raises(UnsupportedFile, match="needs OCR"):
            read_bytes(out.getvalue(), "mixed.pdf")
        return
    result = read_bytes(out.getvalue(), "mixed.pdf")
    assert result.encoding == "pdf-text+ocr-vie" and [n for n, _ in result.pages] == [1, 2]
    assert [n for n, _ in result.hocr] == [2]
