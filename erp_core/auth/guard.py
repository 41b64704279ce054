"""Default-deny access control for every request.

Every endpoint must either be public (login pages, static files) or declare a permission with
`@requires(...)`; an endpoint that declares nothing is refused. CSRF is checked on every unsafe
request except those authenticated by an API bearer token (no cookies, so no cross-site forgery):
decided by how the request was authenticated, never by which headers it carries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ..errors import NotFound
from ..extensions import csrf, login_manager
from ..messages import describe_code
from ..models_base import utcnow
from .object_access import OtherWarehouse, may_access, require_warehouse_of  # noqa: F401  (re-exported)
from .permissions import scope_needed
from .services import user_for_token
from .text_guard import install_text_guard

F = TypeVar("F", bound=Callable)

PUBLIC_ENDPOINTS = {"static"}  # everything else public says so with @public
# Endpoints registered by libraries, which cannot carry our decorator.
LIBRARY_ENDPOINT_PERMISSIONS = {"api-docs.openapi_json": "dashboard.view"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def requires(permission: str) -> Callable[[F], F]:
    """Declare the permission a view (or a whole MethodView method) needs."""

    def decorate(view: F) -> F:
        view._permission = permission  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: F) -> F:
    view._public = True  # type: ignore[attr-defined]
    return view


def signed_webhook(view: F) -> F:
    """Public, and exempt from CSRF: the view authenticates each request by its own signature (a
    carrier's HMAC of the body). No cookie is involved, so there is no cross-site request to forge."""
    view._public = True  # type: ignore[attr-defined]
    view._signed = True  # type: ignore[attr-defined]
    return view


def permission_of(view: Callable) -> str | None:
    perm = getattr(view, "_permission", None)
    if perm is None and hasattr(view, "view_class"):  # MethodView: the method's own declaration
        method = getattr(view.view_class, request.method.lower(), None)
        perm = getattr(method, "_permission", None) or getattr(view.view_class, "_permission", None)
    return perm


def in_my_warehouses(model, pk: int, *, warehouse_of=lambda record: record.warehouse_id):
    """The record, if it exists (else NotFound, 404) and lies in a warehouse the user may work in
    (else OtherWarehouse, 403): the same refusal as `require_warehouse_of` (erp_core.auth.object_access)."""
    from ..extensions import db

    record = db.session.get(model, pk)
    if record is None:
        raise NotFound("no such record", code="not_found")
    if not may_access(warehouse_of(record)):
        raise OtherWarehouse("this record belongs to a warehouse you do not work in", kind=model.__name__)
    return record


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, **extra):
    body = {"code": code, "message": message, "status": status}
    body.update(extra)
    return jsonify(body), status


@login_manager.request_loader
def _load_user_from_bearer(req):
    header = req.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    found = user_for_token(header[7:].strip())
    if found is None:
        g.bad_token = True
        return None
    user, token = found
    if token.expired(utcnow()):
        g.token_expired = True
        return None
    g.api_token = token
    return user


def _deny_anonymous():
    if wants_json():
        if g.get("token_expired"):
            return json_error(401, "token_expired", describe_code("token_expired", "the API token has expired"))
        if g.get("bad_token"):
            return json_error(401, "invalid_token",
                              describe_code("invalid_token", "the API token is unknown or revoked"))
        return json_error(401, "unauthenticated",
                          describe_code("unauthenticated", "log in or send an API token (Authorization: Bearer ...)"))
    login_url = url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if request.headers.get("HX-Request"):
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


def _deny_forbidden(permission: str | None):
    message = "your role may not do this" if permission else "this page declares no permission"
    if wants_json():
        return json_error(403, "forbidden", describe_code("forbidden", message, permission=permission),
                          permission=permission)
    return render_template("errors/403.html", permission=permission), 403


def _check_request():
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404/405 are answered by Flask
    view = current_app.view_functions.get(endpoint)
    is_public = endpoint in PUBLIC_ENDPOINTS or getattr(view, "_public", False)
    # Loading the user first tells how the request is authenticated: the session cookie (which a
    # forged cross-site request carries: CSRF applies) or an API token (no cookie: it does not). A
    # bearer header beside a session cookie changes nothing, and an anonymous request is told to
    # log in (401) before anything is said about its CSRF token.
    authenticated = current_user.is_authenticated
    if not is_public and not authenticated:
        return _deny_anonymous()
    by_token = authenticated and g.get("api_token") is not None
    if request.method in UNSAFE_METHODS and not by_token and not getattr(view, "_signed", False):
        csrf.protect()  # raises CSRFError (400) on a missing or wrong token
    if is_public:
        return None
    permission = LIBRARY_ENDPOINT_PERMISSIONS.get(endpoint) or permission_of(view)
    if permission is None or not current_user.can(permission):
        return _deny_forbidden(permission)
    if by_token:
        return _check_scope(g.api_token, permission)
    return None


def _check_scope(token, permission: str):
    """A token acts for its user only within its scopes: the permission's area, read or write."""
    needed = scope_needed(permission, request.method)
    if needed is None or needed in token.scope_list:
        return None
    if wants_json():
        return json_error(403, "insufficient_scope", describe_code("insufficient_scope", "the token lacks a scope",
                                                                   scope=needed), scope=needed)
    return render_template("errors/403.html", permission=permission), 403


def install_guard(app: Flask) -> None:
    app.before_request(_check_request)
    install_text_guard(app)  # first of all: before the login and the limiter read the request

    @app.errorhandler(CSRFError)
    def _csrf_failed(error: CSRFError):
        if wants_json():
            return json_error(400, "csrf_failed", describe_code("csrf_failed", error.description))
        if request.headers.get("HX-Request"):
            return error.description, 400
        return render_template("errors/csrf.html", reason=error.description), 400

    login_manager.login_view = "auth.login"
    # "basic": a handheld roaming between Wi-Fi access points keeps its session.
    login_manager.session_protection = "basic"
