"""Admin pages of operations: backups (list, create, verify; restore only from the command line, with
the app stopped) and the integrity check with its repair proposals, each applied by a person."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.guard import requires
from ..errors import DomainError
from ..messages import describe
from ..navigation import register_nav_link
from .backups import create_backup, list_backups, verify_backup
from .integrity import FINDING_TEXTS, run_integrity_check
from .repair import apply_proposal

bp = Blueprint("ops", __name__)

KIND_LABELS = {
    "quant_vs_moves": _l("Quant ≠ sum of moves"),
    "impossible_quant": _l("Negative or over-reserved quant"),
    "reserved_vs_rows": _l("Reserved ≠ reservations"),
    "closed_order_reserved": _l("Reservation of a closed order"),
    "shipped_not_received": _l("Shipped but never received"),
    "lot_mismatch": _l("Lot mismatch"),
    "reservation_lines": _l("Order line reservations"),
    "journal": _l("Journal balance"),
}
assert set(KIND_LABELS) == set(FINDING_TEXTS)


def register_ops_ui() -> None:
    register_nav_link("settings", "ops.backups", _l("Backups"), "admin.backups")
    register_nav_link("settings", "ops.integrity", _l("Integrity check"), "admin.integrity")


@bp.route("/backups")
@requires("admin.backups")
def backups():
    return render_template("ops/backups.html", backups=list(reversed(list_backups())))


@bp.route("/backups", methods=["POST"])
@requires("admin.backups")
def create():
    try:
        backup = create_backup()
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("Backup %(name)s created.", name=backup.name), "success")
    return redirect(url_for("ops.backups"))


@bp.route("/backups/<name>/verify", methods=["POST"])
@requires("admin.backups")
def verify(name: str):
    try:
        result = verify_backup(name)
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(url_for("ops.backups"))
    return render_template("ops/backups.html", backups=list(reversed(list_backups())), verification=result)


@bp.route("/integrity")
@requires("admin.integrity")
def integrity():
    return render_template("ops/integrity.html", findings=run_integrity_check(), kinds=KIND_LABELS)


@bp.route("/integrity/apply", methods=["POST"])
@requires("admin.integrity")
def apply():
    try:
        apply_proposal(request.form.get("proposal", ""), user_id=current_user.id)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("The repair was applied."), "success")
    return redirect(url_for("ops.integrity"))
