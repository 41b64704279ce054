"""The audit log's admin page (/admin/audit): search, pages, CSV."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..auth.guard import requires
from ..auth.models import User
from ..exports import csv_response
from ..extensions import db
from ..navigation import register_nav_link
from .search import AuditQuery, export_rows, search

bp = Blueprint("audit", __name__)
PER_PAGE = 50
CSV_HEADER = ("at (UTC)", "user", "ip", "action", "object type", "object id", "summary", "before", "after")


def register_audit_ui() -> None:
    register_nav_link("settings", "audit.index", _l("Audit log"), "admin.audit")
    register_nav_link("settings", "sessions.mine", _l("My sessions"), "account.self")


def _day(name: str) -> datetime | None:
    value = (request.args.get(name) or "").strip()
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC) if value else None
    except ValueError:
        return None


def query_from_args() -> AuditQuery:
    """The search from the page's query string; dates are whole days (the "to" day included)."""
    until = _day("to")
    return AuditQuery(user_id=request.args.get("user_id", type=int) or None,
                      action=(request.args.get("action") or "").strip()[:40],
                      object_type=(request.args.get("object_type") or "").strip()[:40],
                      object_id=(request.args.get("object_id") or "").strip()[:64],
                      since=_day("from"), until=until + timedelta(days=1) if until else None,
                      text=(request.args.get("q") or "").strip()[:100])


def _args() -> dict:
    return {k: v for k, v in request.args.items() if v and k != "page"}


@bp.route("")
@requires("admin.audit")
def index():
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = search(query_from_args(), page=page, per_page=PER_PAGE)
    people = list(db.session.execute(select(User.id, User.username).order_by(User.username)))
    return render_template("audit/index.html", rows=rows, total=total, page=page,
                           pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), args=_args(), people=people)


@bp.route("/export.csv")
@requires("admin.audit")
def export_csv():
    def text(value) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    rows = ((r.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), r.username, r.ip, r.action, r.object_type,
             r.object_id, r.summary, text(r.before), text(r.after)) for r in export_rows(query_from_args()))
    return csv_response("audit-log.csv", CSV_HEADER, rows)
