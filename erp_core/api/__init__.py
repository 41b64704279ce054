"""REST API under /api/v1 with its OpenAPI 3 document (flask-smorest)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api as SmorestApi
from werkzeug.exceptions import HTTPException

from ..auth.guard import json_error
from ..errors import DomainError
from ..messages import describe, describe_code
from .schemas import ErrorSchema, Money

_HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               422: "validation_error", 429: "rate_limited"}


class Api(SmorestApi):
    """flask-smorest with our JSON error shape: {code, message, status[, errors]}."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        data = getattr(error, "data", {}) or {}
        extra = {"errors": data["messages"]} if "messages" in data else {}
        message = str(data.get("message") or error.description or "error")
        code = _HTTP_CODES.get(status, "error")
        if message == type(error).description:  # werkzeug's stock sentence: say it in the reader's language
            message = describe_code(code, message)
        return json_error(status, code, message, **extra)


api = Api()

SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "An API token created by an admin (Admin > API tokens)."},
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "wms_session",
                   "description": "The browser session; unsafe requests also need the X-CSRFToken header."},
}


def init_api(app: Flask) -> None:
    app.config.setdefault("API_SPEC_OPTIONS", {
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "components": {"securitySchemes": SECURITY_SCHEMES},
        "info": {"description": "Warehouse-floor WMS and e-commerce ERP core. Errors are JSON objects "
                                "`{code, message, status}` with a stable `code`."},
    })
    api.init_app(app)
    api.register_field(Money, "string", "decimal")
    from . import intercept_resources, lot_resources, resources  # noqa: F401  (they add routes to resources.bp)

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
