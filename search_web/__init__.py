"""The search site and JSON API (Flask). Only this package imports flask.

    create_app({"DATA_DIR": "var"})  # or $KETLUAN_DATA, else ./var
"""
from __future__ import annotations

import datetime as dt

from flask import Flask

from indexer.archive import data_dir

from . import errors, labels
from .store import Store

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DATA_DIR=str(data_dir()), TOPICS=None, PAGE_SIZE=20, EXPORT_MAX_ROWS=10_000)
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["ketluan"] = Store(app.config["DATA_DIR"], app.config["TOPICS"])

    from .api import bp as api_bp
    from .pages import bp as pages_bp
    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp)
    errors.register(app)
    labels.register(app)

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.context_processor
    def globals_():
        return {"today": dt.date.today()}

    return app
