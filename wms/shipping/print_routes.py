"""Printers (set-up per station, shipping.manage) and the print-jobs page (status, retry, reprint,
download): a packer sees the jobs of the station they chose, a manager sees every job."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from erp_core.auth.guard import requires
from erp_core.extensions import db
from erp_core.inventory.models import Location, Warehouse

from . import printing
from .models import LABEL_FORMATS, PRINT_JOB_STATUSES, PRINTER_KINDS, Printer, PrintJob

bp = Blueprint("printing", __name__)

STATION_KEY = "print_station"


def _warehouses() -> list[Warehouse]:
    allowed = current_user.warehouse_ids()
    rows = db.session.scalars(select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.code)).all()
    return [w for w in rows if allowed is None or w.id in allowed]


def _stations(warehouse_ids: list[int]) -> list[Location]:
    return list(db.session.scalars(select(Location).where(
        Location.warehouse_id.in_(warehouse_ids), Location.bin_type == "packing", Location.active.is_(True))
        .order_by(Location.warehouse_id, Location.code)))


def _spec(form) -> printing.PrinterSpec:
    def number(name: str, default: int | None) -> int | None:
        value = form.get(name, "").strip()
        return int(value) if value.isdigit() else default

    warehouse_id = number("warehouse_id", 0) or 0
    if not current_user.may_access_warehouse(warehouse_id):
        abort(403)
    return printing.PrinterSpec(
        name=form.get("name", ""), warehouse_id=warehouse_id, kind=form.get("kind", "browser"),
        address=form.get("address", ""), language=form.get("language", "pdf"), dpi=number("dpi", 203) or 203,
        label_format=form.get("label_format", "100x150"), station_location_id=number("station_location_id", None),
        active=form.get("active") == "1")


def _my_printer(printer_id: int) -> Printer:
    printer = db.session.get(Printer, printer_id)
    if printer is None:
        abort(404)
    if not current_user.may_access_warehouse(printer.warehouse_id):
        abort(403)
    return printer


def _form_page(printer: Printer | None, form: dict, status: int = 200):
    warehouses = _warehouses()
    return render_template("shipping/print_printer_form.html", printer=printer, form=form, warehouses=warehouses,
                           stations=_stations([w.id for w in warehouses]), kinds=PRINTER_KINDS,
                           label_formats=LABEL_FORMATS), status


@bp.route("/printers")
@requires("shipping.manage")
def printers():
    ids = [w.id for w in _warehouses()]
    rows = db.session.scalars(select(Printer).where(Printer.warehouse_id.in_(ids))
                              .order_by(Printer.warehouse_id, Printer.name)).all()
    stations = {s.id: s for s in _stations(ids)}
    return render_template("shipping/print_printers.html", printers=rows, stations=stations)


@bp.route("/printers/new", methods=["GET", "POST"])
@requires("shipping.manage")
def new_printer():
    if request.method == "GET":
        return _form_page(None, {"kind": "tcp9100", "language": "zpl", "dpi": "203", "active": "1"})
    printer = printing.create_printer(_spec(request.form))
    flash(_("Printer %(name)s added.", name=printer.name), "success")
    return redirect(url_for("printing.printers"))


@bp.route("/printers/<int:printer_id>", methods=["GET", "POST"])
@requires("shipping.manage")
def edit_printer(printer_id: int):
    printer = _my_printer(printer_id)
    if request.method == "GET":
        form = {c: getattr(printer, c) for c in ("name", "warehouse_id", "kind", "address", "language", "dpi",
                                                 "label_format", "station_location_id")}
        return _form_page(printer, {k: "" if v is None else str(v) for k, v in form.items()}
                          | {"active": "1" if printer.active else ""})
    printing.update_printer(printer.id, _spec(request.form))
    flash(_("Printer %(name)s saved.", name=printer.name), "success")
    return redirect(url_for("printing.printers"))


@bp.route("/printers/<int:printer_id>/delete", methods=["POST"])
@requires("shipping.manage")
def delete_printer(printer_id: int):
    printer = _my_printer(printer_id)
    name = printer.name
    printing.delete_printer(printer.id)
    flash(_("Printer %(name)s removed.", name=name), "success")
    return redirect(url_for("printing.printers"))


def _chosen_station(stations: list[Location]) -> int | None:
    wanted = request.args.get("station", type=int)
    if wanted is not None:
        session[STATION_KEY] = wanted
    chosen = session.get(STATION_KEY)
    return chosen if any(s.id == chosen for s in stations) else None


@bp.route("/print-jobs")
@requires("packing.work")
def jobs():
    """Recent jobs: of the chosen station for a packer, of every printer (or one station) for a manager."""
    warehouse_ids = [w.id for w in _warehouses()]
    stations = _stations(warehouse_ids)
    station = _chosen_station(stations)
    manager = current_user.can("shipping.manage")
    stmt = (select(PrintJob).join(Printer).where(Printer.warehouse_id.in_(warehouse_ids))
            .order_by(PrintJob.id.desc()).limit(100))
    if station is not None:
        stmt = stmt.where(Printer.station_location_id == station)
    wanted_status = request.args.get("status", "")
    if wanted_status in PRINT_JOB_STATUSES:
        stmt = stmt.where(PrintJob.status == wanted_status)
    rows = db.session.scalars(stmt).all() if (manager or station is not None) else []
    return render_template("shipping/print_jobs.html", jobs=rows, stations=stations, station=station,
                           manager=manager, statuses=PRINT_JOB_STATUSES, wanted_status=wanted_status)


def _my_job(job_id: int) -> PrintJob:
    """A job the user may act on: any job of their warehouses for a manager, their station's for a packer."""
    job = db.session.get(PrintJob, job_id)
    if job is None:
        abort(404)
    if not current_user.may_access_warehouse(job.printer.warehouse_id):
        abort(403)
    if not current_user.can("shipping.manage") and (
            job.printer.station_location_id is None or job.printer.station_location_id != session.get(STATION_KEY)):
        abort(403)
    return job


@bp.route("/print-jobs/<int:job_id>/retry", methods=["POST"])
@requires("packing.work")
def retry(job_id: int):
    printing.retry_job(_my_job(job_id).id)
    flash(_("Print job %(job)s sent again.", job=job_id), "success")
    return redirect(request.referrer or url_for("printing.jobs"))


@bp.route("/print-jobs/<int:job_id>/reprint", methods=["POST"])
@requires("packing.work")
def reprint(job_id: int):
    printing.reprint_job(_my_job(job_id).id)
    flash(_("Print job %(job)s queued for a reprint.", job=job_id), "success")
    return redirect(request.referrer or url_for("printing.jobs"))


@bp.route("/print-jobs/<int:job_id>/download")
@requires("packing.work")
def download(job_id: int):
    """The job's document, for a browser printer (or to look at what was sent)."""
    job = _my_job(job_id)
    extension = "pdf" if job.content_type == printing.PDF else "zpl"
    # The reference is our own (SHP-..., MAN-...), but keep the header plain ASCII whatever it holds.
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{job.document}-{job.reference or job.id}")
    answer = make_response(job.payload)
    answer.headers["Content-Type"] = job.content_type
    disposition = "inline" if job.content_type == printing.PDF else "attachment"
    answer.headers["Content-Disposition"] = f'{disposition}; filename="{stem}.{extension}"'
    return answer
