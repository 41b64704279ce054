"""Reconciliation pages (/finance/reconciliation): the statements, upload, one statement by tab,
mark a line reconciled (HTMX), confirm, the differences as CSV, the empty templates. Thin."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ...auth.guard import requires
from ...channels.models import Channel
from ...exports import csv_response
from ...extensions import db
from ...messages import describe
from ...navigation import register_nav_link
from ...reports.home import register_home_panel
from . import services
from .models import FORMATS, Statement
from .parsers import template_csv

bp = Blueprint("reconciliation", __name__)
TABS = ("matched", "difference", "missing", "unexpected", "info")


def _channels() -> list[Channel]:
    return list(db.session.scalars(select(Channel).where(Channel.active.is_(True)).order_by(Channel.code)))


@bp.route("/")
@requires("finance.reconcile")
def index():
    statements = list(db.session.scalars(select(Statement).order_by(Statement.id.desc()).limit(200)))
    counts = services.line_counts([s.id for s in statements])
    return render_template("reconciliation/index.html", statements=statements, counts=counts)


@bp.route("/upload", methods=["GET", "POST"])
@requires("finance.reconcile")
def upload():
    if request.method == "GET":
        return render_template("reconciliation/upload.html", channels=_channels(), formats=FORMATS, chosen={})
    upload_file = request.files.get("file")
    fmt = request.form.get("format", "")
    if upload_file is None or not upload_file.filename:
        abort(400)
    channel_id = request.form.get("channel_id", type=int)
    try:
        statement = services.import_statement(fmt, upload_file.filename, upload_file.read(), channel_id=channel_id,
                                              user_id=current_user.id)
    except services.StatementRejected as refusal:
        return render_template("reconciliation/upload.html", channels=_channels(), formats=FORMATS,
                               chosen=request.form, message=describe(refusal), errors=refusal.errors), 422
    flash(_("Statement imported: %(n)d lines.", n=len(statement.lines)), "success")
    return redirect(url_for("reconciliation.show", statement_id=statement.id))


@bp.route("/template-<fmt>.csv")
@requires("finance.reconcile")
def template(fmt: str):
    if fmt not in ("generic", "bank"):
        abort(404)
    return Response(template_csv(fmt), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=statement-{fmt}.csv"})


@bp.route("/<int:statement_id>")
@requires("finance.reconcile")
def show(statement_id: int):
    statement = services.get_statement(statement_id)
    tab = request.args.get("tab", "difference")
    if tab not in (*TABS, "unresolved"):
        abort(404)
    counts = services.line_counts([statement.id])[statement.id]
    return render_template("reconciliation/show.html", statement=statement, tab=tab, tabs=TABS, counts=counts,
                           lines=services.lines_of(statement.id, tab))


@bp.route("/<int:statement_id>/lines/<int:line_id>/reconcile", methods=["POST"])
@requires("finance.reconcile")
def reconcile(statement_id: int, line_id: int):
    line = services.mark_reconciled(statement_id, line_id, request.form.get("note", ""), user_id=current_user.id)
    if request.headers.get("HX-Request"):
        return render_template("reconciliation/_line.html", line=line, statement=line.statement)
    flash(_("Line marked reconciled."), "success")
    return redirect(url_for("reconciliation.show", statement_id=statement_id, tab=request.form.get("tab", "")))


@bp.route("/<int:statement_id>/confirm", methods=["POST"])
@requires("finance.reconcile")
def confirm(statement_id: int):
    services.confirm_statement(statement_id, user_id=current_user.id)
    flash(_("Statement confirmed: its fees are posted to the ledger."), "success")
    return redirect(url_for("reconciliation.show", statement_id=statement_id))


@bp.route("/<int:statement_id>/differences.csv")
@requires("finance.reconcile")
def differences_csv(statement_id: int):
    statement = services.get_statement(statement_id)
    lines = [line for status in ("difference", "missing", "unexpected")
             for line in services.lines_of(statement.id, status)]
    header = ("line", "status", "kind", "reference", "external_ref", "description", "expected", "actual",
              "difference", "currency", "reconciled_note")
    rows = ((line.line_no, line.status, line.kind, line.reference, line.external_ref, line.description,
             line.expected_amount, line.amount, line.difference, line.currency, line.reconcile_note) for line in lines)
    return csv_response(f"statement-{statement.id}-differences.csv", header, rows)


def register_reconciliation_ui() -> None:
    """The Finance menu's link and the finance home's "unreconciled items" panel."""
    register_nav_link("finance", "reconciliation.index", _l("Reconciliation"), "finance.reconcile")
    for role in ("finance", "admin"):
        register_home_panel(role, unreconciled_items_panel)


def unreconciled_items_panel(user=None) -> str:
    """The finance home's "unreconciled items" panel: open statements and their unexplained lines."""
    if user is not None and not user.can("finance.reconcile"):
        return ""
    return render_template("reconciliation/_home_panel.html", summary=services.unreconciled_items())
