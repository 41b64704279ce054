"""Refuse text no database can store, before anything reads it.

A NUL character (PostgreSQL refuses it in text with an error, SQLite keeps it and cuts strings at
it elsewhere) or a lone UTF-16 surrogate (not encodable as UTF-8) in the path, a query argument, a
form field, a header or any string of a JSON body answers 400 `bad_request` for every request, so
both databases refuse the same things and neither answers 500.
"""

from __future__ import annotations

import json

from flask import Flask, abort, request
from flask_babel import gettext

MAX_DEPTH = 64  # deeper JSON is refused by the schemas anyway; do not recurse without end


def bad_text(value: str) -> bool:
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _bad_json(value, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, str):
        return bad_text(value)
    if isinstance(value, dict):
        return any(bad_text(k) or _bad_json(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_bad_json(v, depth + 1) for v in value)
    return False


def _json_body():
    if not request.is_json:
        return None
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError):
        return None  # not JSON at all: the schema's parser answers that


def _where_bad() -> str | None:
    if bad_text(request.path):
        return "path"
    if any(bad_text(k) or bad_text(v) for k, v in request.args.items(multi=True)):
        return "query"
    if any(bad_text(k) or bad_text(v) for k, v in request.headers.items()):
        return "header"
    forms = ("application/x-www-form-urlencoded", "multipart/form-data")
    if request.mimetype in forms and any(bad_text(k) or bad_text(v) for k, v in request.form.items(multi=True)):
        return "form"
    if _bad_json(_json_body()):
        return "body"
    return None


def refuse_bad_text():
    where = _where_bad()
    if where is not None:
        abort(400, description=gettext("The request's %(where)s holds a NUL character or text that is not "
                                       "valid UTF-8.", where=where))


def install_text_guard(app: Flask) -> None:
    """First of all before_request functions: nothing (the login, the limiter) reads bad text."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bad_text)
