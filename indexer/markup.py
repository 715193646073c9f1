"""Text out of HTML, hOCR, ALTO, generic XML and Word XML, through lxml with entity
expansion, DTD loading and network access all off. A document that declares
entities in a DTD is refused outright."""
from __future__ import annotations

import re

from lxml import etree, html

from .errors import UnreadableFile

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.S)
_ENTITY_DECL = re.compile(r"<!ENTITY", re.I)
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th",
               "section", "article", "header", "footer", "table", "ul", "ol", "pre", "blockquote"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True)


def _refuse_entities(text: str, display: str) -> None:
    if "<!DOCTYPE" in text[:65536].upper() and _ENTITY_DECL.search(text[:65536]):
        raise UnreadableFile(display, "XML declares entities in a DTD (refused, never expanded)",
                             "XML khai báo thực thể trong DTD (bị từ chối)")


def _parse_xml(text: str | bytes, display: str) -> etree._Element:
    if isinstance(text, str):
        _refuse_entities(text, display)
        data = _DECLARATION.sub("", text, count=1).encode("utf-8")
    else:
        _refuse_entities(text[:65536].decode("utf-8", errors="replace"), display)
        data = text
    try:
        root = etree.fromstring(data, parser=_xml_parser())
    except etree.XMLSyntaxError as err:
        raise UnreadableFile(display, f"malformed XML: {err}", "XML không hợp lệ") from err
    if root is None:
        raise UnreadableFile(display, "malformed XML: no root element", "XML không hợp lệ")
    return root


def _parse_html(text: str, display: str) -> etree._Element:
    _refuse_entities(text, display)
    parser = html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, encoding="utf-8")
    try:
        root = html.document_fromstring(_DECLARATION.sub("", text, count=1).encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError) as err:
        raise UnreadableFile(display, f"malformed HTML: {err}", "HTML không hợp lệ") from err
    for bad in root.xpath("//script|//style|//head"):
        bad.drop_tree()
    return root


def _local(tag) -> str:
    """An element's tag without its namespace, in lower case ("" for comments and
    processing instructions); remembered per tag, as a document repeats a few tags
    thousands of times (an ALTO page: a tag per word)."""
    if not isinstance(tag, str):
        return ""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = etree.QName(tag).localname.lower()
        if len(_LOCAL_NAMES) < 4096:  # a document with endless made-up tags is not remembered
            _LOCAL_NAMES[tag] = name
    return name


_LOCAL_NAMES: dict[str, str] = {}


def parse_hocr(text: str, display: str) -> etree._Element:
    """hOCR as Tesseract writes it (XHTML, parsed as XML) or as other engines do (HTML)."""
    return _parse_xml(text, display) if text.lstrip().startswith("<?xml") else _parse_html(text, display)


def extract(text: str, kind: str, display: str) -> str:
    if kind == "hocr":
        return _hocr_text(parse_hocr(text, display))
    if kind == "alto":
        return _alto_text(_parse_xml(text, display))
    if kind == "html":
        return _block_text(_parse_html(text, display))
    return _block_text(_parse_xml(text, display))


def _block_text(root: etree._Element) -> str:
    parts: list[str] = []

    def walk(element: etree._Element) -> None:
        if _local(element.tag) == "table":
            parts.append("\n" + "\n".join(render_table(_html_rows(element))) + "\n")
            return
        block = _local(element.tag) in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block or (len(element) == 0 and element.text and _local(element.tag) not in {"span", "b", "i", "em", "strong", "a", "u"}):
            parts.append("\n")

    walk(root)
    return re.sub(r"\n{2,}", "\n", _tidy("".join(parts)))


COLUMN_GAP = "   "  # what the parser reads as a column break (as OCR leaves between columns)
_ITEM_TABLE_NUMBER = re.compile(r"^\s*(\d{1,3})\s*[.)]?\s*$")
_MD_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_BR = re.compile(r"<br\s*/?>", re.I)
_RULE_PIECE = re.compile(r"^\s*[-–—_=]{3,}\s*$")  # the rule under a header's name, inside its cell


def render_table(rows: list[list[list[str]]]) -> list[str]:
    """Text lines for a table (rows of cells, each cell its lines).

    A table of numbered conclusions (`TT | Nội dung | Đơn vị thực hiện | Thời hạn`)
    becomes one numbered line per row, the other cells after their column's heading:
    `1. <content>. Đơn vị thực hiện: <unit>. Thời hạn: <date>.` Any other table (a
    two-column header, `Nơi nhận` beside the signature) keeps its columns side by
    side: line k of each cell on one line, separated by a column gap."""
    rows = [r for r in rows if any(line.strip() for cell in r for line in cell)]
    if not rows:
        return []
    heading = [" ".join(cell).strip() for cell in rows[0]]
    numbered = [r for r in rows[1:] if r and _ITEM_TABLE_NUMBER.match(" ".join(r[0]))]
    if len(heading) >= 2 and numbered and len(numbered) >= len(rows) - 2 and not _ITEM_TABLE_NUMBER.match(heading[0]):
        return [_item_row(r, heading) for r in rows[1:] if r in numbered]
    lines = []
    for row in rows:
        for k in range(max(len(cell) for cell in row)):
            parts = [cell[k].strip() if k < len(cell) else "" for cell in row]
            if any(parts):
                lines.append(COLUMN_GAP.join(p if p else "" for p in parts).strip())
    return lines


def _item_row(row: list[list[str]], heading: list[str]) -> str:
    number = " ".join(row[0]).strip().rstrip(".)")
    content = " ".join(" ".join(row[1]).split()).rstrip(" .;") if len(row) > 1 else ""
    extra = []
    for title, cell in zip(heading[2:], row[2:]):
        value = " ".join(" ".join(cell).split()).rstrip(" .;")
        if value:
            extra.append(f"{title}: {value}" if title else value)
    return f"{number}. " + ". ".join([content, *extra]) + "."


def _html_rows(table: etree._Element) -> list[list[list[str]]]:
    rows = []
    for tr in table.iter():
        if _local(tr.tag) != "tr":
            continue
        cells = []
        for cell in tr:
            if _local(cell.tag) in {"td", "th"}:
                text = _block_text(cell) if len(cell) else (cell.text or "")
                cells.append([line for line in text.split("\n") if line.strip()] or [""])
        rows.append(cells)
    return rows


def markdown_tables(text: str) -> str:
    """Markdown table rows (`| a<br>b | c |`, as converters write .doc and PDF
    tables) as the lines `render_table` gives; the `|---|` rules dropped."""
    if "|" not in text:
        return text
    out, table = [], []

    def flush():
        if table:
            out.extend(render_table(table))
            table.clear()
    for line in text.split("\n"):
        if _MD_RULE.match(line) and (table or (out and "|" in out[-1])):
            continue
        row = _MD_ROW.match(line)
        if row:
            table.append([[part.strip() for part in _BR.split(cell) if not _RULE_PIECE.match(part)]
                          for cell in row.group(1).split("|")])
            continue
        flush()
        out.append(line)
    flush()
    return "\n".join(out)


def _hocr_text(root: etree._Element) -> str:
    lines = []
    for element in root.iter():
        classes = (element.get("class") or "").split()
        if "ocr_par" in classes or "ocr_carea" in classes:
            lines.append("")
        if {"ocr_line", "ocrx_line", "ocr_header", "ocr_textfloat", "ocr_caption"} & set(classes):
            words = [w for w in element.iter() if "ocrx_word" in (w.get("class") or "")]
            lines.append(_hocr_line(words, BBOX.search(element.get("title") or ""))
                         if words else " ".join("".join(element.itertext()).split()))
    return _tidy("\n".join(lines))


BBOX = re.compile(r"bbox (-?\d+) (-?\d+) (-?\d+) (-?\d+)")  # an hOCR element's box, in its title


def _hocr_line(words: list, line_box) -> str:
    """The words of a line; where two words are further apart than three line heights
    (a two-column header read as one line) a wide gap, which the parser reads as
    a column break, as it does in OCR'd plain text."""
    height = (int(line_box.group(4)) - int(line_box.group(2))) if line_box else 0
    parts, previous_right = [], None
    for word in words:
        text = "".join(word.itertext()).strip()
        if not text:
            continue
        box = BBOX.search(word.get("title") or "")
        if box:
            left, top, right, bottom = (int(v) for v in box.groups())
            gap = 3 * max(height, bottom - top, 1)
            if parts and previous_right is not None and left - previous_right > gap:
                parts.append("   ")
            previous_right = right
        parts.append(text)
    return " ".join(parts)


def _alto_text(root: etree._Element) -> str:
    lines: list[str] = []
    for block in root.iter():
        name = _local(block.tag)
        if name == "textblock":
            lines.append("")
        elif name == "textline":
            words = []
            hyphen = False
            for child in block:
                child_name = _local(child.tag)
                if child_name == "string":
                    words.append(child.get("CONTENT") or child.get("content") or "")
                elif child_name == "hyp":
                    hyphen = True
            line = " ".join(w for w in words if w)
            if lines and lines[-1].endswith("\u00ad"):
                lines[-1] = lines[-1][:-1] + line.split(" ", 1)[0]
                line = line.split(" ", 1)[1] if " " in line else ""
            lines.append(line + ("\u00ad" if hyphen else ""))
    return _tidy("\n".join(l.rstrip("\u00ad") for l in lines))


def extract_docx(xml: bytes, display: str) -> str:
    root = _parse_xml(xml, display)
    paragraphs = []
    for para in root.iter(f"{W}p"):
        pieces = []
        for node in para.iter(f"{W}t", f"{W}tab", f"{W}br"):
            if node.tag == f"{W}t":
                pieces.append(node.text or "")
            elif node.tag == f"{W}tab":
                pieces.append("\t")
            else:
                pieces.append("\n")
        paragraphs.append("".join(pieces))
    return _tidy("\n".join(paragraphs))


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
