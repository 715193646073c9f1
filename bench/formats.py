"""Writers for the scanner and office formats and legacy encodings the reader accepts:
used to make corpus samples (tests/make_format_samples.py) and generated archives
(bench/generate.py)."""
import html
import io
import unicodedata
import zipfile


def hocr(text: str) -> str:
    lines = []
    for n, line in enumerate(text.split("\n")):
        words = "".join(f"<span class='ocrx_word' id='w{n}_{i}'>{html.escape(w)}</span> "
                        for i, w in enumerate(line.split()))
        lines.append(f"<span class='ocr_line' id='l{n}'>{words}</span>")
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE html>\n<html xmlns='http://www.w3.org/1999/xhtml'>"
            "<head><meta name='ocr-system' content='tesseract 5.3.0'/></head><body>"
            "<div class='ocr_page'><p class='ocr_par'>" + "\n".join(lines) + "</p></div></body></html>\n")


def alto(text: str) -> str:
    lines = []
    for n, line in enumerate(text.split("\n")):
        words = line.split()
        inner = "<SP/>".join(f'<String CONTENT="{html.escape(w, quote=True)}"/>' for w in words)
        lines.append(f'<TextLine ID="l{n}">{inner}</TextLine>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">'
            '<Layout><Page><PrintSpace><TextBlock ID="b1">' + "\n".join(lines) +
            "</TextBlock></PrintSpace></Page></Layout></alto>\n")


def docx(text: str) -> bytes:
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    paras = "".join(f'<w:p><w:r><w:t xml:space="preserve">{html.escape(l)}</w:t></w:r></w:p>' for l in text.split("\n"))
    document = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{ns}"><w:body>{paras}</w:body></w:document>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", document)
    return buffer.getvalue()


TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    # cp1258 stores tones as combining marks after the base letter: encode the NFD form.
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            marks = unicodedata.normalize("NFD", ch)
            tone = "".join(m for m in marks if m in TONES)
            shaped = unicodedata.normalize("NFC", "".join(m for m in marks if m not in TONES))
            out += (shaped + tone).encode("cp1258")
    return bytes(out)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)
