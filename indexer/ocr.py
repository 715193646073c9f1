"""Scans → text, page by page. PDFs: the text layer of each page (pypdf); a page
without one is rendered (poppler's `pdftoppm`) and OCR'd. Images (PNG, JPEG, TIFF
with every frame a page): OCR'd. OCR is Tesseract with its Vietnamese model, called
as a program; its hOCR is kept so the archive can show where a hit is on the page.

Without Tesseract a scan that needs OCR raises `NeedsOcr` (the file is skipped and
reported, the run goes on, and a later run picks it up). A page slower than the
timeout ($KETLUAN_OCR_TIMEOUT seconds) is skipped with a warning."""
from __future__ import annotations

import functools
import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Callable

from .errors import UnreadableFile, UnsupportedFile
from .model import Notice, replaced
from .normalize import squeeze

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
PDF_SUFFIXES = {".pdf"}
SCAN_SUFFIXES = IMAGE_SUFFIXES | PDF_SUFFIXES
DEFAULT_PAGE_TIMEOUT = 180.0
MAX_PAGES = 500
MAX_PIXELS = 120_000_000  # a 600 dpi A3 page is ~70 Mpx; beyond that, a decompression bomb
RENDER_DPI = 300
MIN_TEXT_LAYER_LETTERS = 40  # fewer letters than this on a PDF page: it is a scan, OCR it
INSTALL_HINT = "needs OCR: install tesseract-ocr-vie"


class NeedsOcr(UnsupportedFile):
    """A scan that needs Tesseract (or poppler) which this machine does not have."""

    def __init__(self, path: str, missing: str = "tesseract-ocr-vie"):
        super().__init__(path, f"needs OCR: install {missing}", f"cần OCR: hãy cài {missing}")


@dataclass(frozen=True)
class Page:
    number: int  # from 1
    text: str
    hocr: str = ""  # Tesseract's hOCR when the page was OCR'd, else ""


@dataclass(frozen=True)
class Scan:
    pages: tuple[Page, ...]
    format: str  # pdf, png, jpeg, tiff
    method: str  # pdf-text, ocr-vie, pdf-text+ocr-vie
    warnings: tuple[str, ...] = ()


def scan_format(data: bytes) -> str | None:
    """PDF and image files by their first bytes, whatever they are called."""
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


def page_timeout() -> float:
    try:
        return float(os.environ.get("KETLUAN_OCR_TIMEOUT") or DEFAULT_PAGE_TIMEOUT)
    except ValueError:
        return DEFAULT_PAGE_TIMEOUT


@functools.lru_cache(maxsize=1)
def tesseract_ready() -> bool:
    """Tesseract is installed and has the Vietnamese model."""
    if not shutil.which("tesseract"):
        return False
    try:
        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return "vie" in listed.stdout.split()


def read_scan(data: bytes, display: str, timeout: float | None = None,
              text_layer: Callable[[str], str | None] | None = None) -> Scan:
    """`text_layer(text)`: the text of a PDF page's text layer made readable (legacy
    font encodings decoded), or None when it is not Vietnamese text (OCR the page)."""
    kind = scan_format(data)
    timeout = page_timeout() if timeout is None else timeout
    if kind == "pdf":
        return _read_pdf(data, display, timeout, text_layer or (lambda text: text))
    if kind is None:
        raise UnreadableFile(display, "not a PDF or an image (PNG, JPEG, TIFF) despite its name",
                             "không phải tệp PDF hay ảnh")
    warnings: list[str] = []
    pages = []
    for number, png in enumerate(_image_frames(data, display), 1):
        page = _ocr_page(png, display, number, timeout, warnings)
        if page:
            pages.append(page)
    return _finished(Scan(tuple(pages), kind, "ocr-vie", tuple(warnings)), display)


def _finished(scan: Scan, display: str) -> Scan:
    if not any(p.text.strip() for p in scan.pages):
        timed_out = [w for w in scan.warnings if w.startswith("ocr_timeout")]
        reason = "OCR timed out on every page" if timed_out else "no text found on any page"
        raise UnreadableFile(display, reason, "không nhận được chữ nào trên các trang")
    return scan


def _image_frames(data: bytes, display: str):
    """Each frame of an image as a grey PNG with its resolution (300 dpi if unknown)."""
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                if index >= MAX_PAGES:
                    break
                dpi = frame.info.get("dpi") or (RENDER_DPI, RENDER_DPI)
                upright = ImageOps.exif_transpose(frame) if index == 0 else frame  # phone photos
                out = io.BytesIO()
                upright.convert("L").save(out, "PNG", dpi=tuple(int(max(v, 70)) for v in dpi))
                yield out.getvalue()
    except Image.DecompressionBombError as err:
        raise UnreadableFile(display, f"image too large to OCR ({err})", "ảnh quá lớn") from err
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise UnreadableFile(display, f"broken image: {err}", "ảnh bị hỏng") from err


def _ocr_page(png: bytes, display: str, number: int, timeout: float, warnings: list[str]) -> Page | None:
    """One page through Tesseract; None (with a warning) when it takes too long."""
    if not tesseract_ready():
        raise NeedsOcr(display)
    from .markup import extract

    with tempfile.TemporaryDirectory(prefix="ketluan-ocr-") as tmp:
        source = os.path.join(tmp, "page.png")
        with open(source, "wb") as f:
            f.write(png)
        # One thread per Tesseract: the worker pool already keeps every core busy.
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        try:
            done = subprocess.run(["tesseract", source, os.path.join(tmp, "page"), "-l", "vie", "hocr"],
                                  capture_output=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            warnings.append(f"ocr_timeout:page {number}")
            return None
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise UnreadableFile(display, f"OCR failed on page {number}: {message[0]}", "OCR thất bại")
        with open(os.path.join(tmp, "page.hocr"), encoding="utf-8") as f:
            hocr = f.read()
    return Page(number, extract(hocr, "hocr", display), hocr)


def _read_pdf(data: bytes, display: str, timeout: float, text_layer: Callable[[str], str | None]) -> Scan:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile(display, "encrypted PDF (needs a password)", "PDF được mã hóa")
        count = len(reader.pages)
    except UnreadableFile:
        raise
    except Exception as err:  # noqa: BLE001 - pypdf raises many types for broken files
        raise UnreadableFile(display, f"malformed PDF: {err}", "PDF bị hỏng") from err
    warnings: list[str] = []
    if count > MAX_PAGES:
        warnings.append(f"pages_truncated:{count}>{MAX_PAGES}")
    pages, methods = [], set()
    for number in range(1, min(count, MAX_PAGES) + 1):
        text = _page_text(reader, number, warnings)
        if _letters(text) >= MIN_TEXT_LAYER_LETTERS:
            readable = text_layer(text)
            if readable is not None:
                pages.append(Page(number, readable))
                methods.add("pdf-text")
                continue
            warnings.append(f"pdf_text_layer_unreadable:page {number}")
        page = _ocr_page(_render_pdf_page(data, number, display, timeout), display, number, timeout, warnings)
        methods.add("ocr-vie")
        if page:
            pages.append(page)
    method = "+".join(m for m in ("pdf-text", "ocr-vie") if m in methods)
    return _finished(Scan(tuple(pages), "pdf", method, tuple(warnings)), display)


def _page_text(reader, number: int, warnings: list[str]) -> str:
    try:
        return reader.pages[number - 1].extract_text() or ""
    except Exception:  # noqa: BLE001 - a broken text layer: OCR the page instead
        warnings.append(f"pdf_text_unreadable:page {number}")
        return ""


def _letters(text: str) -> int:
    return sum(1 for c in text if c.isalpha())


def _render_pdf_page(data: bytes, number: int, display: str, timeout: float, dpi: int = RENDER_DPI) -> bytes:
    if not tesseract_ready():
        raise NeedsOcr(display)
    if not shutil.which("pdftoppm"):
        raise NeedsOcr(display, "poppler-utils")
    return render_pdf_page(data, number, dpi, timeout, display)


def render_pdf_page(data: bytes, number: int, dpi: int, timeout: float = 60.0, display: str = "PDF") -> bytes:
    """One PDF page as a grey PNG (poppler's pdftoppm)."""
    with tempfile.TemporaryDirectory(prefix="ketluan-pdf-") as tmp:
        source = os.path.join(tmp, "in.pdf")
        with open(source, "wb") as f:
            f.write(data)
        try:
            done = subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(number), "-l", str(number), "-gray",
                                   "-png", "-singlefile", source, os.path.join(tmp, "page")],
                                  capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as err:
            raise UnreadableFile(display, f"rendering page {number} timed out", "quá thời gian dựng trang") from err
        path = os.path.join(tmp, "page.png")
        if done.returncode != 0 or not os.path.exists(path):
            raise UnreadableFile(display, f"cannot render page {number} of the PDF", "không dựng được trang PDF")
        with open(path, "rb") as f:
            return f.read()


def render_page(data: bytes, number: int, width: int = 1200,
                boxes: list[tuple[float, float, float, float]] = ()) -> bytes:
    """Page `number` of an archived scan as a PNG about `width` pixels wide, for
    display; `boxes` (fractions of the page: left, top, right, bottom) are marked."""
    from PIL import Image, ImageSequence

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    if scan_format(data) == "pdf":
        data = render_pdf_page(data, number, dpi=110)
        number = 1
    with Image.open(io.BytesIO(data)) as image:
        for index, frame in enumerate(ImageSequence.Iterator(image), 1):
            if index == number:
                return _png(_marked(frame.convert("RGB"), width, boxes))
    raise UnreadableFile("scan", f"no page {number}", f"không có trang {number}")


def _marked(page, width: int, boxes):
    """Scaled to `width`, with a highlighter's yellow under each box (multiplied, so
    the print stays black)."""
    from PIL import ImageChops, ImageDraw

    if page.width > width:
        page = page.resize((width, round(page.height * width / page.width)))
    if not boxes:
        return page
    marker = page.copy()
    marker.paste((255, 255, 255), (0, 0, page.width, page.height))
    draw = ImageDraw.Draw(marker)
    for left, top, right, bottom in boxes:
        draw.rectangle((left * page.width - 4, top * page.height - 3, right * page.width + 4,
                        bottom * page.height + 3), fill=(255, 226, 120))
    return ImageChops.multiply(page, marker)


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


_LABEL = re.compile(r"^\s*(?:[0-9]{1,3}|[IVXivx]{1,5}|[a-zđ])[.)]\s+|^\s*[-–•+]\s+")


def hocr_lines(hocr: str) -> tuple[tuple[int, int], list[tuple[tuple[int, int, int, int], str]]]:
    """(page width, height) and each line's box and text, from Tesseract's hOCR."""
    from .markup import BBOX, parse_hocr

    size, lines = (1, 1), []
    for element in parse_hocr(hocr, "hOCR").iter():
        classes = (element.get("class") or "").split()
        found = BBOX.search(element.get("title") or "")
        if not found:
            continue
        box = tuple(int(v) for v in found.groups())
        if "ocr_page" in classes:
            size = (max(box[2], 1), max(box[3], 1))
        elif {"ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"} & set(classes):
            lines.append((box, " ".join("".join(element.itertext()).split())))
    return size, lines


def item_boxes(hocr: str, text: str) -> list[tuple[float, float, float, float]]:
    """The lines of an OCR'd page that belong to `text` (an item), as page fractions."""
    (width, height), lines = hocr_lines(hocr)
    wanted = squeeze(text)
    boxes = []
    for (x0, y0, x1, y1), line in lines:
        probe = squeeze(_LABEL.sub("", line))
        if len(probe) >= 6 and probe in wanted:
            boxes.append((x0 / width, y0 / height, x1 / width, y1 / height))
    return boxes


# ---- which page each notice and item is on ----

def locate_pages(notices: tuple[Notice, ...], page_texts: list[tuple[int, str]]) -> tuple[Notice, ...]:
    """Each notice and item with the page it starts on (`page`), found by looking for
    the start of its text in the pages' text, in order."""
    if not page_texts:
        return notices
    squeezed = [(number, squeeze(text)) for number, text in page_texts]
    starts, joined = [], ""
    for number, text in squeezed:
        starts.append((len(joined), number))
        joined += text
    cursor = 0

    def page_at(text: str) -> int | None:
        nonlocal cursor
        probe = squeeze(text)[:40]
        if len(probe) < 6:
            return None
        found = joined.find(probe, cursor)
        if found < 0:
            return None
        cursor = found
        return max(number for offset, number in starts if offset <= found)

    located = []
    for notice in notices:
        notice_page = page_at(notice.title or notice.body)
        items = tuple(replaced(item, page=page_at(item.text)) for item in notice.items)
        first = notice_page or next((i.page for i in items if i.page), None) or squeezed[0][0]
        located.append(replaced(notice, page=first, items=items))
    return tuple(located)
