"""Typed errors → a page or JSON with the message in Vietnamese. Bad input is a 400,
an unknown notice a 404; nothing a user sends should reach the 500 handler."""
from __future__ import annotations

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.errors import BadParameter, BadQuery, IndexBusy, KetluanError, NotFound

from .store import IndexOutdated

STATUS = {BadQuery: 400, BadParameter: 400, NotFound: 404, IndexBusy: 503, IndexOutdated: 503}
HTTP_MESSAGES = {
    404: "Không tìm thấy trang hoặc văn bản này.",
    405: "Phương thức không được hỗ trợ.",
    400: "Yêu cầu không hợp lệ.",
}


def _status(err: KetluanError) -> int:
    for cls, code in STATUS.items():
        if isinstance(err, cls):
            return code
    return 500


def _respond(message_vi: str, message: str, status: int):
    if request.path.startswith("/api/"):
        return jsonify(error=message_vi, detail=message, status=status), status
    # A bad search keeps its search form, filled in as the user left it, to fix in place.
    search_page = status == 400 and request.endpoint in ("pages.search_page", "pages.export_csv")
    taxonomy = None
    if search_page:
        try:
            from .store import store
            taxonomy = store().taxonomy
        except Exception:  # noqa: BLE001 - the error page must render whatever else is wrong
            taxonomy = None
    return render_template("error.html", message=message_vi, status=status, search_page=search_page,
                           taxonomy=taxonomy), status


def register(app) -> None:
    @app.errorhandler(KetluanError)
    def ketluan_error(err: KetluanError):
        return _respond(err.message_vi, str(err), _status(err))

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        return _respond(HTTP_MESSAGES.get(err.code, err.name), err.description or err.name, err.code or 500)

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        app.logger.exception("unexpected error on %s", request.full_path)
        return _respond("Lỗi máy chủ ngoài dự kiến; lỗi đã được ghi lại.", "internal error", 500)
