"""Text → notices. `parse(text)` splits a file's text into notices and reads each
one's header, title, opening paragraph, numbered conclusions and signature block.

It never drops text: `Notice.body` holds the whole (normalised) text of the notice,
whatever the parser could or could not place in fields."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import dates
from .bodies import LEVEL_FIRST_WORDS, body_level, canonical_addressee, canonical_body, expand_abbreviations, place_name
from .model import Deadline, Item, Notice, Person, Signer, replaced
from .facet_rules import names_a_body
from .normalize import fold, fold_lines, normalize
from .references import with_references

DOC_TYPES = {
    "thong bao": "thông báo", "ket luan": "kết luận", "nghi quyet": "nghị quyết",
    "chi thi": "chỉ thị", "ke hoach": "kế hoạch", "quyet dinh": "quyết định",
    "bao cao": "báo cáo", "huong dan": "hướng dẫn", "cong van": "công văn",
    "bien ban": "biên bản", "chuong trinh": "chương trình", "to trinh": "tờ trình",
}
TYPE_CODES = {
    "tb": "thông báo", "kl": "kết luận", "nq": "nghị quyết", "ct": "chỉ thị", "kh": "kế hoạch",
    "qd": "quyết định", "bc": "báo cáo", "hd": "hướng dẫn", "cv": "công văn", "ctr": "chương trình",
}
_TITLE_LINE = re.compile(r"^(" + "|".join(DOC_TYPES) + r")\b\s*(.*)$")
_HEADER_START = re.compile(
    r"^(dang bo|dang cong san viet nam|cong hoa xa hoi chu nghia|uy ban nhan dan|ubnd|tinh uy|"
    r"thanh uy|huyen uy|thi uy|quan uy|dang uy|ban can su|hoi dong nhan dan|van phong|"
    r"ban chap hanh|ban thuong vu|chinh phu|bo chinh tri|ban bi thu)\b")
_MOTTO = re.compile(r"^(dang cong san viet nam|cong hoa xa hoi chu nghia viet nam|"
                    r"doc lap\s*-\s*tu do\s*-\s*hanh phuc)")
_MOTTO_WORDS = ("cong hoa xa hoi chu nghia viet nam".split(), "doc lap tu do hanh phuc".split(),
                "dang cong san viet nam".split())
# every run of a motto's consecutive words (`_is_motto_part` looks a line's words up)
_MOTTO_RUNS = frozenset(tuple(words[i:j]) for words in _MOTTO_WORDS
                        for i in range(len(words)) for j in range(i + 1, len(words) + 1))
# A digital signature's stamp, as PDF text carries it after the header or at the end:
# `ĐẢNG UỶ XÃ PHƯỚC HÒA 12-03-2025 09:41:10 +07:00`, `Ký bởi: …`, `Ngày ký: …`.
_STAMP = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{4}\s+\d{1,2}:\d{2}(:\d{2})?(\s*[+-]\d{2}:?\d{2})?\s*$|"
                    r"^(ky boi|nguoi ky|co quan|ngay ky|thoi gian ky|email|chuc vu)\s*:", re.IGNORECASE)
_NUMBER = re.compile(r"\bso\s*[:.]?\s*(\d+\s*[-/]\s*[a-z][a-z0-9]*(?:\s*[-/.]\s*[a-z0-9]+)*)")
_PLACE_DATE = re.compile(r"^([^,]{2,40}),\s*ngay\b")
_SUBJECT_LINE = re.compile(r"^\s*v/v\b")
_LEGAL_BASIS = re.compile(r"^\s*(can cu|xet|theo de nghi)\b")  # what a decision rests on: cited, not met
_SEPARATOR = re.compile(r"^[-–—_=*.\s]{1,}$")

_SECTION = re.compile(r"^([IVX]{1,5})\s*[.)/]\s*(\S.*)$")
_NUMBERED = re.compile(r"^(\d{1,2})\s*[.)](?![\d/])\s*(\S.*)$")
_ARTICLE = re.compile(r"^(Điều\s+(\d{1,2}))\s*[.:]\s*(\S.*)$")  # a resolution's or decision's articles
_SUB_NUMBERED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?\s+(\S.*)$")
_LETTERED = re.compile(r"^([a-zđ])\s*\)\s*(\S.*)$")
_BULLET = re.compile(r"^([-+•–*·])\s*(\S.*)$")
_WORD_ORDINALS = ["mot", "hai", "ba", "bon", "nam", "sau", "bay", "tam", "chin", "muoi"]
_WORD_NUMBERED = re.compile(r"^(" + "|".join(_WORD_ORDINALS) + r")\s+la\s*[,:]\s*(\S.*)$")

_RECIPIENTS = re.compile(r"^noi nhan\s*:?\s*(.*)$")
_SIGN_ON_BEHALF = re.compile(r"^(t/m|tm\.?|k/t|kt\.?|q\.|tl\.|tuq\.|thay mat)\s+(.+)$")
_SIGNED = re.compile(r"^\((da ky|ky|ky ten|ky, ghi ro ho ten|ky ten, dong dau|da ky va dong dau)[^)]*\)$")
_CLOSING = re.compile(r"\bthong bao (de|den|cho)\b|^tren day la\b|^noi nhan\b")

_PRESIDING = re.compile(r"\bdong chi\s+")
_POSITION_STOP = re.compile(
    r"\s+(chu tri|thong nhat|ket luan|thay mat|da |phat bieu|cho biet|nhan manh|yeu cau|"
    r"de nghi|chi dao|ghi nhan|danh gia|bieu duong|tiep thu)\b|[;.:(\"]")
_PERIOD = re.compile(r"\b((?:\d{1,2}|sau|chin) thang (?:dau|cuoi) nam|quy (?:iv|iii|ii|i|[1-4])\b(?:(?:/| nam )\d{4})?|"
                     r"nam \d{4})(\s+\d{4}\b)?")
_MEETING = re.compile(r"\b(hoi nghi (?:lan thu|ban chap hanh|ban thuong vu)|phien hop|cuoc hop|"
                      r"hoi nghi)\b")
_MEETING_STOP = re.compile(r"\s+(sơ kết|tổng kết|để |nhằm|về |bàn |cho ý kiến|thảo luận|xem xét|"
                           r"nghe|đánh giá|triển khai|thông qua|và\b)|[,.;:(]")

_SUBJECT_VERBS = [
    "khẩn trương", "tập trung", "tăng cường", "chủ động", "đẩy mạnh", "đẩy nhanh", "thực hiện",
    "chỉ đạo", "phối hợp", "rà soát", "triển khai", "xây dựng", "có trách nhiệm", "cần", "phải",
    "tiếp tục", "quan tâm", "nghiêm túc", "chịu trách nhiệm", "nâng cao", "hoàn thành", "hoàn thiện",
    "kiểm tra", "khắc phục", "theo dõi", "tổ chức", "chủ trì", "tham mưu", "nghiên cứu", "mở",
    "đôn đốc", "báo cáo", "sớm", "làm tốt", "thường xuyên", "quyết liệt", "hướng dẫn", "giám sát",
    "đề xuất", "lãnh đạo", "bố trí", "phân công", "xem xét", "đảm bảo", "bảo đảm", "quán triệt",
    "cụ thể hóa", "ban hành", "giải quyết", "vận động", "tuyên truyền", "duy trì", "kiên quyết",
    "chuẩn bị", "kịp thời", "tích cực", "nắm", "phát huy", "cân đối", "thẩm định", "lập", "trình",
    "phấn đấu", "hỗ trợ", "bảo vệ", "xử lý", "kiểm soát", "củng cố", "sắp xếp", "tổng hợp",
    "đánh giá", "làm việc", "khảo sát", "điều chỉnh", "cung cấp", "cập nhật", "gương mẫu",
    "tiếp nhận", "thành lập", "mở rộng", "giữ", "định hướng", "rút kinh nghiệm", "chấn chỉnh",
    "đổi mới", "thống nhất", "quản lý", "chăm lo", "lựa chọn", "khẩn", "nghiêm", "có kế hoạch",
    "tham gia", "đồng ý", "ghi nhận", "lắp đặt", "vận hành", "tìm kiếm", "không để", "cung ứng", "trình", "tăng", "gửi",
]
# A leading subject followed by one of these is the meeting deciding, not a body told to act.
_DECIDING_VERBS = ("thống nhất", "đồng ý", "ghi nhận", "kết luận", "cho ý kiến")
# Lower-case list parts that still name bodies: `Mặt trận Tổ quốc và các đoàn thể`.
_PLURAL_BODY = re.compile(r"^(các|những)\s+(đoàn thể|ngành|sở|phòng|ban|cơ quan|đơn vị|chi bộ|đảng bộ|tổ chức|hội|"
                          r"địa phương|xã|phường|huyện|trường)(?!\w)")
_SUBJECT_STARTERS = [
    "các", "mỗi", "ủy ban", "ubnd", "ban", "đảng ủy", "đảng đoàn", "mặt trận", "mttq", "văn phòng",
    "sở", "phòng", "công an", "bộ chỉ huy", "ban chỉ huy", "huyện ủy", "thị ủy", "tỉnh ủy",
    "thành ủy", "quận ủy", "hội", "đoàn", "liên đoàn", "chi bộ", "cấp ủy", "người đứng đầu",
    "đồng chí", "trung tâm", "bệnh viện", "trường", "chính quyền", "hđnd", "hội đồng", "cơ quan",
    "đơn vị", "ngành", "thường trực", "bí thư", "chủ tịch", "lãnh đạo", "tổ", "kho bạc",
    "chi cục", "cục", "bảo hiểm", "thanh tra", "quân sự", "bộ", "tòa án", "viện kiểm sát",
    "hợp tác xã", "chủ đầu tư", "doanh nghiệp", "ngân hàng", "đài", "báo", "chi nhánh",
    "ubmttq", "ubmttqvn", "ubkt", "bql", "bcđ", "công ty", "tổng công ty", "liên minh", "quỹ", "trạm", "đội", "tiểu ban", "tỉnh đoàn", "thành đoàn", "thị đoàn", "huyện đoàn", "quận đoàn",
]
# Verbs are matched case-sensitively on the original text: a capitalised `Tổ chức`
# belongs to a name (`Ban Tổ chức`), and folding would confuse `cần`/`cán`, `nắm`/`Nam`.
_VERB_RE = re.compile(r"\s(" + "|".join(sorted(set(_SUBJECT_VERBS), key=len, reverse=True)) + r")(?!\w)")
_STARTER_RE = re.compile(r"^(" + "|".join(sorted(set(_SUBJECT_STARTERS), key=len, reverse=True)) + r")(?!\w)")
_ASSIGN_RE = re.compile(r"(?:^|[\s,;:(.])(giao cho|giao|đề nghị|yêu cầu|phân công|đơn vị thực hiện:|"
                        r"đơn vị chủ trì:|đơn vị thực hiện|cơ quan thực hiện:)\s+", re.IGNORECASE)
_NOT_A_VERB_AFTER = re.compile(r"(?<!\w)(các|những|mỗi|một|có|của|đầu tư)$")
_WITHIN_YEAR = re.compile(r"(?<!\w)trong (?:cả )?năm (\d{4})(?!\w)", re.IGNORECASE)
_DEADLINE_CUE = re.compile(
    r"\b(truoc ngay|truoc|cham nhat(?: la)?(?: ngay)?|han chot|xong truoc|phan dau den(?: ngay)?|"
    r"hoan thanh(?: ngay)?|trong|trong thoi gian|thoi han\s*:)\s*(?:ngay\s*)?$")


@dataclass
class _Block:
    """An item under construction."""
    number: int | None
    label: str
    section: str
    text: list[str]
    subs: list[list[str]] = field(default_factory=list)

    def add(self, line: str) -> None:
        (self.subs[-1] if self.subs else self.text).append(line)


# hot paths (run for every line or item): compiled once, not looked up in re's cache each call
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_PHRASE_END = re.compile(r"[.;:(]")
_COMMA = re.compile(r",\s*")
_AND = re.compile(r"\s+và\s+")


def _first_cell(line: str) -> str:
    return line.split("\t", 1)[0]


def _is_upper(text: str) -> bool:
    if not text.isupper():  # a lower-case letter, or nothing cased (most lines: quick)
        return False
    letters = list(filter(str.isalpha, text))
    return len(letters) >= 3 and all(map(str.isupper, letters))  # (an uncased letter, e.g. CJK, is not upper)


def _is_header_start(line: str) -> bool:
    cell = _first_cell(line)
    return _is_upper(cell) and bool(_HEADER_START.match(fold(cell))) and not is_stamp(line)


def is_stamp(line: str) -> bool:
    """A digital-signature stamp line: never a header, an issuer or a signature."""
    return bool(_STAMP.search(fold(line.strip())))


def _is_motto_part(folded: str) -> bool:
    """A line of the national motto or the Party's name, whole or broken across lines
    (`CỘNG` / `HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM`)."""
    return tuple(_ASCII_WORD.findall(folded)) in _MOTTO_RUNS


def _title_match(line: str) -> re.Match | None:
    cell = _first_cell(line).strip()
    if not cell[:1].isupper():  # a title's first word is in capitals (most lines: quick)
        return None
    match = _TITLE_LINE.match(fold(cell))
    if match and _is_upper(cell[: match.end(1)]) and (not match.group(2) or _is_upper(cell) or len(cell) < 80) \
            and match.group(2).strip() != ":":  # `QUYẾT ĐỊNH:` before a decision's articles
        return match
    return None


def split_notices(lines: list[str]) -> list[list[str]]:
    """Cut a file's lines into notices: a new header block, or a second title after a
    notice's items, starts a new notice."""
    chunks: list[list[str]] = [[]]
    seen_title = seen_body = False
    for i, line in enumerate(lines):
        starts_header = _is_header_start(line) and not (chunks[-1] and _is_header_start(chunks[-1][-1])) \
            and _heads_a_document(lines, i)
        is_title = _title_match(line) is not None
        if seen_title and seen_body and (starts_header or is_title):
            chunks.append([])
            seen_title = seen_body = False
        if is_title:
            seen_title = True
        elif seen_title and line.strip():
            seen_body = True
        chunks[-1].append(line)
    return [c for c in chunks if any(l.strip() for l in c)]


def _heads_a_document(lines: list[str], start: int) -> bool:
    """A body's name in capitals opens a new document only as part of a header: the
    motto, a `Số` number, a place-date line or a title follows within a few lines
    (`HỘI ĐỒNG NHÂN DÂN XÃ …` / `KHÓA XII, KỲ HỌP THỨ 9` inside a resolution does not)."""
    for line in lines[start:start + 6]:
        for cell in line.split("\t"):
            folded = fold(cell.strip())
            if _MOTTO.match(folded) or _is_motto_part(folded) or _NUMBER.match(folded) \
                    or _PLACE_DATE.match(folded) or _title_match(cell):
                return True
    return False


def parse(text: str) -> list[Notice]:
    """All notices in a file's text, in order."""
    text, ocr_repairs = dates.repair_ocr_digits(normalize(text, keep_columns=True))
    fold_lines(text)
    notices = [with_references(_parse_notice(chunk)) for chunk in split_notices(text.split("\n"))]
    if ocr_repairs:
        notices = [_with_warning(n, "ocr_noise") for n in notices]
    return notices


def _with_warning(notice: Notice, warning: str) -> Notice:
    if warning in notice.warnings:
        return notice
    return replaced(notice, warnings=notice.warnings + (warning,))


def _parse_notice(lines: list[str]) -> Notice:
    title_at = next((i for i, l in enumerate(lines) if _title_match(l)), None)
    header = lines[:title_at] if title_at is not None else _leading_header(lines)
    rest = lines[title_at + 1:] if title_at is not None else lines[len(header):]
    title_lines, rest = _take_title(rest, title_at, lines)
    opening, blocks, tail = _split_body(rest)
    header_cells = [c.strip() for line in header if not is_stamp(line) for c in line.split("\t") if c.strip()]
    title = " ".join(title_lines)

    doc_type = DOC_TYPES.get(_title_match(lines[title_at]).group(1), "") if title_at is not None else ""
    number = _find_number(header_cells)
    if not doc_type and number:
        code = fold(re.split(r"[-/]", number)[1]) if re.search(r"[-/]", number) else ""
        doc_type = TYPE_CODES.get(code, "")
    if not doc_type and any(_SUBJECT_LINE.match(fold(line)) for line in lines[:15]):
        doc_type = "công văn"  # an official letter: no title, its subject after `V/v`
    recipients, signer = _signature(tail)
    issuer = _header_issuer(header_cells) or _title_issuer(title)
    issuer = _signing_committee(issuer, signer) or issuer
    locality, issue_date, date_incomplete = _place_date(header_cells)
    opening_text = " ".join(opening)
    meeting_date = _meeting_date(" ".join(l for l in opening if not _LEGAL_BASIS.match(fold(l)))) \
        or _meeting_date(title)
    lead = _lead_sentence(opening_text) if not header_cells and not doc_type else None
    if lead:  # a news page reproducing a document: its lead sentence names it
        doc_type, number, issuer = lead.doc_type, number or lead.number, issuer or lead.issuer
        issue_date, meeting_date = issue_date or lead.date, None
    if issuer and not names_a_body(canonical_body(issuer)):
        issuer = ""  # a motto line, a number fragment, a place alone: not an issuing body
    issuer_canonical = canonical_body(issuer) if issuer else ""
    default_year = (issue_date.year if issue_date else None)
    year = default_year or (meeting_date.year if meeting_date else None)
    items = tuple(_make_item(b, year) for b in blocks)

    warnings = []
    if not issuer:
        warnings.append("no_issuer")
    if date_incomplete and not issue_date:
        warnings.append("date_incomplete")
    if not header_cells:
        warnings.append("no_header")
    if not (issue_date or meeting_date):
        warnings.append("no_date")
    if not items:
        warnings.append("no_items")
    if not doc_type:
        warnings.append("no_doc_type")
    if _looks_truncated(lines, tail) and not lead:
        warnings.append("truncated")
    if _has_impossible_date("\n".join(lines)):
        warnings.append("invalid_date")

    return Notice(
        doc_type=doc_type,
        number=number,
        issuer=issuer,
        issuer_canonical=issuer_canonical,
        body_level=body_level(issuer_canonical) if issuer else "",
        locality=locality or place_name(issuer_canonical),
        issue_date=issue_date,
        meeting_date=meeting_date,
        period=_period(title) or _period(opening_text),
        meeting=_meeting(opening_text, title),
        presiding=_presiding(opening_text) or _chair_who_signed(signer),
        title=title,
        items=items,
        recipients=recipients,
        signer=signer,
        warnings=tuple(warnings),
        body="\n".join(lines).replace("\t", "   ").strip("\n"),
    )


def _leading_header(lines: list[str]) -> list[str]:
    """Without a title line: the upper-case / `Số` / place-date lines at the top."""
    header = []
    for line in lines:
        folded = fold(line)
        if not line.strip() or _is_upper(_first_cell(line)) or _NUMBER.search(folded) or _PLACE_DATE.match(folded):
            header.append(line)
        else:
            break
    while header and not header[-1].strip():
        header.pop()
    return header


def _take_title(rest: list[str], title_at: int | None, lines: list[str]) -> tuple[list[str], list[str]]:
    """The title: the rest of the title line, then lines up to a blank line or a rule."""
    title: list[str] = []
    if title_at is not None:
        tail = _first_cell(lines[title_at]).strip()
        remainder = tail[_title_match(lines[title_at]).start(2):].strip()
        if remainder:
            title.append(remainder)
    i = 0
    while i < len(rest) and not rest[i].strip():
        i += 1
    if title_at is None:
        return [], rest
    while i < len(rest) and len(title) < 5:
        line = rest[i].strip()
        if not line or _SEPARATOR.match(line):
            break
        if _opens_body(line) and title:
            return title, rest[i:]
        title.append(line.replace("\t", " "))
        i += 1
    return title, rest[i:]


def _opens_body(line: str) -> bool:
    folded = fold(line)
    return bool(re.match(r"^(ngay|sang|chieu|toi|vua qua|thuc hien|can cu|hom nay|trong (hai )?ngay)\b", folded)) \
        or bool(_NUMBERED.match(line))


def _split_body(lines: list[str]) -> tuple[list[str], list[_Block], list[str]]:
    """Opening paragraph(s), conclusion items, and what follows them (closing
    formula, recipients, signature)."""
    opening: list[str] = []
    blocks: list[_Block] = []
    section = ""
    has_numbers = any(_NUMBERED.match(l.strip()) or _WORD_NUMBERED.match(fold(l.strip())) for l in lines)
    for i, raw in enumerate(lines):
        line = raw.replace("\t", " ").strip()
        if not line or _SEPARATOR.match(line) and not _BULLET.match(line):
            continue
        folded = fold(line)
        if _ends_items(line, folded, bool(blocks)):
            return opening, blocks, lines[i:]
        kind, number, label, text = _classify(line, folded, has_numbers)
        last = blocks[-1] if blocks else None
        expected = (last.number or 0) + 1 if last and last.section == section else 1
        if kind == "section":
            section = line
        elif kind == "item" and (number == expected or number is None):
            blocks.append(_Block(number, label, section, [text]))
        elif kind == "item" and number == 1 and last:
            last.subs.append([line])  # a list restarting at 1 inside an item
        elif kind == "sub" and last:
            last.subs.append([line])
        elif kind == "bullet" and not has_numbers and (opening or last):
            blocks.append(_Block(None, label, section, [text]))
        elif kind == "bullet" and last:
            last.subs.append([line])
        elif last:
            last.add(line)
        else:
            opening.append(line)
    return opening, blocks, []


def _classify(line: str, folded: str, has_numbers: bool) -> tuple[str, int | None, str, str]:
    if m := _SECTION.match(line):
        return "section", None, m.group(1), m.group(2)
    if m := _ARTICLE.match(line):
        return "item", int(m.group(2)), m.group(1), m.group(3)
    if m := _SUB_NUMBERED.match(line):
        return "sub", None, "", line
    if m := _NUMBERED.match(line):
        return "item", int(m.group(1)), m.group(1), m.group(2)
    if m := _WORD_NUMBERED.match(folded):
        return "item", _WORD_ORDINALS.index(m.group(1)) + 1, line[: m.start(2)].strip(" ,:"), line[m.start(2):]
    if _LETTERED.match(line):
        return "sub", None, "", line
    if m := _BULLET.match(line):
        return "bullet", None, m.group(1), m.group(2)
    return "text", None, "", line


def _ends_items(line: str, folded: str, have_items: bool) -> bool:
    if _RECIPIENTS.match(folded) or _SIGN_ON_BEHALF.match(folded) and _is_upper(line):
        return True
    return have_items and bool(_CLOSING.search(folded)) and not _NUMBERED.match(line)


def _find_number(cells: list[str]) -> str:
    for cell in cells:
        match = _NUMBER.search(fold(cell))
        if match:
            return re.sub(r"\s+", "", cell[match.start(1):match.end(1)])
    return ""


def _header_issuer(cells: list[str]) -> str:
    """The lowest organisation of the header's left column. A line that starts with a
    level word continues the name above it (`ỦY BAN NHÂN DÂN` / `HUYỆN CỦ CHI`); a unit
    named without a place takes its parent's (`VĂN PHÒNG` under `UBND TỈNH ĐỒNG NAI`)."""
    names: list[str] = []
    for cell in cells:
        folded = fold(cell)
        if not _is_upper(cell) or _MOTTO.match(folded) or _is_motto_part(folded) or _NUMBER.search(folded) \
                or _PLACE_DATE.match(folded) or re.match(r"^nam \d{4}$", folded):
            continue
        name = cell.strip(" *-")
        if names and re.match(r"(tinh|thanh pho|huyen|quan|thi xa|xa|phuong|thi tran)\b(?! uy)", folded):
            names[-1] = f"{names[-1]} {name}"
        else:
            names.append(name)
    if not names:
        return ""
    if len(names) > 1 and _COMMITTEE_ALONE.match(fold(names[-1])):
        place = place_name(canonical_body(names[-2]))  # ĐẢNG BỘ TỈNH LÀO CAI / TỈNH ỦY: Tỉnh ủy Lào Cai
        return f"{names[-1]} {place}" if place else names[-1]
    if len(names) > 1 and not body_level(names[-1]) and not place_name(canonical_body(names[-1])):
        return _unit_of(names[-1], names[-2])
    return names[-1]


# An agency of a People's Committee, named with its place rather than its parent's name.
_AGENCY = re.compile(r"^(so|phong|chi cuc|cuc|trung tam|thanh tra|ban quan ly)\b")


def _unit_of(unit: str, parent: str) -> str:
    """A unit's full name: `VĂN PHÒNG` under `UBND TỈNH ĐỒNG NAI` is the office of that
    body; a unit whose name already ends with its parent's body (`VĂN PHÒNG HĐND VÀ
    UBND` under `UBND HUYỆN ĐẠI LỘC`) takes only the parent's place."""
    own = " " + fold(expand_abbreviations(unit)).lower()
    words = parent.split()
    if _AGENCY.match(own.strip()):  # `SỞ NÔNG NGHIỆP VÀ PTNT` under `UBND TỈNH QUẢNG TRỊ`: of the province
        for k, word in enumerate(words):
            if fold(word).lower() in LEVEL_FIRST_WORDS:
                return f"{unit} {' '.join(words[k:])}"
    for k in range(len(words) - 1, 0, -1):
        if own.endswith(" " + fold(expand_abbreviations(" ".join(words[:k]))).lower()):
            return f"{unit} {' '.join(words[k:])}"
    return f"{unit} {parent}"


# A committee named without its place (`BAN THƯỜNG VỤ TỈNH ỦY` under `ĐẢNG BỘ TỈNH NINH THUẬN`).
_COMMITTEE_ALONE = re.compile(r"^((ban thuong vu|thuong truc|ban chap hanh)\s+)?(tinh uy|thanh uy|thi uy|huyen uy|"
                              r"quan uy|dang uy)$")
# The committee that signs for a Đảng bộ (`T/M TỈNH ỦY` under `ĐẢNG BỘ TỈNH HÀ TĨNH`).
_COMMITTEE_OF_LEVEL = {"tinh": "Tỉnh ủy", "thanh pho": "Thành ủy", "thi xa": "Thị ủy", "huyen": "Huyện ủy",
                       "quan": "Quận ủy"}


def _signing_committee(issuer: str, signer: Signer | None) -> str:
    """`Đảng bộ tỉnh Hà Tĩnh` whose notice is signed `T/M TỈNH ỦY` was issued by the
    Tỉnh ủy Hà Tĩnh (the Party organisation's executive committee)."""
    if not signer or not signer.on_behalf_of:
        return ""
    match = re.match(r"^dang bo (tinh|thanh pho|thi xa|huyen|quan) (.+)$", fold(canonical_body(issuer)).lower())
    committee = _COMMITTEE_OF_LEVEL.get(match.group(1)) if match else None
    if not committee or fold(signer.on_behalf_of).lower().strip() != fold(committee).lower():
        return ""
    return f"{committee} {place_name(canonical_body(issuer))}"


@dataclass(frozen=True)
class _Lead:
    doc_type: str
    number: str
    issuer: str
    date: object


_LEAD = re.compile(r"(?<![^\s.!?:])(?:ngay (\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{4}))?\s*,\s*)?"
                   r"([^,.]{4,80}?)\s+(?:da\s+)?(?:ky\s+)?ban hanh\s+(" + "|".join(DOC_TYPES) + r")\s+(?:so\s+)?"
                   r"(\d+\s*[-/]\s*[a-z][a-z0-9]*(?:\s*[-/]\s*[a-z0-9]+)*)")


def _lead_sentence(text: str) -> _Lead | None:
    """`Ngày 12/3, Ban Thường vụ Tỉnh ủy Lào Cai đã ban hành Chỉ thị số 21-CT/TU về …`
    (a news page about a document): its type, number, issuer and date (the year from
    the page's own dates)."""
    folded = fold(text)
    match = _LEAD.search(folded)
    if not match:
        return None
    issuer = text[match.start(4):match.end(4)].strip()
    if not names_a_body(issuer):
        return None
    date = None
    if match.group(1):
        years = [d.date.year for d in dates.find_dates(text) if d.date]
        year = int(match.group(3)) if match.group(3) else (years[0] if years else None)
        date = dates.make_date(year, int(match.group(2)), int(match.group(1))) if year else None
    number = re.sub(r"\s+", "", text[match.start(6):match.end(6)])
    return _Lead(DOC_TYPES[match.group(5)], number, issuer, date)


def _title_issuer(title: str) -> str:
    match = re.search(r"\bcua\s+(.+?)(?:\s+(?:tai|ve|trong|doi voi|khi|nhan|qua)\b|[,.;:]|$)", fold(title))
    return title[match.start(1):match.end(1)] if match else ""


def _place_date(cells: list[str]) -> tuple[str, object, bool]:
    """`Bến Cát, ngày 12 tháng 7 năm 2021` → (place, date, incomplete); the date is None
    when the line names an impossible one, or leaves the day blank for the hand-written
    date (`ngày   tháng 3 năm 2025`: incomplete, no day is invented). A year on the next
    line (`…, ngày 20 tháng 9` / `năm 2023`) belongs to it."""
    for n, cell in enumerate(cells):
        match = _PLACE_DATE.match(fold(cell))
        if match:
            if n + 1 < len(cells) and re.match(r"^(thang\b.*|nam \d{4}\s*)$", fold(cells[n + 1])) \
                    and not re.search(r"nam \d{4}", fold(cell)):
                cell = f"{cell} {cells[n + 1]}"
            found = [d for d in dates.find_dates(cell) if d.precision == "day"]
            blank_day = bool(re.search(r"\bngay\s*[._…]*\s*thang\b", fold(cell)))
            return cell[: match.end(1)].strip(" *"), (found[0].date if found else None), blank_day
    return "", None, False


_CITED_BEFORE = re.compile(r"\d+\s*[-/]\s*[a-z][\w/.-]*\s*(,\s*)?(ngay|ban hanh ngay)?\s*$")
_SPAN_START = re.compile(r"\btu ngay (\d{1,2})(?:/(\d{1,2}))? den (?:het )?(?:ngay )?\d{1,2}")


def _meeting_date(text: str):
    """The first date of the text that is not a cited document's (`Chỉ thị số
    05/CT-TTg ngày 28/3/2019`); of a span (`Từ ngày 7 đến ngày 9 tháng 12 năm 2022`),
    the first day."""
    folded = fold(text)
    for match in dates.find_dates(text):
        if not match.date or match.precision != "day":
            continue
        if _CITED_BEFORE.search(folded[max(0, match.start - 60):match.start]):
            continue
        span = None
        for span in _SPAN_START.finditer(folded[max(0, match.start - 40):match.end]):
            pass
        if span:
            start = dates.make_date(match.date.year, int(span.group(2) or match.date.month), int(span.group(1)))
            if start and start <= match.date:
                return start
        return match.date
    return None


def _period(text: str) -> str:
    folded = fold(text)
    # `năm 2024` of a date (`ngày 15 tháng 9 năm 2024`, `tháng 4 năm 2025`) is no period
    match = next((m for m in _PERIOD.finditer(folded)
                  if not (m.group(1).startswith("nam") and re.search(r"thang \d{1,2}\s*$", folded[:m.start()]))),
                 None)
    if not match:
        return ""
    phrase = text[match.start(1):match.end()]
    if re.search(r"\d{4}$", phrase):
        return phrase
    year = re.search(r"\bnam (\d{4})\b", folded[match.end(1):])
    if not year:
        return phrase
    return f"{phrase} năm {year.group(1)}" if phrase[-1] != "m" else f"{phrase} {year.group(1)}"


def _meeting(opening: str, title: str) -> str:
    """`Hội nghị lần thứ năm Ban Chấp hành ...` in the opening, else the meeting the
    title names (`tại cuộc họp sơ kết ...`), else a qualified meeting in the opening."""
    folded = fold(opening)
    numbered = re.search(r"\bhoi nghi lan thu\b", folded)
    if numbered:
        return _clause(opening, numbered.start())
    for source in (opening, title):  # a council's session: `kỳ họp thứ 5`
        session = re.search(r"\bky hop thu \w+", fold(source))
        if session:
            return source[session.start():session.end()]
    in_title = re.search(r"\b(tai|trong) ((cuoc|phien) hop|hoi nghi|buoi lam viec)\b", fold(title))
    if in_title:
        return title[in_title.start(2):].strip(" .")
    for match in _MEETING.finditer(folded):
        phrase = _clause(opening, match.start())
        if len(phrase.split()) > 2 and not re.match(r"\w+ \w+ ket luan", fold(phrase)):
            return phrase
    return ""


def _clause(text: str, start: int) -> str:
    stop = _MEETING_STOP.search(text.lower(), start + len("hội nghị"))
    return text[start:stop.start() if stop else len(text)].strip()


# First words of a title or a role, never of a person's name: `đồng chí Chánh Văn phòng
# Đảng ủy` is a role, not Mr "Chánh Văn".
_ROLE_WORDS = frozenset(w.lower() for w in (  # with diacritics: `Trưởng` is a role, `Trương` a name
    "Phó", "Chánh", "Trưởng", "Bí", "Chủ", "Giám", "Ủy", "Uỷ", "Thường", "Ban", "Tổng", "Cục", "Vụ", "Sở", "Phòng",
    "Đại", "Thủ", "Bộ", "Tỉnh", "Huyện", "Xã", "Thành", "Quận", "Thị", "Chỉ", "Tham", "Trợ", "Thư", "Kế", "Hiệu",
    "Các", "Lãnh", "Văn", "Hội", "Đảng", "Chi", "Đoàn", "Công", "Ông", "Bà", "Anh", "Chị"))
# Vietnamese family names: a name found before `chủ trì` without `đồng chí` starts with one.
_SURNAMES = frozenset(w.lower() for w in (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương",
    "Lý", "Đinh", "Lâm", "Trương", "Mai", "Tô", "Hà", "Tạ", "Đoàn", "Cao", "Châu", "Lương", "Quách", "Triệu", "Kiều",
    "Thái", "Lưu", "Trịnh", "Đào", "Vương", "Phùng", "Tăng", "Lại", "Văn", "Khúc", "Nông", "Hầu", "Lò", "Y", "Kim",
    "Chu", "La", "Thân", "Doãn", "Giang", "Mạc", "Tống", "Từ", "Nghiêm", "Bạch", "Quan", "Âu", "Đàm", "Lục", "Ninh"))
_CHAIRED = re.compile(r"\s+(?:đã\s+)?(chủ trì|kết luận|chủ toạ|chủ tọa)(?!\w)")


def _presiding(text: str) -> Person | None:
    """The official who chaired and concluded: `đồng chí <Name>, <position>`, else a
    title followed by a name and `chủ trì` (`Phó Thủ tướng Trần Hồng Hà đã chủ trì`)."""
    folded = fold(text)
    candidates = []
    for match in _PRESIDING.finditer(folded):
        name_words = _name_at(text[match.end():].split())
        if len(name_words) < 2 or name_words[0].lower() in _ROLE_WORDS:
            continue
        after = text.find(name_words[-1], match.end()) + len(name_words[-1])
        position = ""
        if text[after:after + 1] == ",":
            position = _position(text, after + 1)
        sentence = folded[match.start(): folded.find(".", after) if "." in folded[after:] else len(folded)]
        score = ("chu tri" in sentence) + ("ket luan" in sentence)
        candidates.append((score, -match.start(), Person(" ".join(name_words), position)))
    if candidates:
        return max(candidates, key=lambda c: c[:2])[2]
    return _named_before_chairing(text)


def _chair_who_signed(signer) -> Person | None:
    """The chair of a session who signs its conclusions under `CHỦ TỌA KỲ HỌP` (`Thay
    mặt chủ tọa kỳ họp, tôi kết luận…`) concluded it."""
    if signer and signer.name and re.search(r"\bchu toa\b", fold(signer.position).lower()):
        return Person(signer.name, signer.position)
    return None


def _name_at(words: list[str]) -> list[str]:
    name_words = []
    for word in words[:6]:
        bare = word.rstrip(",;:.")
        if not bare or not bare[0].isupper() or not bare[1:].islower() and len(bare) > 1:
            break
        name_words.append(bare)
        if bare != word:
            break
    return name_words


def _named_before_chairing(text: str) -> Person | None:
    for match in _CHAIRED.finditer(text):
        words = text[:match.start()].split()[-6:]
        run: list[str] = []
        for word in reversed(words):
            if not word[:1].isupper() or not (word[1:].islower() or len(word) == 1) or word != word.rstrip(",;:."):
                break
            run.insert(0, word)
        while run and run[0].lower() not in _SURNAMES:
            run.pop(0)  # `Long An Nguyễn Văn Út`: the place before the name
        name = " ".join(run)
        name_at = text.rfind(name, 0, match.start())
        window = max(0, name_at - 70)
        titles = list(_TITLE_BEFORE_NAME.finditer(fold(text[window:name_at]).lower()))
        if 2 <= len(run) <= 4 and name_at >= 0 and titles:
            position = text[window + titles[-1].start():name_at].strip(" ,")
            return Person(name, position if len(position.split()) <= 10 else "")
    return None


# a name found before `chủ trì` is a person's only after a title (`Ủy ban nhân dân
# huyện Châu Thành chủ trì` names a body)
_TITLE_BEFORE_NAME = re.compile(r"\b(thu tuong|chu tich|bi thu|bo truong|giam doc|truong ban|chanh van phong|"
                                r"pho chu nhiem|chu nhiem|tong bi thu|chu tri la)\b")


def _position(text: str, start: int) -> str:
    """A position after a name, up to the verb that follows it; a comma continues it
    when the next part is another title (`Phó Bí thư Tỉnh ủy, Chủ tịch UBND tỉnh`)."""
    folded = fold(text)
    parts = []
    pos = start
    while True:
        stop = _POSITION_STOP.search(folded, pos)
        comma = folded.find(",", pos)
        end = min(x for x in (stop.start() if stop else len(text), comma if comma >= 0 else len(text)))
        parts.append(text[pos:end].strip())
        if end == comma and text[end + 1:].strip()[:1].isupper() and (not stop or stop.start() > end):
            pos = end + 1
            continue
        return ", ".join(p for p in parts if p)


def _make_item(block: _Block, year: int | None) -> Item:
    text = " ".join(block.text).strip()
    subs = tuple(" ".join(s).strip() for s in block.subs)
    full = " ".join((text, *subs))
    return Item(
        number=block.number,
        text=text,
        label=block.label,
        section=block.section,
        sub_items=subs,
        addressees=tuple(find_addressees(text)),
        deadline=find_deadline(full, year),
    )


def find_addressees(text: str) -> list[str]:
    """Bodies an item addresses: objects of giao/đề nghị/yêu cầu/phân công, else the
    item's leading subject."""
    lower = text.lower()
    found: list[str] = []
    for match in _ASSIGN_RE.finditer(lower):
        phrase = _phrase_until_verb(text, match.end())
        if phrase and (phrase[0].isupper() or _STARTER_RE.match(phrase.lower())):
            found.extend(_split_bodies(phrase))
    if not found and _STARTER_RE.match(lower):
        phrase = _phrase_until_verb(text, 0)
        deciding = text[len(phrase):].lstrip(" ,").startswith(_DECIDING_VERBS)
        if phrase and len(phrase.split()) <= 25 and not deciding:
            found.extend(_split_bodies(phrase))
    return list(dict.fromkeys(a for a in (canonical_addressee(f) for f in found)
                              if a and len(a.split()) <= MAX_ADDRESSEE_WORDS))


MAX_ADDRESSEE_WORDS = 16  # longer, it is a sentence the verb list missed, not a body's name


def _phrase_until_verb(text: str, start: int) -> str:
    verb = _VERB_RE.search(text, start)
    # `các tổ chức`, `đầu tư xây dựng`: a noun or part of a name, not the verb (looked
    # for in the few characters before it only: the lookbehind still sees the one before)
    while verb and _NOT_A_VERB_AFTER.search(text, max(0, verb.start() - 8), verb.start()):
        verb = _VERB_RE.search(text, verb.end())
    end = verb.start() if verb else len(text)
    punct = _PHRASE_END.search(text, start, end)
    if not verb and not punct:
        return ""
    return text[start:punct.start() if punct else end].strip(" ,")


def _split_bodies(phrase: str) -> list[str]:
    """`Sở Xây dựng, Sở Giao thông vận tải` → two names; a list whose parts are not all
    names of bodies (`Mỗi ngành, mỗi xã, phường`) stays one, and `và` splits only
    between names (`Sở Tài nguyên và Môi trường` is one)."""
    parts = []
    for part in (p.strip() for p in _COMMA.split(phrase) if p.strip()):
        pieces = [x.strip() for x in _AND.split(part) if x.strip()]
        parts.extend(pieces if len(pieces) > 1 and all(map(_names_a_body, pieces)) else [part])
    return parts if len(parts) > 1 and all(map(_names_a_body, parts)) else [phrase]


def _names_a_body(part: str) -> bool:
    return bool((part[0].isupper() and _STARTER_RE.match(part.lower())) or _PLURAL_BODY.match(part))


def find_deadline(text: str, year: int | None) -> Deadline | None:
    """The first date in an item that a deadline cue (`trước ngày`, `chậm nhất`,
    `trong tháng`) introduces; month and quarter deadlines resolve to their last day."""
    found = dates.find_dates(text, default_year=year)
    folded = fold(text) if found else ""
    for match in found:
        window_start = max(0, match.start - 40)
        cue = _DEADLINE_CUE.search(folded[window_start:match.start])
        if not cue or not match.date:
            continue
        if cue.group(1).startswith("trong") and match.precision == "day":
            continue
        return Deadline(match.date, text[window_start + cue.start():match.end].strip())
    whole_year = _WITHIN_YEAR.search(text)
    if whole_year:
        year_end = dates.make_date(int(whole_year.group(1)), 12, 31)
        return Deadline(year_end, whole_year.group(0)) if year_end else None
    return None


def _signature(tail: list[str]) -> tuple[tuple[str, ...], Signer | None]:
    left: list[str] = []
    right: list[str] = []
    in_recipients = False
    for raw in tail:
        if is_stamp(raw):
            continue
        cells = [c.strip() for c in raw.split("\t")]
        first = cells[0]
        folded = fold(first)
        if match := _RECIPIENTS.match(folded):
            in_recipients = True
            if match.group(1):
                left.append(first[match.start(1):])
            right.extend(cells[1:])
        elif len(cells) > 1:
            left.append(first)
            right.extend(cells[1:])
        elif in_recipients and (_BULLET.match(first) or _NUMBERED.match(first)):
            left.append(first)
        elif first:
            right.append(first)
    recipients = tuple(r for line in left for part in _recipient_parts(_strip_marker(line))
                       if (r := part.strip(" ,;.")))
    return recipients, _signer(right)


def _recipient_parts(line: str) -> list[str]:
    """`Ban Thường vụ Tỉnh ủy (b/c); các đồng chí Huyện ủy viên; lưu Văn phòng.` → three;
    `UBND các tỉnh: Yên Bái, Lào Cai` stays one."""
    return [p for p in re.split(r";\s*", line) if p.strip()]


def _strip_marker(line: str) -> str:
    match = _BULLET.match(line) or _NUMBERED.match(line)
    return match.group(2) if match else line


def _signer(lines: list[str]) -> Signer | None:
    on_behalf = position = name = ""
    for line in lines:
        folded = fold(line)
        if match := _SIGN_ON_BEHALF.match(folded):
            on_behalf = line[match.start(2):].strip()
        elif _SIGNED.match(folded) or not line.strip():
            continue
        elif _is_upper(line) and not position and not _CLOSING.search(folded):
            position = line.strip()
        elif _is_name(line):
            name = line.strip()
    if not (on_behalf or position or name):
        return None
    return Signer(name=name, position=position, on_behalf_of=on_behalf)


def _is_name(line: str) -> bool:
    words = line.strip().split()
    return 2 <= len(words) <= 5 and all(w[0].isupper() and (w[1:].islower() or len(w) == 1) for w in words)


def _looks_truncated(lines: list[str], tail: list[str]) -> bool:
    last = next((l.strip() for l in reversed(lines) if l.strip() and not is_stamp(l)), "")
    if not last:
        return False
    if any(_RECIPIENTS.match(fold(l.strip())) or _SIGN_ON_BEHALF.match(fold(l.strip())) for l in tail):
        return False
    return not re.search(r"[.!?;:)\"”…]$", last)


def _has_impossible_date(text: str) -> bool:
    return any(m.date is None for m in dates.find_dates(text))
