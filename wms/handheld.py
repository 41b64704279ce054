"""The handheld shell (PWA): a task menu by role, the scan protocol, and the stock lookup screen.

Every handheld screen is a page with one scan form (`data-scan-form`): static/js/scanner.js keeps the
scan field focused and puts every scan into its queue (kept in IndexedDB) with its own Idempotency-Key
(the scan id), one request at a time, each against the form the previous answer rendered, so retries,
replays and offline scans apply once and in order; it plays the sound the server names in HX-Trigger.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Blueprint, current_app, make_response, render_template, request, send_from_directory
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import public, requires
from erp_core.catalog.services import find_sku_by_scan
from erp_core.errors import DomainError
from erp_core.extensions import db
from erp_core.inventory.models import Location, Quant
from erp_core.messages import describe
from wms.scanning import unknown_code

bp = Blueprint("handheld", __name__)


@dataclass(frozen=True)
class HandheldTask:
    endpoint: str
    label: object  # a lazy translated string
    permission: str
    icon: str


# Screens add themselves here (issue by issue); the menu shows those the user's role may open.
TASKS: list[HandheldTask] = [HandheldTask("handheld.lookup", _l("Stock lookup"), "stock.view", "🔍")]


def register_task(task: HandheldTask) -> None:
    if all(t.endpoint != task.endpoint for t in TASKS):
        TASKS.append(task)


def scan_result(template: str, *, ok: bool, message: str = "", **context):
    """A scan's answer: the fragment, and the sound to play (HX-Trigger scan-ok / scan-error)."""
    response = make_response(render_template(template, ok=ok, message=message, **context))
    response.headers["HX-Trigger"] = json.dumps({"scan-ok" if ok else "scan-error": message})
    return response


def expected_of(error: DomainError) -> str:
    """What the task wanted instead (a bin, an item, a slot, a quantity), as the screen shows it."""
    expected = error.details.get("expected") or getattr(error, "expected", "") or ""
    if isinstance(expected, list | tuple | set | frozenset):
        return ", ".join(str(e) for e in expected)
    return str(expected)


def scan_refused(template: str, error: DomainError, **context):
    """The answer to any refused scan: the fragment with the refusal in the reader's language, what
    was expected shown big, and the error sound. It is a 200, so the idempotency layer stores it and
    a replayed scan gets the same refusal (the refusing service rolled back its own savepoint)."""
    return scan_result(template, ok=False, message=describe(error), expected=expected_of(error), **context)


@bp.route("/")
@requires("dashboard.view")
def home():
    tasks = [t for t in TASKS if current_user.can(t.permission) and t.endpoint in current_app.view_functions]
    return render_template("handheld/home.html", tasks=tasks)


@bp.route("/lookup")
@requires("stock.view")
def lookup():
    return render_template("handheld/lookup.html")


@bp.route("/lookup/scan", methods=["POST"])
@requires("stock.view")
@idempotent
def lookup_scan():
    """Scan a bin or an item: what lies in the bin, or where the item lies (in the user's warehouses)."""
    code = request.form.get("code", "").strip()
    allowed = current_user.warehouse_ids()
    location = db.session.scalar(select(Location).where(Location.barcode == code, Location.kind == "bin"))
    if location is not None and (allowed is None or location.warehouse_id in allowed):
        quants = db.session.scalars(select(Quant).where(Quant.location_id == location.id, Quant.quantity > 0)
                                    .order_by(Quant.id)).all()
        return scan_result("handheld/_lookup_bin.html", ok=True, location=location, quants=quants)
    sku = find_sku_by_scan(code) if code else None
    if sku is None:
        return scan_refused("handheld/_scan_error.html", unknown_code(code))
    stmt = (select(Quant).join(Location).where(Quant.sku_id == sku.id, Quant.quantity > 0,
                                               Location.usage == "internal").order_by(Location.code))
    if allowed is not None:
        stmt = stmt.where(Location.warehouse_id.in_(allowed))
    return scan_result("handheld/_lookup_sku.html", ok=True, sku=sku, quants=db.session.scalars(stmt).all())


@public
def service_worker():
    """The service worker, served from the root so its scope covers every page."""
    response = send_from_directory(current_app.static_folder, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    return response
