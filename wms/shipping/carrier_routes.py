"""The carriers admin (快递公司): carriers, their number pools and the carrier-choice rules; and the
shipments block of the order page (what was shipped, by whom, why that carrier, its tracking)."""

from __future__ import annotations

import re
from datetime import time

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from erp_core.auth.guard import requires
from erp_core.channels.models import Channel
from erp_core.errors import ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Warehouse
from erp_core.messages import describe

from . import carrier_services as cs
from .carriers.base import known_adapters
from .check_rules import RULES, NumberRange, parse_list
from .models import CARRIER_KINDS, LABEL_FORMATS, Carrier, CarrierRule, Shipment

bp = Blueprint("carriers", __name__)

KIND_LABELS = {"pool": _l("Number pool"), "manual": _l("Typed or scanned"), "api": _l("API adapter")}
RULE_LABELS = {"none": _l("None (no public rule)"), "s10": _l("UPU S10 (EMS, China Post international)"),
               "ups_1z": _l("UPS 1Z"), "luhn": _l("Luhn mod 10"), "gs1_mod10": _l("GS1 mod 10")}
PROBLEM_LABELS = {"bad_characters": _l("Only letters and digits, 6 to 40 of them"),
                  "bad_format": _l("Not in the carrier's format"), "bad_check_digit": _l("Wrong check digit"),
                  "duplicate_in_import": _l("Twice in this import"), "already_in_pool": _l("Already in the pool"),
                  "unknown_rule": _l("Unknown check rule")}
SHIPMENT_STATUS_LABELS = {"packed": _l("Packed"), "manifested": _l("On a handover"), "shipped": _l("Shipped"),
                          "cancelled": _l("Cancelled")}
TRACKING_LABELS = {"picked_up": _l("Picked up"), "in_transit": _l("In transit"), "delivering": _l("Out for delivery"),
                   "delivered": _l("Delivered"), "returned": _l("Returned"), "refused": _l("Refused"),
                   "exception": _l("Carrier exception")}
FIXED_NOTES = {"chosen at the desk": _l("chosen at the desk"), "the order's carrier": _l("the order's carrier"),
               "no carrier rule matched: choose one at the desk": _l("no carrier rule matched: choose one at the desk")}
_RULE_NOTE = re.compile(r"^rule #(\d+) \(priority (\d+)\): (.*)$")
_WEIGHT_PART = re.compile(r"^weight (\d+) g in (\d+)-(\d*) g$")


def carrier_note_text(note: str) -> str:
    """The stored explanation of a carrier choice in the reader's language."""
    if note in FIXED_NOTES:
        return str(FIXED_NOTES[note])
    found = _RULE_NOTE.match(note or "")
    if not found:
        return note or ""
    parts = []
    for part in found.group(3).split("; "):
        weight = _WEIGHT_PART.match(part)
        if part == "any order":
            parts.append(_("any order"))
        elif weight:
            parts.append(_("weight %(w)s g within %(low)s–%(high)s g", w=weight.group(1), low=weight.group(2),
                           high=weight.group(3) or "∞"))
        elif part.startswith("warehouse "):
            parts.append(_("warehouse %(code)s", code=part[10:]))
        elif part.startswith("channel "):
            parts.append(_("channel %(code)s", code=part[8:]))
        elif part.startswith("province "):
            parts.append(_("province %(name)s", name=part[9:]))
        else:
            parts.append(part)
    return _("rule #%(id)s (priority %(priority)s): %(why)s", id=found.group(1), priority=found.group(2),
             why="; ".join(parts))


def order_shipments(order_id: int) -> list[Shipment]:
    return list(db.session.scalars(select(Shipment).filter_by(order_id=order_id).order_by(Shipment.id)))


def register_order_panel(app: Flask) -> None:
    """Give the order page (erp_core's template, which knows nothing of wms) its shipments block."""
    app.jinja_env.globals.update(
        order_shipments=order_shipments, carrier_note_text=carrier_note_text,
        shipment_status_label=lambda code: str(SHIPMENT_STATUS_LABELS.get(code, code)),
        tracking_label=lambda code: str(TRACKING_LABELS.get(code, code)))


def _form_values() -> dict:
    form = request.form
    values = {name: form.get(name, "") for name in ("name", "name_zh", "kind", "adapter", "check_rule",
                                                   "label_format", "api_url", "api_key", "cost_table")}
    values["active"] = form.get("active") == "on"
    values["clear_api_key"] = form.get("clear_api_key") == "on"
    hours = form.get("tracking_stale_hours", "72").strip()
    if not hours.isdigit():
        raise ValidationFailed("stale-tracking hours are 1 to 1440", code="bad_stale_hours")
    values["tracking_stale_hours"] = int(hours)
    values["cutoff_time"] = _cutoff(form.get("cutoff_time", "").strip())
    return values


def _cutoff(text: str) -> time | None:
    """The cut-off field: HH:MM local time, or empty for none."""
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError as error:
        raise ValidationFailed("the cut-off is a time of day (HH:MM)", code="bad_cutoff_time") from error


def _choices() -> dict:
    return {"kinds": CARRIER_KINDS, "kind_labels": KIND_LABELS, "rules": RULES, "rule_labels": RULE_LABELS,
            "formats": LABEL_FORMATS, "adapters": known_adapters()}


@bp.route("/")
@requires("shipping.manage")
def index():
    carriers = db.session.scalars(select(Carrier).order_by(Carrier.code)).all()
    counts = {c.id: cs.pool_counts(c.id) for c in carriers if c.kind == "pool"}
    return render_template("shipping/carrier_list.html", carriers=carriers, counts=counts, **_choices())


@bp.route("/", methods=["POST"])
@requires("shipping.manage")
def create():
    carrier = cs.create_carrier(request.form.get("code", ""), _form_values())
    flash(_("Carrier %(code)s added.", code=carrier.code), "success")
    return redirect(url_for("carriers.edit", code=carrier.code))


def _edit_page(carrier: Carrier, *, problems: list | None = None, message: str = "", status: int = 200):
    counts = cs.pool_counts(carrier.id) if carrier.kind == "pool" else None
    return render_template("shipping/carrier_edit.html", carrier=carrier, counts=counts, problems=problems or [],
                           problem_labels=PROBLEM_LABELS, import_message=message, **_choices()), status


@bp.route("/<code>")
@requires("shipping.manage")
def edit(code: str):
    return _edit_page(cs.get_carrier(code))


@bp.route("/<code>", methods=["POST"])
@requires("shipping.manage")
def update(code: str):
    carrier = cs.update_carrier(code, _form_values())
    flash(_("Carrier %(code)s saved.", code=carrier.code), "success")
    return redirect(url_for("carriers.edit", code=carrier.code))


def _entries() -> list[tuple[str, int, str]]:
    """The numbers of the import form: the pasted list, then each uploaded file, with their lines."""
    entries = [(_("pasted list"), line, n) for line, n in parse_list(request.form.get("numbers", ""))]
    for upload in request.files.getlist("files"):
        if upload and upload.filename:
            text = upload.read().decode("utf-8-sig", errors="replace")
            entries += [(upload.filename, line, n) for line, n in parse_list(text)]
    return entries


@bp.route("/<code>/numbers", methods=["POST"])
@requires("shipping.manage")
def import_numbers(code: str):
    carrier = cs.get_carrier(code)
    try:
        if request.form.get("mode") == "range":
            added = cs.import_range(carrier.id, NumberRange(
                prefix=request.form.get("prefix", ""), start=request.form.get("start", ""),
                end=request.form.get("end", ""), suffix=request.form.get("suffix", ""),
                add_check_digit=request.form.get("add_check_digit") == "on"))
        else:
            added = cs.import_numbers(carrier.id, _entries())
    except ValidationFailed as error:
        if error.code != "pool_import_refused":
            raise
        return _edit_page(carrier, problems=error.details["problems"], message=describe(error), status=422)
    flash(_("%(count)s numbers imported into the pool of %(code)s.", count=added, code=carrier.code), "success")
    return redirect(url_for("carriers.edit", code=carrier.code))


def _rule_values() -> dict:
    form = request.form

    def grams(name: str) -> int | None:
        raw = form.get(name, "").strip()
        if not raw:
            return None
        if not raw.isdigit():
            raise ValidationFailed("weights are whole grams", code="bad_rule_weights")
        return int(raw)

    priority = form.get("priority", "100").strip()
    if not priority.isdigit():
        raise ValidationFailed("priority is 0 to 100000", code="bad_rule_priority")
    return {"priority": int(priority), "carrier": form.get("carrier", ""), "warehouse": form.get("warehouse", ""),
            "channel": form.get("channel", ""), "provinces": form.get("provinces", ""),
            "min_weight_g": grams("min_weight_g"), "max_weight_g": grams("max_weight_g"),
            "active": form.get("active") == "on"}


@bp.route("/rules")
@requires("shipping.manage")
def rules():
    return render_template(
        "shipping/carrier_rules.html",
        rules=db.session.scalars(select(CarrierRule).order_by(CarrierRule.priority, CarrierRule.id)).all(),
        carriers=db.session.scalars(select(Carrier).order_by(Carrier.code)).all(),
        warehouses={w.id: w for w in db.session.scalars(select(Warehouse).order_by(Warehouse.code))},
        channels={c.id: c for c in db.session.scalars(select(Channel).order_by(Channel.code))})


@bp.route("/rules", methods=["POST"])
@requires("shipping.manage")
def create_rule():
    rule = cs.create_rule(_rule_values())
    flash(_("Rule #%(id)s added.", id=rule.id), "success")
    return redirect(url_for("carriers.rules"))


@bp.route("/rules/<int:rule_id>", methods=["POST"])
@requires("shipping.manage")
def change_rule(rule_id: int):
    if request.form.get("action") == "delete":
        cs.delete_rule(rule_id)
        flash(_("Rule #%(id)s removed.", id=rule_id), "success")
    else:
        cs.update_rule(rule_id, _rule_values())
        flash(_("Rule #%(id)s saved.", id=rule_id), "success")
    return redirect(url_for("carriers.rules"))
