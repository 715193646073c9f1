"""URL parameters → SearchRequest, the same for the pages, the API and the CSV export.
Every bad value raises BadParameter with a message in Vietnamese."""
from __future__ import annotations

import datetime as dt
import re

from indexer.dates import parse_iso
from indexer.errors import BadParameter
from indexer.search import KINDS, MAX_LIMIT, SORTS, SearchRequest
from indexer.topics import Taxonomy

FILTER_KEYS = ("from", "to", "body", "level", "topic", "type", "year", "addressee", "presiding", "due_from", "due_to")
MAX_PAGE = 10_000
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_MAX_VALUE = 300


def search_request(args, taxonomy: Taxonomy, default_limit: int = 20) -> SearchRequest:
    for key in FILTER_KEYS + ("q", "kind", "sort", "page", "limit"):
        if len(args.get(key, "")) > (500 if key == "q" else _MAX_VALUE):
            raise BadParameter(f"parameter '{key}' is too long", f"Giá trị của tham số '{key}' quá dài.")
    topic = args.get("topic", "").strip()
    if topic and topic not in taxonomy:
        raise BadParameter(f"unknown topic '{topic}'", f"Chủ đề '{topic}' không có trong danh mục chủ đề.")
    # Deadlines belong to items: asking for them without a kind lists items.
    item_default = args.get("due_from", "").strip() or args.get("due_to", "").strip() or args.get("sort") == "deadline"
    kind = args.get("kind", "") or ("item" if item_default else "notice")
    if kind not in KINDS:
        raise BadParameter(f"unknown kind '{kind}'", f"Kiểu kết quả '{kind}' không hợp lệ (notice hoặc item).")
    sort = args.get("sort", "") or "relevance"
    if sort not in SORTS:
        raise BadParameter(f"unknown sort '{sort}'",
                           f"Cách sắp xếp '{sort}' không hợp lệ (dùng: {', '.join(SORTS)}).")
    return SearchRequest(
        q=args.get("q", ""),
        date_from=_date(args, "from"), date_to=_date(args, "to"),
        body=args.get("body", "").strip(), level=args.get("level", "").strip(), topic=topic,
        doc_type=args.get("type", "").strip(), year=_int(args, "year", 1900, 2100, None),
        addressee=args.get("addressee", "").strip(), presiding=args.get("presiding", "").strip(),
        due_from=_date(args, "due_from"), due_to=_date(args, "due_to"),
        kind=kind, sort=sort,
        page=_int(args, "page", 1, MAX_PAGE, 1),
        limit=_int(args, "limit", 1, MAX_LIMIT, default_limit),
    )


def _date(args, key: str) -> dt.date | None:
    value = args.get(key, "").strip()
    if not value:
        return None
    m = _DMY.match(value)
    if m:
        value = f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    parsed = parse_iso(value)
    if parsed is None:
        raise BadParameter(f"'{value}' is not a date", f"Ngày '{value}' không hợp lệ; hãy dùng dạng 2021-07-08 "
                                                        "(năm-tháng-ngày) hoặc 08/07/2021.")
    return parsed


def _int(args, key: str, low: int, high: int, default):
    value = args.get(key, "").strip()
    if not value:
        return default
    if not re.fullmatch(r"\d{1,7}", value) or not low <= int(value) <= high:
        raise BadParameter(f"'{key}' must be a whole number from {low} to {high}",
                           f"Tham số '{key}' phải là số nguyên từ {low} đến {high} (đã nhận '{value}').")
    return int(value)
