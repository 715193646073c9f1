"""HTML pages: search, notice, browse, deadlines, and the CSV export."""
from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, current_app, render_template, request, send_file

from indexer import ocr
from indexer import search as core
from indexer.errors import NotFound, UnreadableFile

from .params import FILTER_KEYS, search_request
from .store import store

bp = Blueprint("pages", __name__)
MIMETYPES = {"txt": "text/plain", "md": "text/plain", "html": "text/html", "hocr": "text/html", "alto": "text/xml",
             "xml": "text/xml", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "tiff": "image/tiff"}


@bp.get("/")
def search_page():
    taxonomy = store().taxonomy
    req = search_request(request.args, taxonomy, current_app.config["PAGE_SIZE"])
    searching = bool(req.q.strip()) or any(request.args.get(k) for k in FILTER_KEYS)
    result = store().search(req) if searching else None
    overview = None if searching else store().search(core.SearchRequest(limit=1))
    return render_template("search.html", req=req, result=result, overview=overview, taxonomy=taxonomy,
                           active=_active_filters(req))


def _active_filters(req: core.SearchRequest) -> list[tuple[str, str, str]]:
    """(parameter, label, shown value) for each filter in use, for the removable chips."""
    names = store().taxonomy.names
    shown = {"topic": names.get(req.topic, req.topic)}
    return [(key, key, shown.get(key, request.args[key])) for key in FILTER_KEYS if request.args.get(key)]


@bp.get("/notices/<nid>")
def notice_page(nid: str):
    stored = _notice_or_404(nid)
    notice = stored.notice
    terms = core.query_terms(request.args.get("q", "")[:core.MAX_QUERY_CHARS])
    others = []
    issuer = notice.issuer_canonical or notice.issuer
    if issuer:
        same_body = store().search(core.SearchRequest(body=issuer, kind="notice", sort="newest", limit=8))
        others = [h for h in same_body.hits if h.notice_id not in (stored.id, stored.copy_of)][:6]
    pages = sorted({p for p in (notice.page, *(i.page for i in notice.items)) if p})
    return render_template("notice.html", stored=stored, notice=notice, terms=terms, highlight=core.highlight, pages=pages,
                           current_item=request.args.get("item", type=int), others=others, links=store().links(stored),
                           names=store().taxonomy.names, has_original=store().original(stored) is not None)


@bp.get("/notices/<nid>/original")
def original(nid: str):
    stored = _notice_or_404(nid)
    path = store().original(stored)
    if path is None:
        raise NotFound(f"original of {nid} missing", "Không tìm thấy bản gốc của văn bản này trong kho lưu trữ.")
    with store().archive() as archive:
        mimetype = MIMETYPES.get(archive.file_format(stored.sha256), "application/octet-stream")
    # Always a download, never rendered: an archived HTML file must not run in our origin.
    return send_file(path, mimetype=mimetype, as_attachment=True,
                     download_name=stored.source_name or f"{stored.sha256}.bin")


@bp.get("/notices/<nid>/page/<int:number>.png")
def page_image(nid: str, number: int):
    """A page of a scanned original as an image; with `?item=N` the lines of item N
    (found through Tesseract's hOCR) are highlighted."""
    stored = _notice_or_404(nid)
    path = store().original(stored)
    if path is None or not 1 <= number <= ocr.MAX_PAGES:
        raise NotFound(f"no page {number} of {nid}", "Không có trang này trong bản quét.")
    boxes = []
    item = request.args.get("item", type=int)
    if item and 1 <= item <= len(stored.notice.items):
        with store().archive() as archive:
            hocr = archive.ocr_page(stored.sha256, number)
        if hocr:
            boxes = ocr.item_boxes(hocr, stored.notice.items[item - 1].full_text)
    try:
        image = ocr.render_page(path.read_bytes(), number, boxes=boxes)
    except (UnreadableFile, OSError, ValueError) as err:
        raise NotFound(f"cannot show page {number} of {nid}: {err}", "Không hiển thị được trang này của bản quét.")
    response = Response(image, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _notice_or_404(nid: str):
    stored = store().notice(nid)
    if stored is None:
        raise NotFound(f"no notice {nid!r}", "Không tìm thấy văn bản này (mã văn bản không tồn tại).")
    return stored


@bp.get("/browse")
def browse():
    items = store().search(core.SearchRequest(kind="item", limit=1))
    notices = store().search(core.SearchRequest(kind="notice", limit=1))
    return render_template("browse.html", items=items, notices=notices, taxonomy=store().taxonomy)


@bp.get("/addressees")
def addressees():
    """Every body conclusions were assigned to, with counts; each links to its list."""
    result = store().search(core.SearchRequest(kind="item", limit=1))
    return render_template("addressees.html", counts=result.facets.get("addressee", {}))


@bp.get("/due")
def due():
    """Conclusions whose deadline falls in a window (default: overdue in the past 90
    days through the next 30), grouped by addressee."""
    args = request.args.to_dict()
    today = dt.date.today()
    if not args.get("due_from", "").strip():
        args["due_from"] = (today - dt.timedelta(days=90)).isoformat()
    if not args.get("due_to", "").strip():
        args["due_to"] = (today + dt.timedelta(days=30)).isoformat()
    args["sort"], args["kind"], args["limit"] = "deadline", "item", "200"
    req = search_request(args, store().taxonomy)
    result = store().search(req)
    groups: dict[str, list] = {}
    for hit in result.hits:
        for addressee in hit.addressees or ("(chưa xác định nơi được giao)",):
            groups.setdefault(addressee, []).append(hit)
    nearest = _nearest_deadlines(req) if not result.total else {}
    return render_template("due.html", req=req, result=result, groups=sorted(groups.items()), today=today,
                           nearest=nearest)


def _nearest_deadlines(req: core.SearchRequest) -> dict:
    """For an empty window: the closest deadline before it and after it (each with a
    window around it to link), and the whole overdue list, so the page is never a dead end."""
    from dataclasses import replace
    today = dt.date.today()
    base = replace(req, due_from=None, due_to=None, page=1, limit=1)
    out = {}
    after = store().search(replace(base, due_from=req.due_to + dt.timedelta(days=1)))
    if after.hits:
        out["after"] = after.hits[0].deadline
    before = store().search(replace(base, due_to=req.due_from - dt.timedelta(days=1)))
    if before.total:
        out["before"] = store().search(replace(base, due_to=req.due_from - dt.timedelta(days=1),
                                               page=before.total)).hits[0].deadline
    first = store().search(base)
    if first.hits and first.hits[0].deadline and first.hits[0].deadline < today:
        out["overdue"] = (first.hits[0].deadline, today - dt.timedelta(days=1))
    out = {k: v for k, v in out.items() if v}
    for key in ("before", "after"):
        if key in out:
            day = out[key]
            out[key] = (day, day - dt.timedelta(days=30), day + dt.timedelta(days=60))
    return out


EXPORT_COLUMNS = ("notice_id", "kind", "item_number", "date", "issuer", "number", "level", "doc_type", "title",
                  "topics", "addressees", "deadline", "deadline_text", "text", "source_path", "url",
                  "copies")


@bp.get("/export.csv")
def export_csv():
    req = search_request(request.args, store().taxonomy)
    rows = _all_hits(req, current_app.config["EXPORT_MAX_ROWS"])
    out = io.StringIO()
    out.write("\ufeff")  # so that Excel reads UTF-8
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for hit in rows:
        anchor = f"#item-{hit.item_position + 1}" if hit.item_position is not None else ""
        values = [hit.notice_id, hit.kind, hit.item_number, hit.date, hit.issuer, hit.number, hit.level,
                  hit.doc_type, hit.title, ", ".join(hit.topics), "; ".join(hit.addressees), hit.deadline,
                  hit.deadline_text, hit.text, hit.source_path, f"{request.host_url}notices/{hit.notice_id}{anchor}",
                  "; ".join(c.path or c.name for c in hit.copies)]
        writer.writerow([_cell(v) for v in values])
    name = f"ketluan-{dt.date.today():%Y%m%d}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _all_hits(req: core.SearchRequest, max_rows: int) -> list[core.Hit]:
    from dataclasses import replace
    hits: list[core.Hit] = []
    page = 1
    while len(hits) < max_rows:
        result = store().search(replace(req, page=page, limit=core.MAX_LIMIT))
        hits.extend(result.hits)
        if not result.hits or page * core.MAX_LIMIT >= result.total:
            break
        page += 1
    return hits[:max_rows]


def _cell(value) -> str:
    """Text for a CSV cell; a leading = + - @ is quoted so a spreadsheet never runs it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
