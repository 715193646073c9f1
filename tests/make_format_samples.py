"""Writes the corpus samples in legacy encodings and scanner formats from the UTF-8
samples (run once; the outputs are committed). `python tests/make_format_samples.py`"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from formats import alto, cp1258, docx, hocr  # noqa: E402
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


if __name__ == "__main__":
    main()
