"""Printers per station and the print queue (打印队列).

A document to print becomes a ``PrintJob`` row written in the caller's transaction
(:func:`enqueue_print`); only after that transaction commits is the job handed to the task queue
(``erp_core.db.on_commit`` enqueues the huey task ``printing.send``; a job consumer sends it in an
app context of its own), so a request never waits for a printer and a rolled-back pack-out prints
nothing. The sender claims the job (queued -> printing, a compare-and-set, so two senders never
print one job twice), tries the printer a few times with a growing pause, and ends it ``done`` or
``failed`` with the printer's error. A failed job is retried, a done one reprinted, from the
print-jobs page; a periodic task (wms/periodic.py) resends jobs whose message was lost in a restart.

Senders: raw TCP 9100 (ZPL straight to the printer's socket), CUPS (``lp`` run with an argument
list, never a shell, the queue name checked), and the browser (nothing is sent: the job is a
download link at the desk).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select, update

from erp_core.db import atomic, locked, on_commit
from erp_core.errors import Conflict, NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Location, Warehouse
from erp_core.jobs.queue import current_app_for_jobs, huey
from erp_core.models_base import utcnow
from erp_core.statemachine import compare_and_set

from .models import LABEL_FORMATS, PRINT_JOB_TRANSITIONS, PRINTER_KINDS, Printer, PrintJob

log = logging.getLogger(__name__)

PDF = "application/pdf"
ZPL = "application/x-zpl"
DEFAULT_PORT = 9100
LANGUAGES = ("zpl", "pdf")
# CUPS queue names: letters, digits, '_', '-', '.'; never a leading '-' (it would read as an option of lp).
QUEUE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,126}$")
HOST_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")
#: A job still queued this long after it was written lost its sender thread (a restart): resend it.
RESEND_AFTER = timedelta(minutes=1)


class PrintFailed(Exception):
    """The printer (or lp) did not take the document; the message is kept on the job."""


def _setting(name: str, default: float) -> float:
    """A print setting from the app config, else the environment (PRINT_TIMEOUT_SECONDS, ...)."""
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name, default)
    return float(value)


# --- printers --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PrinterSpec:
    """A printer as the form or the API gives it."""

    name: str
    warehouse_id: int
    kind: str = "browser"
    address: str = ""
    language: str = "pdf"
    dpi: int = 203
    label_format: str = "100x150"
    station_location_id: int | None = None
    active: bool = True


def tcp_address(address: str) -> tuple[str, int]:
    """``host[:port]`` of a raw-TCP printer (port 9100 when none is given)."""
    host, _, port = address.strip().rpartition(":") if ":" in address else (address.strip(), "", "")
    if not host or not HOST_NAME.match(host) or (port and not (port.isdigit() and 0 < int(port) < 65536)):
        raise ValidationFailed("a network printer's address is host or host:port (e.g. 192.168.1.50:9100)",
                               code="printer_address_invalid", address=address)
    return host, int(port) if port else DEFAULT_PORT


def _checked(spec: PrinterSpec) -> dict:
    name = spec.name.strip()
    if not name:
        raise ValidationFailed("a printer needs a name", code="printer_name_required")
    if spec.kind not in PRINTER_KINDS:
        raise ValidationFailed(f"unknown printer kind {spec.kind}", code="printer_kind_unknown", kind=spec.kind)
    if spec.language not in LANGUAGES or spec.dpi not in (203, 300) or spec.label_format not in LABEL_FORMATS:
        raise ValidationFailed("choose a known language, resolution and label size", code="printer_settings_invalid")
    if db.session.get(Warehouse, spec.warehouse_id) is None:
        raise NotFound("no such warehouse", code="unknown_warehouse")
    address = spec.address.strip()
    if spec.kind == "tcp9100":
        host, port = tcp_address(address)
        address = f"{host}:{port}"
    elif spec.kind == "cups" and not QUEUE_NAME.match(address):
        raise ValidationFailed("a CUPS queue name has letters, digits, '_', '-' or '.' only",
                               code="printer_queue_invalid", address=address)
    elif spec.kind == "browser":
        address = ""
    if spec.station_location_id is not None:
        station = db.session.get(Location, spec.station_location_id)
        if station is None or station.warehouse_id != spec.warehouse_id or station.bin_type != "packing":
            raise ValidationFailed("a printer's station is a packing bin of its warehouse",
                                   code="printer_station_invalid")
    return {"name": name[:80], "warehouse_id": spec.warehouse_id, "kind": spec.kind, "address": address,
            "language": spec.language, "dpi": spec.dpi, "label_format": spec.label_format,
            "station_location_id": spec.station_location_id, "active": bool(spec.active)}


def create_printer(spec: PrinterSpec) -> Printer:
    """Add a printer to a warehouse (and a station)."""
    with atomic():
        printer = Printer(**_checked(spec))
        db.session.add(printer)
        db.session.flush()
        return printer


def get_printer(printer_id: int) -> Printer:
    printer = db.session.get(Printer, printer_id)
    if printer is None:
        raise NotFound("no such printer", code="unknown_printer", printer_id=printer_id)
    return printer


def update_printer(printer_id: int, spec: PrinterSpec) -> Printer:
    """Change a printer's settings; jobs already queued go to its new address."""
    with atomic():
        printer = locked(Printer, printer_id) or get_printer(printer_id)
        for name, value in _checked(spec).items():
            setattr(printer, name, value)
        db.session.flush()
        return printer


def delete_printer(printer_id: int) -> None:
    """Remove a printer that never printed; one with jobs is kept for their history (deactivate it)."""
    with atomic():
        printer = get_printer(printer_id)
        if db.session.scalar(select(PrintJob.id).where(PrintJob.printer_id == printer.id).limit(1)) is not None:
            raise Conflict(f"printer {printer.name} has print jobs: deactivate it instead", code="printer_has_jobs",
                           printer=printer.name)
        db.session.delete(printer)


def station_printer(station_location_id: int, language: str | None = None) -> Printer | None:
    """The station's active printer (of that language, when given): the one a desk prints to."""
    stmt = select(Printer).where(Printer.station_location_id == station_location_id, Printer.active.is_(True))
    if language:
        stmt = stmt.where(Printer.language == language)
    return db.session.scalar(stmt.order_by(Printer.id).limit(1))


# --- the queue -------------------------------------------------------------------------------------

def enqueue_print(printer_id: int, document: str, reference: str, payload: bytes, content_type: str = PDF,
                  user_id: int | None = None) -> PrintJob:
    """Queue ``payload`` for a printer in the caller's transaction; it is sent after that commits.

    Refused when the printer is unknown or inactive, the payload empty, or a PDF is sent to a ZPL
    printer (or ZPL to a PDF one): a thermal printer would print the bytes as garbage."""
    if not payload:
        raise ValidationFailed("nothing to print", code="print_payload_empty")
    with atomic():
        printer = get_printer(printer_id)
        if not printer.active:
            raise Conflict(f"printer {printer.name} is inactive", code="printer_inactive", printer=printer.name)
        language = "pdf" if content_type == PDF else "zpl"
        if printer.kind != "browser" and language != printer.language:
            raise ValidationFailed(f"printer {printer.name} prints {printer.language}, not {language}",
                                   code="printer_language_mismatch", printer=printer.name,
                                   language=printer.language)
        job = PrintJob(printer_id=printer.id, document=document[:30], reference=reference[:80], payload=payload,
                       content_type=content_type[:40], created_by_id=user_id)
        db.session.add(job)
        db.session.flush()
        _send_after_commit(job.id)
        return job


def _send_after_commit(job_id: int) -> None:
    app = current_app._get_current_object()
    on_commit(lambda: launch(app, job_id))


def launch(app: Flask, job_id: int) -> None:  # noqa: ARG001  (kept for callers; the consumer has its app)
    """Hand one job to the queue: a consumer sends it (the request that queued it has answered)."""
    try:
        send_print_task(job_id)
    except Exception:  # noqa: BLE001 (the job is committed queued: the periodic resend picks it up)
        log.exception("queueing print job %s failed", job_id)


@huey.task(name="printing.send")
def send_print_task(job_id: int) -> None:
    """The queued send; its own tries with backoff are in ``send_job`` (the claim makes a repeat harmless)."""
    run_print_job(current_app_for_jobs(), job_id)


def run_print_job(app: Flask, job_id: int) -> None:
    """The thread's body: an app context, the send, and never an exception escaping."""
    with app.app_context():
        try:
            send_job(job_id)
        except Exception:  # noqa: BLE001 (a background job must end in a state, whatever happened)
            log.exception("print job %s failed unexpectedly", job_id)
        finally:
            db.session.remove()


def send_job(job_id: int) -> str:
    """Claim a queued job, send it (with retries and backoff) and record how it ended; its final status.

    The claim is a compare-and-set queued -> printing, so of two senders one prints and the other
    leaves the job alone. No transaction is open while the printer is talked to."""
    with atomic():
        job = locked(PrintJob, job_id)
        if job is None or job.status != "queued":
            return job.status if job is not None else "missing"
        compare_and_set(job, "printing", PRINT_JOB_TRANSITIONS, what=f"print job {job.id}", code="print_job_busy")
        printer = job.printer
        kind, address, payload, content_type = printer.kind, printer.address, job.payload, job.content_type
    tries = max(1, int(_setting("PRINT_ATTEMPTS", 3)))
    pause, timeout = _setting("PRINT_BACKOFF_SECONDS", 2), _setting("PRINT_TIMEOUT_SECONDS", 10)
    error = ""
    for attempt in range(1, tries + 1):
        with atomic():
            db.session.execute(update(PrintJob).where(PrintJob.id == job_id)
                               .values(attempts=PrintJob.attempts + 1))
        try:
            deliver(kind, address, payload, content_type, timeout=timeout)
            error = ""
            break
        except PrintFailed as failure:
            error = str(failure)[:500] or "the printer refused the job"
            log.warning("print job %s, attempt %s of %s: %s", job_id, attempt, tries, error)
            if attempt < tries:
                time.sleep(pause * 2 ** (attempt - 1))
    with atomic():
        job = locked(PrintJob, job_id)
        if error:
            compare_and_set(job, "failed", PRINT_JOB_TRANSITIONS, what=f"print job {job.id}", last_error=error)
        else:
            compare_and_set(job, "done", PRINT_JOB_TRANSITIONS, what=f"print job {job.id}", last_error="",
                            done_at=utcnow())
        return job.status


def _requeue(job_id: int, wanted: str) -> PrintJob:
    """Queue a failed (retry) or done (reprint) job again; sent after commit like a new one."""
    with atomic():
        job = locked(PrintJob, job_id)
        if job is None:
            raise NotFound("no such print job", code="unknown_print_job")
        if job.status != wanted and wanted == "failed":
            raise Conflict(f"print job {job.id} is {job.status}", code="print_job_not_failed", job=job.id)
        if job.status != wanted:
            raise Conflict(f"print job {job.id} is {job.status}", code="print_job_not_done", job=job.id)
        if not job.printer.active:
            raise Conflict(f"printer {job.printer.name} is inactive", code="printer_inactive",
                           printer=job.printer.name)
        compare_and_set(job, "queued", PRINT_JOB_TRANSITIONS, what=f"print job {job.id}", code="print_job_busy",
                        last_error="", done_at=None)
        _send_after_commit(job.id)
        return job


def retry_job(job_id: int) -> PrintJob:
    """Send a failed job again (after the printer was fixed)."""
    return _requeue(job_id, "failed")


def reprint_job(job_id: int) -> PrintJob:
    """Print a done job once more (a label torn or jammed)."""
    return _requeue(job_id, "done")


def resend_stalled_jobs(app: Flask) -> int:
    """Send the jobs left queued by a lost thread (a restart between commit and send). Never raises."""
    try:
        with app.app_context():
            try:
                ids = list(db.session.scalars(select(PrintJob.id).where(
                    PrintJob.status == "queued", PrintJob.created_at < utcnow() - RESEND_AFTER).order_by(PrintJob.id)))
                for job_id in ids:
                    send_job(job_id)
                return len(ids)
            finally:
                db.session.remove()
    except Exception:
        log.exception("resending stalled print jobs failed")
        return 0


# --- senders ---------------------------------------------------------------------------------------

def deliver(kind: str, address: str, payload: bytes, content_type: str, *, timeout: float = 10) -> None:
    """Hand the bytes to the printer; raise PrintFailed with the reason when it does not take them."""
    if kind == "tcp9100":
        host, port = tcp_address(address)
        send_tcp9100(host, port, payload, timeout=timeout)
    elif kind == "cups":
        send_cups(address, payload, raw=content_type != PDF, timeout=timeout)
    elif kind != "browser":  # a browser printer has nothing to send: the desk downloads the job
        raise PrintFailed(f"unknown printer kind {kind}")


def send_tcp9100(host: str, port: int, payload: bytes, *, timeout: float = 10) -> None:
    """Raw printing (JetDirect / port 9100): connect, send every byte, close."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(payload)
            connection.shutdown(socket.SHUT_WR)  # tells the printer the job is complete
    except OSError as error:
        raise PrintFailed(f"{host}:{port}: {error.strerror or error}") from error


def send_cups(queue: str, payload: bytes, *, raw: bool, timeout: float = 10) -> None:
    """Print through CUPS: ``lp -d <queue> [-o raw] <file>``, an argument list (no shell)."""
    if not QUEUE_NAME.match(queue or ""):
        raise PrintFailed(f"invalid CUPS queue name {queue!r}")
    with tempfile.NamedTemporaryFile(prefix="wms-print-", suffix=".prn" if raw else ".pdf") as file:
        file.write(payload)
        file.flush()
        command = ["lp", "-d", queue, *(["-o", "raw"] if raw else []), file.name]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)  # noqa: S603
        except FileNotFoundError as error:
            raise PrintFailed("lp is not installed (Debian package cups-client)") from error
        except subprocess.TimeoutExpired as error:
            raise PrintFailed(f"lp did not answer within {timeout:g} s") from error
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
        raise PrintFailed(f"lp exited with {done.returncode}: {reason}"[:500])
