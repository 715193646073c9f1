"""File → text. Detects the format (plain text, HTML, hOCR, ALTO, other XML, .docx;
scans — PDF and images — through `ocr`) and the encoding (UTF-8 with or without BOM,
UTF-16, Windows-1258, TCVN3, VNI), and reports what it did, so the archive can record
it per file."""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UnreadableFile, UnsupportedFile
from .legacy import decode_tcvn3, decode_vni, looks_like_tcvn3, looks_like_vni
from .normalize import fold, per_token
from .ocr import SCAN_SUFFIXES, read_scan, scan_format
from .syllables import repair_spacing

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = {".txt", ".md", ".text", ""}
HTML_SUFFIXES = {".html", ".htm", ".hocr", ".xhtml"}
XML_SUFFIXES = {".xml", ".alto"}
DOCX_SUFFIXES = {".docx"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | XML_SUFFIXES | DOCX_SUFFIXES | SCAN_SUFFIXES
MAX_DOCX_XML = 50 * 1024 * 1024
# Vietnamese letters that are common in any real text; used to choose an encoding.
_COMMON_VI = set("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
_COMMON_WORD = re.compile("[\\x00-\\x7f%s]+" % "".join(sorted(_COMMON_VI)))  # ASCII and common letters only


@dataclass(frozen=True)
class ReadResult:
    text: str
    format: str  # txt, html, hocr, alto, xml, docx, pdf, png, jpeg, tiff
    encoding: str  # utf-8, utf-8-sig, utf-16, cp1258, tcvn3, vni, (xml: declared/utf-8); scans: pdf-text, ocr-vie
    warnings: tuple[str, ...] = field(default=())
    pages: tuple[tuple[int, str], ...] = ()  # scans: (page number, text) of each page read
    hocr: tuple[tuple[int, str], ...] = ()  # scans: (page number, Tesseract hOCR) of each OCR'd page


def read_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """Read one file into text. Raises UnsupportedFile for types it does not handle and
    UnreadableFile (naming the file and the reason) for everything it cannot read."""
    return read_bytes(load_bytes(path, max_bytes), Path(path).name, str(path))


def load_bytes(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """A file's bytes, after checking its type is supported and its size is within bounds."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFile(str(path), f"unsupported file type '{suffix}'", f"loại tệp '{suffix}' không được hỗ trợ")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise UnreadableFile(str(path), f"file too large ({size} bytes > {max_bytes})", "tệp quá lớn")
        return path.read_bytes()
    except OSError as err:
        raise UnreadableFile(str(path), f"cannot open: {err.strerror or err}", "không mở được tệp") from err


def read_bytes(data: bytes, name: str, display: str | None = None) -> ReadResult:
    display = display or name
    suffix = Path(name).suffix.lower()
    if not data.strip():
        raise UnreadableFile(display, "empty file", "tệp rỗng")
    if suffix in DOCX_SUFFIXES or data[:4] == b"PK\x03\x04":
        return _repaired(_read_docx(data, display))
    if suffix in SCAN_SUFFIXES or scan_format(data):
        return _read_scan(data, display)
    text, encoding, warnings = decode_text(data, display)
    kind = sniff_markup(text) if suffix not in TEXT_SUFFIXES or text.lstrip().startswith("<") else None
    if kind is None and suffix in HTML_SUFFIXES | XML_SUFFIXES:
        kind = "html" if suffix in HTML_SUFFIXES else "xml"
    from . import markup
    if kind is None:
        return _repaired(ReadResult(markup.markdown_tables(text), "txt", encoding, warnings))
    return _repaired(ReadResult(markup.extract(text, kind, display), kind, encoding, warnings))


def _repaired(result: ReadResult) -> ReadResult:
    """Syllables glued together or scattered by PDF/OCR extraction put back
    (`vụtừngày`, `H u ế`); the archived original keeps the text as it came."""
    text, repairs = repair_spacing(unicodedata.normalize("NFC", result.text))
    warnings = result.warnings + ((f"spacing_repaired:{repairs}",) if repairs else ())
    return ReadResult(text, result.format, result.encoding, warnings)


def _read_scan(data: bytes, display: str) -> ReadResult:
    """Each page repaired on its own (so page texts stay whole), then joined."""
    scan = read_scan(data, display, text_layer=_text_layer)
    pages, repairs = [], 0
    for page in scan.pages:
        text, count = repair_spacing(unicodedata.normalize("NFC", page.text))
        pages.append((page.number, text))
        repairs += count
    warnings = scan.warnings + ((f"spacing_repaired:{repairs}",) if repairs else ())
    return ReadResult("\n\n".join(text for _, text in pages), scan.format, scan.method, warnings,
                      tuple(pages), tuple((p.number, p.hocr) for p in scan.pages if p.hocr))


def _text_layer(text: str) -> str | None:
    """A PDF text layer as Vietnamese: as it is, or decoded from the legacy font
    encoding its fonts used (.VnTime fonts give `Th«ng b¸o`, TCVN3 bytes read as
    Latin-1); None when neither reads as Vietnamese (the page is OCR'd instead)."""
    candidates = [text]
    try:
        raw = text.encode("cp1252")
    except UnicodeEncodeError:
        raw = None
    if raw is not None:
        if looks_like_tcvn3(raw):
            candidates.append(decode_tcvn3(raw))
        if looks_like_vni(raw):
            candidates.append(decode_vni(raw))
    score, best = max(((_vietnamese_score(c), c) for c in candidates), key=lambda pair: pair[0])  # ties: as it is
    return best if score >= 0.6 else None


def sniff_markup(text: str) -> str | None:
    """Recognise hOCR and ALTO by content, whatever the file is called."""
    head = text[:4096].lower()
    if "ocr_page" in head or "ocr_line" in head or "ocrx_word" in head or "ocr-system" in head:
        return "hocr"
    if "<alto" in head or "www.loc.gov/standards/alto" in head:
        return "alto"
    if re.search(r"<html|<!doctype html|<body", head):
        return "html"
    if head.lstrip().startswith("<?xml") or re.match(r"\s*<[a-z_][\w:.-]*[\s>]", head):
        return "xml"
    return None


def decode_text(data: bytes, display: str) -> tuple[str, str, tuple[str, ...]]:
    """Bytes → text, trying the encodings Vietnamese office files use."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode_utf8(data[3:], "utf-8-sig", display)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", ()
        except UnicodeDecodeError as err:
            raise UnreadableFile(display, f"invalid UTF-16: {err.reason}", "UTF-16 không hợp lệ") from err
    if _looks_utf16_without_bom(data):
        codec = "utf-16-le" if data[1::2].count(0) > data[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(codec), "utf-16", ()
        except UnicodeDecodeError:
            pass
    if _is_binary(data):
        raise UnreadableFile(display, "binary content, not text", "nội dung nhị phân, không phải văn bản")
    try:
        text = data.decode("utf-8")
        return text, "utf-8", ()
    except UnicodeDecodeError:
        pass
    return _decode_legacy(data, display)


def _decode_utf8(data: bytes, label: str, display: str) -> tuple[str, str, tuple[str, ...]]:
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    return text, label, ((f"replaced_bytes:{bad}",) if bad else ())


def _looks_utf16_without_bom(data: bytes) -> bool:
    sample = data[:2000]
    if len(sample) < 8:
        return False
    zeros_odd = sample[1::2].count(0)
    zeros_even = sample[0::2].count(0)
    half = len(sample) / 2
    return max(zeros_odd, zeros_even) > 0.4 * half and min(zeros_odd, zeros_even) < 0.05 * half


def _is_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return control > 0.05 * len(sample)


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def _decode_legacy(data: bytes, display: str) -> tuple[str, str, tuple[str, ...]]:
    """Not UTF-8: choose among TCVN3, VNI, Windows-1258 by how Vietnamese the result
    reads; a mostly-UTF-8 file with a few bad bytes stays UTF-8 with a warning."""
    utf8 = data.decode("utf-8", errors="replace")
    bad = utf8.count("\ufffd")
    if bad <= max(3, len(data) // 2000):
        return utf8, "utf-8", (f"replaced_bytes:{bad}",)
    candidates = []
    if looks_like_tcvn3(data):
        candidates.append(("tcvn3", decode_tcvn3(data)))
    if looks_like_vni(data):
        candidates.append(("vni", decode_vni(data)))
    candidates.append(("cp1258", data.decode("cp1258", errors="replace")))
    best = max(candidates, key=lambda c: _vietnamese_score(c[1]))
    text = best[1]
    replaced = text.count("\ufffd")
    return text, best[0], ((f"replaced_bytes:{replaced}",) if replaced else ())


def _vietnamese_score(text: str) -> float:
    """Share of words that look like Vietnamese syllables (letters from the common
    set and nothing stray)."""
    words = _LETTERS.findall(unicodedata.normalize("NFC", text).lower())
    if not words:
        return 0.0
    counts = Counter(words)
    good = sum(n for n, common in zip(counts.values(), per_token(_COMMON_WORDS, list(counts), _is_common_word))
               if common)
    return good / len(words)


_LETTERS = re.compile(r"[^\W\d_]+")
_COMMON_WORDS: dict[str, bool] = {}  # a word → whether it is made of common letters and folds to ASCII


def _is_common_word(word: str) -> bool:
    return bool(_COMMON_WORD.fullmatch(word)) and fold(word).isascii()


def _read_docx(data: bytes, display: str) -> ReadResult:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_DOCX_XML:
                raise UnreadableFile(display, "document.xml too large (zip bomb?)", "tệp .docx quá lớn")
            with archive.open(info) as member:
                xml = member.read(MAX_DOCX_XML + 1)
    except KeyError as err:
        raise UnreadableFile(display, "not a Word document (no word/document.xml)", "không phải tệp Word") from err
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise UnreadableFile(display, f"broken .docx archive: {err}", "tệp .docx bị hỏng") from err
    if len(xml) > MAX_DOCX_XML:
        raise UnreadableFile(display, "document.xml too large (zip bomb?)", "tệp .docx quá lớn")
    from . import markup
    return ReadResult(markup.extract_docx(xml, display), "docx", "utf-8", ())
