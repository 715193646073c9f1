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


FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian fonts-dejavu-core: has every Vietnamese letter


def scan_pages(text: str, dpi: int = 200, font_path: str = FONT) -> list:
    """The notice printed on A4 pages (Pillow images, grey, 12 pt), as a scanner would
    deliver it: lines that OCR layouts split in two columns (3+ spaces) printed as two
    columns, long lines wrapped, a new page when one is full or at a form feed."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = round(8.27 * dpi), round(11.69 * dpi)
    margin, size = round(0.8 * dpi), round(12 / 72 * dpi)
    font = ImageFont.truetype(font_path, size)
    line_height = round(size * 1.5)
    pages, y, draw = [], height, None

    def new_page():
        nonlocal y, draw
        page = Image.new("L", (width, height), 255)
        page.info["dpi"] = (dpi, dpi)
        pages.append(page)
        draw, y = ImageDraw.Draw(page), margin

    def wrapped(line: str, room: int) -> list[str]:
        out, current = [], ""
        for word in line.split():
            candidate = f"{current} {word}".strip()
            if current and draw.textlength(candidate, font=font) > room:
                out.append(current)
                current = word
            else:
                current = candidate
        return out + [current]

    for block in text.split("\f"):
        new_page()
        for line in block.split("\n"):
            columns = [c for c in line.strip().split("   ") if c.strip()] if "   " in line.strip() else [line]
            if len(columns) == 2:
                rows = [(margin, columns[0].strip()), (width // 2, columns[1].strip())]
                lines = [rows]
            else:
                lines = [[(margin, part)] for part in wrapped(line, width - 2 * margin)]
            for row in lines:
                if y + line_height > height - margin:
                    new_page()
                for x, part in row:
                    draw.text((x, y), part, font=font, fill=0)
                y += line_height
    return pages


def png(page) -> bytes:
    out = io.BytesIO()
    page.save(out, "PNG", dpi=page.info.get("dpi", (200, 200)))
    return out.getvalue()


def image_pdf(pages) -> bytes:
    """A PDF of page images and nothing else (no text layer): what a scanner writes."""
    out = io.BytesIO()
    dpi = pages[0].info.get("dpi", (200, 200))[0]
    pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return out.getvalue()


def tiff(pages) -> bytes:
    out = io.BytesIO()
    dpi = pages[0].info.get("dpi", (200, 200))
    pages[0].save(out, "TIFF", dpi=dpi, compression="tiff_deflate", save_all=True, append_images=pages[1:])
    return out.getvalue()
