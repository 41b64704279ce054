"""A wave's document batches (its waybills in pick order, its packing slips) as background jobs.

A wave of up to JOBS_DOCUMENTS_IMMEDIATE_MAX (20) shipments gets its document in the request; a larger
one is a job of kind ``shipping.wave_documents`` (for holders of packing.work in the wave's warehouse):
the documents are laid out JOBS_DOCUMENT_PART shipments at a time, with progress after each part, and
written as ONE file ``job-<id>.pdf`` at the end (atomically: a retry or a resumed job replaces it). The
same batch asked for twice (same shipments and tracking numbers, same language) is one job.
"""

from __future__ import annotations

import hashlib
import json
import re

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from erp_core.errors import NotFound
from erp_core.jobs.models import Job
from erp_core.jobs.runner import JobRun
from erp_core.jobs.services import enqueue, job_kind, write_job_file
from wms.documents import pdf_in_parts

from . import labels, template_store
from .label_data import packing_slip_data, wave_shipments, waybill_data
from .models import Shipment

KIND = "shipping.wave_documents"
PERMISSION = "packing.work"
DOCUMENTS = {"waybills": _l("Waybills"), "packing_slips": _l("Packing slips")}


def immediate_limit() -> int:
    """Batches of at most this many shipments are made in the request."""
    return int(current_app.config.get("JOBS_DOCUMENTS_IMMEDIATE_MAX", 20))


def document_name(document: str, wave_reference: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{document.replace('_', '-')}-{wave_reference}.pdf")


def render_documents(document: str, shipments: list[Shipment], *, lang: str, size: str = "a4",
                     on_part=None) -> bytes:
    """ONE PDF of the shipments' waybills (each parcel a page) or packing slips, in the given order."""
    if document == "waybills":
        body = template_store.override_body("waybill.html")

        def render(chunk):
            return labels.waybills_pdf([label for s in chunk for label in waybill_data(s, lang=lang)], lang=lang,
                                       body=body)
    else:
        body = template_store.override_body("packing_slip.html")

        def render(chunk):
            return labels.packing_slips_pdf([packing_slip_data(s, lang=lang) for s in chunk], size=size, lang=lang,
                                            body=body)
    if on_part is None:
        return render(shipments)
    part = max(1, int(current_app.config.get("JOBS_DOCUMENT_PART", 48)))
    return pdf_in_parts(shipments, render, per_part=part, on_part=on_part)


def start_wave_documents_job(wave, document: str, shipments: list[Shipment], *, lang: str, size: str = "a4",
                             user_id: int | None) -> Job:
    """Queue the batch; the same shipments (with the same tracking numbers) asked for again is one job."""
    digest = hashlib.sha256(json.dumps([[s.id, s.tracking_number, s.status] for s in shipments])
                            .encode()).hexdigest()[:24]
    args = {"wave_id": wave.id, "reference": wave.reference, "document": document, "lang": lang, "size": size,
            "count": len(shipments)}
    return enqueue(KIND, args, user_id=user_id, permission=PERMISSION, total=len(shipments),
                   warehouse_id=wave.warehouse_id, key=f"{KIND}:{user_id}:{wave.id}:{document}:{lang}:{size}:{digest}")


def wave_documents_title(args: dict) -> str:
    return _("%(document)s of wave %(wave)s: %(count)d shipments",
             document=DOCUMENTS.get(args["document"], args["document"]), wave=args["reference"], count=args["count"])


@job_kind(KIND, title=wave_documents_title)
def run_wave_documents_job(job: JobRun) -> dict:
    args = job.args
    shipments = wave_shipments(args["wave_id"])
    if not shipments:
        raise NotFound("the wave has no packed shipments", code="not_found")
    job.progress(0, len(shipments))
    pdf = render_documents(args["document"], shipments, lang=args["lang"], size=args.get("size", "a4"),
                           on_part=lambda done: job.progress(done, len(shipments)))
    return {"file": write_job_file(job.id, ".pdf", pdf), "mimetype": "application/pdf",
            "download_name": document_name(args["document"], args["reference"]), "shipments": len(shipments)}
