"""The handheld shell (PWA): a task menu by role, the scan protocol, and the stock lookup screen.

Every handheld screen is a page with one scan form (`data-scan-form`): static/js/scanner.js keeps the
scan field focused and puts every scan into its queue (kept in IndexedDB) with its own Idempotency-Key
(the scan id), one request at a time, each against the form the previous answer rendered, so retries,
replays and offline scans apply once and in order; it plays the sound the server names in HX-Trigger.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from markupsafe import Markup
from sqlalchemy import select

from erp_core.api.idempotency import idempotent
from erp_core.auth.guard import public, requires
from erp_core.catalog.services import find_sku_by_scan
from erp_core.errors import DomainError
from erp_core.extensions import db
from erp_core.inventory.models import Location, Quant
from erp_core.messages import describe
from wms.commands import Command, Scanned, parse
from wms.scanning import ScanRefused, unknown_code

bp = Blueprint("handheld", __name__)


@dataclass(frozen=True)
class HandheldTask:
    endpoint: str
    label: object  # a lazy translated string
    permission: str
    icon: str  # the name of an SVG in static/icons/ (emoji need a font handhelds often lack)


# Screens add themselves here (issue by issue); the menu shows those the user's role may open.
TASKS: list[HandheldTask] = [HandheldTask("handheld.lookup", _l("Stock lookup"), "stock.view", "search"),
                             HandheldTask("handheld.commands_sheet", _l("Command sheet"), "dashboard.view", "barcode")]
ICON_DIR = Path(__file__).resolve().parent.parent / "static" / "icons"
_ICON_NAME = re.compile(r"[a-z0-9-]+")


@cache
def icon(name: str) -> Markup:
    """An icon from static/icons/ inlined (so it takes the text colour and costs no request); the
    generic task icon for an unknown name. The files are ours, never user data."""
    path = ICON_DIR / f"{name}.svg"
    if not _ICON_NAME.fullmatch(name) or not path.is_file():
        path = ICON_DIR / "task.svg"
    return Markup(path.read_text(encoding="utf-8").strip())  # noqa: S704  (a static file of the repository)


def register_task(task: HandheldTask) -> None:
    if all(t.endpoint != task.endpoint for t in TASKS):
        TASKS.append(task)


# A header larger than a proxy's buffer (nginx: 4-8 KB) fails the whole answer: the sound's message
# is cut, the fragment keeps it whole. A refusal can quote the scanned code, which can be anything.
TRIGGER_MESSAGE_LIMIT = 300


def scan_result(template: str, *, ok: bool, message: str = "", **context):
    """A scan's answer: the fragment, and the sound to play (HX-Trigger scan-ok / scan-error)."""
    response = make_response(render_template(template, ok=ok, message=message, **context))
    said = message if len(message) <= TRIGGER_MESSAGE_LIMIT else message[:TRIGGER_MESSAGE_LIMIT - 1] + "…"
    response.headers["HX-Trigger"] = json.dumps({"scan-ok" if ok else "scan-error": said})
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


# --- command barcodes ----------------------------------------------------------------------------

COMMAND_LABELS = {Command.DONE: _l("Done"), Command.SHORT: _l("Short pick"), Command.SKIP: _l("Skip"),
                  Command.UNDO: _l("Undo last scan"), Command.NEXT: _l("Next task"),
                  Command.PAUSE: _l("Pause cart"), Command.LOGOUT: _l("Log out")}
COMMAND_HINTS = {Command.DONE: _l("Finish the cart, the bin or the count when all of it is done."),
                 Command.SHORT: _l("The bin holds fewer than asked: report a short pick."),
                 Command.SKIP: _l("Leave this pick for later: it moves to the end of the cart."),
                 Command.UNDO: _l("Take back the last scan that is not confirmed yet."),
                 Command.NEXT: _l("Go on to the next task, cart or count."),
                 Command.PAUSE: _l("Stop this cart; you or a colleague can continue it."),
                 Command.LOGOUT: _l("Log out of this handheld.")}

# screen -> what each command does there; every scan route names its screen (`handheld_commands`).
CommandHandler = Callable[..., object]
COMMAND_SCREENS: dict[str, dict[Command, CommandHandler]] = {}


def register_commands(screen: str, handlers: dict[Command, CommandHandler]) -> None:
    """A screen says what the command codes do on it (the others are refused there, logout works everywhere)."""
    COMMAND_SCREENS.setdefault(screen, {}).update(handlers)


def command_refused(error: DomainError):
    """A refused command leaves the screen as it was: the refusal goes to the notice strip of the
    handheld's page (HX-Retarget), with the error sound, and the scan form keeps its step."""
    response = scan_refused("handheld/_scan_error.html", error)
    response.headers["HX-Retarget"] = "#hh-notice"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


def hx_redirect(url: str):
    """Leave the screen: htmx follows HX-Redirect; a plain POST (no htmx) follows the 303."""
    if request.headers.get("HX-Request"):
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def command_logout():
    """CMD-LOGOUT: the scan is a POST carrying the CSRF token, so a link elsewhere cannot log a picker out."""
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return hx_redirect(url_for("auth.login"))


def run_command(screen: str, scanned: Scanned, **view_args):
    if scanned.command is None:
        return command_refused(ScanRefused(f"unknown command {scanned.code}", code="unknown_command",
                                           scanned=scanned.code))
    if scanned.command is Command.LOGOUT:
        return command_logout()
    handler = COMMAND_SCREENS.get(screen, {}).get(scanned.command)
    if handler is None:
        return command_refused(ScanRefused(f"{scanned.code} does nothing on this screen", code="command_not_here",
                                           scanned=scanned.code, command=str(COMMAND_LABELS[scanned.command])))
    try:
        return handler(**view_args)
    except DomainError as error:
        return command_refused(error)


def handheld_commands(screen: str):
    """Wrap a scan route (inside @idempotent, so a replayed command is applied once): a scanned
    command code is done by the screen's handler instead of being read as a bin, an item or a slot."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            scanned = parse(request.form.get("code"))
            if scanned is None:
                return view(*args, **kwargs)
            return run_command(screen, scanned, **kwargs)

        return wrapper

    return decorate


@bp.route("/commands.pdf")
@requires("dashboard.view")
def commands_sheet():
    """The printable command sheet (A4): each command's barcode, its name in English and Chinese."""
    from .command_sheet import command_sheet_pdf

    response = make_response(command_sheet_pdf())
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = 'inline; filename="commands.pdf"'
    return response


@bp.route("/")
@requires("dashboard.view")
def home():
    from .handheld_home import shift_stats, waiting_work

    tasks = [t for t in TASKS if current_user.can(t.permission) and t.endpoint in current_app.view_functions]
    return render_template("handheld/home.html", tasks=tasks, icon=icon, stats=shift_stats(current_user.id),
                           waiting=waiting_work(current_user.id, current_user.warehouse_ids()))


@bp.route("/ping")
@requires("dashboard.view")
def ping():
    """An authenticated no-op (login, session and guard, no database work): the baseline the
    scan.roundtrip benchmark compares a pick scan with, and a cheap "am I still logged in?"."""
    return {"ok": True}


@bp.route("/lookup")
@requires("stock.view")
def lookup():
    return render_template("handheld/lookup.html")


@bp.route("/lookup/scan", methods=["POST"])
@requires("stock.view")
@idempotent
@handheld_commands("lookup")
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
