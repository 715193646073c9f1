"""JSON API: the same parameters as the pages; errors are {"error": ...} with a status."""
from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, current_app, jsonify, request, url_for

from indexer import search as core
from indexer.errors import NotFound
from indexer.model import to_dict

from .params import search_request
from .store import store

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def api_search():
    req = search_request(request.args, store().taxonomy, current_app.config["PAGE_SIZE"])
    return jsonify(core.result_to_dict(store().search(req)))


@bp.get("/facets")
def api_facets():
    req = search_request(request.args, store().taxonomy)
    result = store().search(replace(req, page=1, limit=1))
    return jsonify(total=result.total, facets=result.facets,
                   topics={t.id: t.name for t in store().taxonomy.topics})


@bp.get("/notices/<nid>")
def api_notice(nid: str):
    stored = store().notice(nid)
    if stored is None:
        raise NotFound(f"no notice {nid!r}", "Không tìm thấy văn bản này (mã văn bản không tồn tại).")
    data = to_dict(stored.notice)
    for position, item in enumerate(data["items"]):
        item["anchor"] = f"item-{position + 1}"
    links = store().links(stored)
    data["references"] = [dict(to_dict(c.reference), notice_id=c.notice_id,
                               url=_url(c.notice_id)) for c, _ in links.citations]
    return jsonify(id=stored.id, source_name=stored.source_name, source_path=stored.source_path,
                   url=_url(stored.id), original_url=url_for("pages.original", nid=stored.id, _external=True),
                   notice=data, references=data["references"],
                   cited_by=[dict(notice_id=s.id, doc_type=s.notice.doc_type, number=s.notice.number,
                                  issuer=s.notice.issuer_canonical or s.notice.issuer, title=s.notice.title,
                                  date=s.notice.date.isoformat() if s.notice.date else None, url=_url(s.id)) for s in links.cited_by],
                   copy_of=stored.copy_of,
                   copies=[dict(to_dict(c), url=_url(c.notice_id),
                                original_url=url_for("pages.original", nid=c.notice_id, _external=True))
                           for c in links.copies])


def _url(nid: str | None) -> str | None:
    return url_for("pages.notice_page", nid=nid, _external=True) if nid else None


@bp.get("/stats")
def api_stats():
    return jsonify(store().stats())
