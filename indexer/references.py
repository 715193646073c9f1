"""References to other documents: `Thông báo số 318-TB/HU ngày 14/6/2022 của Thường
trực Huyện ủy`, `Chỉ thị 05/CT-TTg`, `các Kết luận số 12-KL/HU, 15-KL/HU`.

Part of the parse step: text in, `Reference`s out. The text is matched folded (no
diacritics, lower case), so OCR's lost or wrong tone marks (`sô`, `ngảy`, `cùa`) and
capitals do not hide a reference; what is kept is cut from the text as written.

A document number's key (`number_key`) makes the ways one number is typed alike:
`318-TB/HU`, `318/TB-HU` and `318 - TB/HU` are 318-tb-hu; `TƯ` is TW; `05` is 5."""
from __future__ import annotations

import re
from functools import lru_cache

from .dates import make_date
from .model import Notice, Reference, replaced
from .normalize import fold, fold_with_offsets, normalize_line

# The words that name a cited document (folded) → its type as written in data.
DOC_TYPES = {
    "thong bao ket luan": "thông báo", "thong bao": "thông báo", "ket luan": "kết luận",
    "chi thi": "chỉ thị", "nghi quyet": "nghị quyết", "quyet dinh": "quyết định",
    "ke hoach": "kế hoạch", "cong van": "công văn", "van ban": "văn bản", "huong dan": "hướng dẫn",
    "nghi dinh": "nghị định", "thong tu": "thông tư", "bao cao": "báo cáo", "quy dinh": "quy định",
    "quy che": "quy chế", "chuong trinh hanh dong": "chương trình", "chuong trinh": "chương trình",
    "to trinh": "tờ trình", "de an": "đề án", "luat": "luật", "phap lenh": "pháp lệnh",
    "thong tri": "thông tri", "cong dien": "công điện", "bien ban": "biên bản",
}
_TYPE = "|".join(sorted(DOC_TYPES, key=len, reverse=True)).replace(" ", r"\s+")
# 318-TB/HU, 45/TB-UBND, 30/2020/NĐ-CP, 08-QĐi/TW, 1052 - TB/TU, 31/2024/QH15:
# digits, then a code of letters (never a date: 30/9/2022 has no letters).
_NUMBER = r"\d{1,5}(?:\s?[-/]\s?(?:19|20)\d\d)?\s?[-/]\s?[a-z]{1,7}\d{0,2}(?:\s?[-/]\s?[a-z][a-z0-9]{0,9}){0,3}"
_REFERENCE = re.compile(rf"(?<![\w/])(?P<type>{_TYPE})\s+(?:so\s*[:.]?\s*)?(?P<number>{_NUMBER})(?![\w/])")
_MORE_NUMBERS = re.compile(rf"\s*(?:,|;|\bva\b)\s*(?:so\s*)?(?P<number>{_NUMBER})(?![\w/])")
_DATE = re.compile(r"\s*[,(]?\s*ngay\s+(\d{1,2})\s*(?:[/.-]\s*(\d{1,2})\s*[/.-]|\s+thang\s+(\d{1,2})\s+nam)\s*(\d{4})\)?")
_OF = re.compile(r"\s*,?\s*cua\s+")
# Where an issuer named after `của` ends: a clause mark, `về`, a verb, or the next
# cited document.
_ISSUER_END = re.compile(
    rf"\s*[,;.:()\[\]\n]|\s+(?:ve|trien khai|phe duyet|ban hanh|quy dinh chi tiet|quy dinh ve|huong dan thuc hien|"
    rf"thuc hien|yeu cau|theo|nham|gui|ngay|va (?:{_TYPE})|(?:{_TYPE})\s+so)\b")
# (Folded words that are also parts of names are not ends: đã/Đà, đang/Đảng, giao/Giáo,
# tại/Tài, cho/Chợ, sau/sáu.)
MAX_ISSUER_WORDS = 14


@lru_cache(maxsize=65536)
def number_key(number: str) -> str:
    """One key for the ways a document number is written: its parts, lower case and
    without diacritics, joined by `-`; `TƯ` (Trung ương) is TW, not TU (Tỉnh ủy's
    code); leading zeros go (`05/CT-TTg` = `5/CT-TTg`)."""
    parts = number_parts(number)
    return "-".join(p.lstrip("0") or "0" if p.isdigit() else p for p in parts)


def number_parts(number: str) -> list[str]:
    """`447/TB-VPCP` → 447, tb, vpcp."""
    number = re.sub(r"T[ƯỨ](?!\w)", "TW", normalize_line(number).upper().replace("Tư", "TW"))
    return [p for p in re.split(r"[\W_]+", fold(number)) if p]


def find_references(text: str, own_number: str = "") -> tuple[Reference, ...]:
    """Every numbered document `text` cites, once each (a number repeated later adds
    what the first mention lacked: its date or issuer), in order of first mention.
    The notice's own number is not a reference."""
    folded, offsets = fold_with_offsets(text)
    own = number_key(own_number) if own_number else ""
    found: dict[str, Reference] = {}
    for m in _REFERENCE.finditer(folded):
        doc_type = DOC_TYPES[" ".join(m.group("type").split())]
        mentions = [(m.start(), m.start("number"), m.end("number"))]
        code = _type_code(m.group("number"))
        end = m.end()
        while (more := _MORE_NUMBERS.match(folded, end)) and _type_code(more.group("number")) == code:
            mentions.append((more.start("number"), more.start("number"), more.end("number")))
            end = more.end()
        for i, (start, number_start, number_end) in enumerate(mentions):
            last = i == len(mentions) - 1  # in a list, the date and issuer follow the last number
            tail = end if last else number_end
            date, issuer, span_end = _date_and_issuer(text, folded, offsets, tail) if last else (None, "", tail)
            if i == 0 and len(mentions) > 1:
                span_end = number_end
            number = " ".join(text[offsets[number_start]:offsets[number_end - 1] + 1].split())
            key = number_key(number)
            if not key or key == own:
                continue
            span = " ".join(text[offsets[start]:offsets[span_end - 1] + 1].split())
            _add(found, key, Reference(doc_type, number, date, issuer, span))
    return tuple(found.values())


def _type_code(number: str) -> str:
    letters = [p for p in re.split(r"[\W_]+", number) if p and not p.isdigit()]
    return letters[0] if letters else ""


def _date_and_issuer(text: str, folded: str, offsets: list[int], at: int):
    """The cited document's date and issuer after its number (either order), and
    where they end."""
    date, issuer = None, ""
    for _ in range(2):
        if date is None and (d := _DATE.match(folded, at)):
            day, month = int(d.group(1)), int(d.group(2) or d.group(3))
            date = make_date(int(d.group(4)), month, day)
            at = d.end()
        elif not issuer and (o := _OF.match(folded, at)):
            stop = _ISSUER_END.search(folded, o.end())
            end = stop.start() if stop else len(folded)
            words = text[offsets[o.end()]:offsets[end - 1] + 1].split() if end > o.end() else []
            if not words or len(words) > MAX_ISSUER_WORDS:
                break
            issuer = " ".join(words)
            at = end
        else:
            break
    return date, issuer, at


def _add(found: dict[str, Reference], key: str, ref: Reference) -> None:
    first = found.get(key)
    if first is None:
        found[key] = ref
    elif (not first.date and ref.date) or (not first.issuer and ref.issuer):
        found[key] = Reference(first.doc_type, first.number, first.date or ref.date, first.issuer or ref.issuer,
                               first.text)


def with_references(notice: Notice) -> Notice:
    """The notice with the documents its text cites."""
    return replaced(notice, references=find_references(notice.body, notice.number))
