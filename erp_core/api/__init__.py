"""REST API under /api/v1 with its OpenAPI 3 document (flask-smorest)."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from ..auth.guard import json_error
from ..errors import DomainError
from ..messages import describe, describe_code
from .fields import INT_MAX
from .parser import BodyRequiredParser
from .schemas import DecimalString, ErrorSchema, Money

# Before any resource module declares its arguments: every Blueprint's @arguments parses with it.
SmorestBlueprint.ARGUMENTS_PARSER = BodyRequiredParser()

_HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               422: "validation_error", 429: "rate_limited"}


class Api(SmorestApi):
    """flask-smorest with our JSON error shape: {code, message, status[, errors]}."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        if not request.path.startswith("/api/"):  # flask-smorest answers for the whole app: pages get a page
            return _page_error(error, status)
        data = getattr(error, "data", {}) or {}
        extra = {"errors": data["messages"]} if "messages" in data else {}
        message = str(data.get("message") or error.description or "error")
        code = _HTTP_CODES.get(status, "error")
        if message == type(error).description:  # werkzeug's stock sentence: say it in the reader's language
            message = describe_code(code, message)
        response = json_error(status, code, message, **extra)
        if status == 405 and getattr(error, "valid_methods", None):
            return (*response, {"Allow": ", ".join(error.valid_methods)})
        return response


def _page_error(error: HTTPException, status: int):
    """An HTTP error on a page (an upload over MAX_UPLOAD_MB, a wrong method): HTML in the reader's
    language; htmx requests get the sentence alone, for the page's error area."""
    code = _HTTP_CODES.get(status, "error")
    message = describe_code(code, error.description or "error")
    if request.headers.get("HX-Request"):
        return message, status
    response = render_template("errors/http.html", status=status, message=message), status
    if status == 405 and getattr(error, "valid_methods", None):
        return (*response, {"Allow": ", ".join(error.valid_methods)})
    return response


api = Api()

SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "An API token created by an admin (Admin > API tokens)."},
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "wms_session",
                   "description": "The browser session; unsafe requests also need the X-CSRFToken header."},
}


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: 1..2^31-1 (the database's INTEGER). Anything else matches no route
    (404) instead of overflowing in the database; the document says minimum 1, maximum 2147483647."""

    def __init__(self, map, fixed_digits=0, min=1, max=INT_MAX, signed=False):  # noqa: A002  (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_api(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    app.config.setdefault("API_SPEC_OPTIONS", {
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "components": {"securitySchemes": SECURITY_SCHEMES},
        "info": {"description": "Warehouse-floor WMS and e-commerce ERP core. Errors are JSON objects "
                                "`{code, message, status}` with a stable `code`."},
    })
    api.init_app(app)
    api.register_field(DecimalString, "string", "decimal")
    api.register_field(Money, "string", "decimal")
    from . import intercept_resources, lot_resources, order_sku_resources, resources, stock_move_resources  # noqa: F401  (they add routes to resources.bp)

    api.register_blueprint(resources.bp, url_prefix="/api/v1")

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        from flask import flash, redirect, render_template, request

        message = describe(error)  # in the request's language, with what was expected
        if request.path.startswith("/api/"):
            return json_error(error.status, error.code, message, **_jsonable(error.details))
        if request.headers.get("HX-Request"):
            return render_template("_error.html", message=message), error.status
        if request.method == "POST" and request.referrer:
            flash(message, "error")
            return redirect(request.referrer)
        return render_template("errors/domain.html", error=error, message=message), error.status


def _jsonable(details: dict) -> dict:
    return {k: v if isinstance(v, (str, int, float, bool, list, dict, type(None))) else str(v)
            for k, v in details.items()}
