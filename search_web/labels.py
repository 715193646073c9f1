"""Vietnamese labels and Jinja filters for the pages."""
from __future__ import annotations

import datetime as dt

from flask import request, url_for

WARNINGS = {
    "truncated": "Văn bản bị cắt, thiếu phần cuối",
    "no_header": "Thiếu phần đầu (quốc hiệu, cơ quan ban hành, số hiệu)",
    "no_date": "Không tìm thấy ngày ban hành hoặc ngày họp",
    "no_items": "Không tách được các mục kết luận",
    "no_doc_type": "Không xác định được loại văn bản",
    "invalid_date": "Có ngày tháng không hợp lệ trong văn bản",
    "ocr_noise": "Văn bản quét (OCR) có nhiễu, đã sửa một phần",
}
SORTS = {"relevance": "Liên quan nhất", "newest": "Mới nhất", "oldest": "Cũ nhất", "deadline": "Thời hạn gần nhất"}
KINDS = {"notice": "Văn bản", "item": "Từng kết luận"}
FACETS = {"topic": "Chủ đề", "issuer": "Cơ quan ban hành", "level": "Cấp", "type": "Loại văn bản", "year": "Năm",
          "presiding": "Chủ trì", "addressee": "Nơi được giao"}
FILTERS = {"q": "Từ khóa", "from": "Từ ngày", "to": "Đến ngày", "body": "Cơ quan", "level": "Cấp",
           "topic": "Chủ đề", "type": "Loại", "year": "Năm", "addressee": "Giao cho", "presiding": "Chủ trì",
           "due_from": "Hạn từ", "due_to": "Hạn đến", "kind": "Hiển thị"}


def date_vi(value: dt.date | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


def sentence(text: str) -> str:
    """Titles are stored as written (`kết luận của ...`); shown with a capital."""
    return text[:1].upper() + text[1:] if text else text


def url_with(endpoint: str = "pages.search_page", **changes) -> str:
    """The current URL's parameters with some changed (None or "" removes one). Any
    change other than the page goes back to page 1."""
    args = {k: v for k, v in request.args.items() if v}
    if "page" not in changes:
        args.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            args.pop(key, None)
        else:
            args[key] = str(value)
    return url_for(endpoint, **args)


def register(app) -> None:
    app.add_template_filter(date_vi)
    app.add_template_filter(sentence)
    app.add_template_global(url_with)
    app.add_template_global(WARNINGS, "WARNINGS")
    app.add_template_global(SORTS, "SORTS")
    app.add_template_global(KINDS, "KINDS")
    app.add_template_global(FACETS, "FACETS")
    app.add_template_global(FILTERS, "FILTERS")
