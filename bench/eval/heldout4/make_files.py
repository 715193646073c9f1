"""Writes the held-out files that an archive receives in other formats and encodings
from their UTF-8 texts in src/, each as its name says: Windows-1258 (tones as
combining marks), ALTO and hOCR (OCR output, a line per element), .docx (header and
signature rows as tables, `|` between the cells in src/), VNI. The plain text and HTML
files are written as they are, beside this script.

    python bench/eval/heldout4/make_files.py
"""
from __future__ import annotations

import html
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
sys.path.insert(0, str(HERE.parents[1]))  # bench/: its format writers

from formats import cp1258  # noqa: E402

def alto(text: str) -> str:
    lines = []
    for n, line in enumerate(l for l in text.splitlines() if l.strip()):
        words = "<SP/>".join(f'<String CONTENT="{html.escape(w, quote=True)}" HPOS="{100 + 60 * i}" VPOS="{80 + 40 * n}" '
                             f'WIDTH="55" HEIGHT="30"/>' for i, w in enumerate(line.split()))
        lines.append(f'<TextLine ID="l{n}" HPOS="100" VPOS="{80 + 40 * n}" WIDTH="2000" HEIGHT="30">{words}</TextLine>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">'
            '<Description><MeasurementUnit>pixel</MeasurementUnit></Description><Layout><Page ID="p1" WIDTH="2480" '
            'HEIGHT="3508" PHYSICAL_IMG_NR="1"><PrintSpace><TextBlock ID="b1">' + "\n".join(lines) +
            '</TextBlock></PrintSpace></Page></Layout></alto>\n')


def hocr(text: str) -> str:
    lines = []
    for n, line in enumerate(l for l in text.splitlines() if l.strip()):
        words = " ".join(f"<span class='ocrx_word' id='w{n}_{i}' title='bbox {100 + 60 * i} {80 + 40 * n} "
                         f"{150 + 60 * i} {110 + 40 * n}; x_wconf 91'>{html.escape(w)}</span>"
                         for i, w in enumerate(line.split()))
        lines.append(f"<span class='ocr_line' id='line_{n}' title='bbox 100 {80 + 40 * n} 2000 {110 + 40 * n}'>{words}</span>")
    return ("<!DOCTYPE html>\n<html xmlns='http://www.w3.org/1999/xhtml' lang='vi'><head><meta charset='utf-8'/>"
            "<meta name='ocr-system' content='tesseract 5.3.0'/><meta name='ocr-capabilities' content='ocr_page ocr_carea "
            "ocr_par ocr_line ocrx_word'/></head><body><div class='ocr_page' id='page_1' title='bbox 0 0 2480 3508'>"
            "<div class='ocr_carea' id='block_1'><p class='ocr_par' id='par_1'>\n" + "\n".join(lines) +
            "\n</p></div></div></body></html>\n")


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _para(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{html.escape(text)}</w:t></w:r></w:p>'


def _cell(lines: list[str]) -> str:
    return "<w:tc>" + "".join(_para(l) for l in lines) + "</w:tc>"


def docx(text: str, path: Path) -> None:
    """Lines with `|` are table rows of two cells; a run of them that begins with
    `Nơi nhận` is one row (the recipients beside the signature block)."""
    body, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        if "|" not in lines[i]:
            body.append(_para(lines[i]))
            i += 1
            continue
        run = []
        while i < len(lines) and "|" in lines[i]:
            run.append(lines[i].split("|", 1))
            i += 1
        if run[0][0].startswith("Nơi nhận"):
            rows = [([l for l, _ in run], [r for _, r in run])]
        else:
            rows = [([l], [r]) for l, r in run]
        body.append("<w:tbl>" + "".join("<w:tr>" + _cell(l) + _cell(r) + "</w:tr>" for l, r in rows) + "</w:tbl>")
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>' + "".join(body) +
                "</w:body></w:document>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", document)


def main() -> None:
    from indexer.legacy import encode_vni
    src = HERE / "src"
    for path in sorted(src.iterdir()):
        text = path.read_text(encoding="utf-8")
        stem = path.stem
        if stem.endswith("_cp1258"):
            (HERE / path.name).write_bytes(cp1258(text).replace(b"\n", b"\r\n"))
        elif stem.endswith("_alto"):
            (HERE / f"{stem}.xml").write_text(alto(text), encoding="utf-8")
        elif stem.endswith("_hocr"):
            (HERE / f"{stem}.hocr").write_text(hocr(text), encoding="utf-8")
        elif stem.endswith("_docx"):
            docx(text, HERE / f"{stem}.docx")
        elif stem.endswith("_vni"):
            (HERE / path.name).write_bytes(encode_vni(text))


if __name__ == "__main__":
    main()
