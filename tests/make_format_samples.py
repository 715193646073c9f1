"""Writes the corpus samples in legacy encodings and scanner formats from the UTF-8
samples (run once; the outputs are committed). `python tests/make_format_samples.py`"""
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from formats import alto, cp1258, docx, hocr, image_pdf, png, scan_pages, tiff  # noqa: E402
from indexer.legacy import encode_tcvn3, encode_vni  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def source(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def main():
    (CORPUS / "020_cp1258.txt").write_bytes(cp1258(source("002_ubnd_huyen_ket_luan.txt")))
    (CORPUS / "021_utf16.txt").write_bytes(source("004_dang_uy_xa_subitems.txt").encode("utf-16"))
    (CORPUS / "022_vni.txt").write_bytes(encode_vni(source("009_mot_la.txt")))
    (CORPUS / "023_tcvn3.txt").write_bytes(encode_tcvn3(source("013_dang_uy_phuong_deadlines.txt")))
    (CORPUS / "024_utf8_bom.txt").write_bytes(b"\xef\xbb\xbf" + source("010_thanh_uy_bullets.txt").encode("utf-8"))
    (CORPUS / "030_hocr.hocr").write_text(hocr(source("005_hai_thong_bao.txt")), encoding="utf-8")
    (CORPUS / "031_alto.xml").write_text(alto(source("007_old_tones.txt")), encoding="utf-8")
    (CORPUS / "032_word.docx").write_bytes(docx(source("011_van_phong_ubnd_tinh.txt")))
    write_scans()


def write_scans():
    """Scans: a PNG page, a two-page TIFF, a scanner's image-only PDF holding two
    notices (one per page) and a PDF with a text layer (Tesseract's own PDF output)."""
    (CORPUS / "040_scan.png").write_bytes(png(scan_pages(source("002_ubnd_huyen_ket_luan.txt"))[0]))
    (CORPUS / "041_scan_two_pages.tiff").write_bytes(tiff(scan_pages(source("003_tinh_uy_sections.txt").replace("\nII. ", "\fII. ", 1))))
    two = source("005_hai_thong_bao.txt").replace("Phạm Đức Hải\n\n", "Phạm Đức Hải\n\f", 1)
    (CORPUS / "042_scan_two_notices.pdf").write_bytes(image_pdf(scan_pages(two)))
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.png"
        page.write_bytes(png(scan_pages(source("001_tb_thi_uy_ben_cat.txt"))[0]))
        subprocess.run(["tesseract", str(page), str(Path(tmp) / "out"), "-l", "vie", "pdf"], check=True,
                       capture_output=True)
        (CORPUS / "043_text_layer.pdf").write_bytes((Path(tmp) / "out.pdf").read_bytes())


if __name__ == "__main__":
    main()
