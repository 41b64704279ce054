"""Bin label sheets: which bins a sheet prints, each bin's label, and large sheets as a background job.

A sheet of up to JOBS_LABELS_IMMEDIATE_MAX (48) labels is made in the request; a larger one (a 720-bin
zone is ~25 s of CPU) is a job of kind ``locations.labels``, for holders of stock.view in the sheet's
warehouse. The job lays the labels out JOBS_DOCUMENT_PART at a time (reporting progress after each
part) and writes ONE file, ``job-<id>.pdf``, atomically at the end: a retry, or a job resumed after its
worker was killed, lays the sheet out again and replaces that file, never writes a second one. The
same sheet asked for twice (same bins, paper and language) is one job.
"""

from __future__ import annotations

import hashlib
import json
import re

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from erp_core.errors import NotFound
from erp_core.extensions import db
from erp_core.inventory.models import Location, Warehouse
from erp_core.jobs.models import Job
from erp_core.jobs.runner import JobRun
from erp_core.jobs.services import enqueue, job_kind, write_job_file

from ..documents import LABELS_PER_SHEET, BinLabel, bin_label_sheet, pdf_in_parts
from .services import bin_position

KIND = "locations.labels"
PERMISSION = "stock.view"
SCOPES = {"bin": _l("bin"), "aisle": _l("aisle"), "zone": _l("zone")}


def label_bins(wh: Warehouse, scope: str, code: str) -> list[Location] | None:
    """The bins of one bin, aisle or zone of the warehouse, in label order (None: no such code)."""
    if scope == "bin":
        found = db.session.scalar(select(Location).where(
            Location.warehouse_id == wh.id, Location.kind == "bin",
            (Location.code == code) | (Location.barcode == code)))
        return [found] if found is not None else None
    parent = db.session.scalar(select(Location).filter_by(warehouse_id=wh.id, kind=scope, code=code.upper()))
    if parent is None:
        return None
    aisles = [parent.id] if scope == "aisle" else list(db.session.scalars(
        select(Location.id).filter_by(warehouse_id=wh.id, kind="aisle", parent_id=parent.id)))
    return list(db.session.scalars(select(Location).where(Location.kind == "bin", Location.parent_id.in_(aisles))
                                   .order_by(Location.aisle_no, Location.code)))


def bin_label(wh: Warehouse, loc: Location) -> BinLabel:
    """A bin's label: arrow down on the floor level (the label hangs above it), up for the upper levels."""
    pos = bin_position(loc)
    arrow = None if pos.level is None else ("down" if pos.level == 1 else "up")
    return BinLabel(code=loc.code, barcode=loc.barcode or loc.code, warehouse=wh.code, zone=pos.zone,
                    aisle=pos.aisle, level=pos.level, arrow=arrow)


def sheet_name(wh: Warehouse, code: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"labels-{wh.code}-{code}.pdf")


def immediate_limit() -> int:
    """Sheets of at most this many labels are made in the request."""
    return int(current_app.config.get("JOBS_LABELS_IMMEDIATE_MAX", 48))


def start_label_job(wh: Warehouse, bins: list[Location], *, scope: str, code: str, layout: str, lang: str,
                    user_id: int | None) -> Job:
    """Queue the sheet; the same bins (codes and barcodes as they are now) on the same paper is one job."""
    digest = hashlib.sha256(json.dumps([[b.id, b.code, b.barcode] for b in bins]).encode()).hexdigest()[:24]
    args = {"warehouse_id": wh.id, "scope": scope, "code": code, "layout": layout, "lang": lang, "count": len(bins)}
    return enqueue(KIND, args, user_id=user_id, permission=PERMISSION, total=len(bins), warehouse_id=wh.id,
                   key=f"{KIND}:{user_id}:{wh.id}:{layout}:{lang}:{digest}")


def label_job_title(args: dict) -> str:
    return _("Bin labels of %(scope)s %(code)s: %(count)d labels", scope=SCOPES.get(args["scope"], args["scope"]),
             code=args["code"], count=args["count"])


@job_kind(KIND, title=label_job_title)
def run_label_job(job: JobRun) -> dict:
    args = job.args
    wh = db.session.get(Warehouse, args["warehouse_id"])
    bins = label_bins(wh, args["scope"], args["code"]) if wh is not None else None
    if not bins:  # the aisle or zone was removed meanwhile: nothing to retry
        raise NotFound("no such bin, aisle or zone", code="not_found")
    labels = [bin_label(wh, b) for b in bins]
    name = sheet_name(wh, args["code"])
    per_page = LABELS_PER_SHEET if args["layout"] == "sheet" else 1  # a part fills whole pages
    part = max(1, int(current_app.config.get("JOBS_DOCUMENT_PART", 48)) // per_page) * per_page
    job.progress(0, len(labels))
    pdf = pdf_in_parts(labels, lambda chunk: bin_label_sheet(chunk, lang=args["lang"], layout=args["layout"]),
                       per_part=part, on_part=lambda done: job.progress(done, len(labels)))
    return {"file": write_job_file(job.id, ".pdf", pdf), "mimetype": "application/pdf", "download_name": name,
            "labels": len(labels)}
