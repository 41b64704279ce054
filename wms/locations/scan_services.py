"""The handheld's receiving, putaway, replenishment and count scans as services: one scan, one unit of work.

Each resolves what was scanned, asks the flow's pure step function (`inbound_steps`,
`replenish_steps`, `count_steps`) what the scan means and, when it completes something, confirms it
through the flow's service (`inbound.receive_scan`, `inbound.confirm_putaway`,
`replenishment.confirm_replenishment`, `counts.count_item` ...). All of it runs in one `atomic()`:
inside the request's own transaction (the idempotency layer's) that is a savepoint, so a refused or
failed scan undoes exactly its own work, whatever it wrote before failing.
"""

from __future__ import annotations

from sqlalchemy import select

from erp_core.catalog.services import find_sku_by_scan
from erp_core.db import atomic
from erp_core.errors import DomainError, NotFound
from erp_core.extensions import db
from erp_core.inventory.models import Location

from ..scanning import unknown_code
from . import inbound
from .inbound_steps import ReceiveState, receive_step
from .models import Asn, PutawayTask

# --- Receiving ------------------------------------------------------------------------------------


def open_receipt(code: str, *, warehouse_ids: set[int] | None) -> Asn:
    """The ASN whose reference was scanned, when it lies in the user's warehouses and can be received."""
    code = code.strip()
    asn = inbound.asn_by_reference(code) if code else None
    if asn is None or (warehouse_ids is not None and asn.warehouse_id not in warehouse_ids):
        raise NotFound(f"No ASN has this reference: {code or '–'}", code="unknown_asn", scanned=code or "–")
    inbound.require_receivable(asn)
    return asn


def scan_receipt(asn_id: int, state: ReceiveState, *, user_id: int) -> inbound.ReceiptScan:
    """One receiving scan: the units into staging, or into the damaged bin (`inbound.receive_scan`,
    which locks the ASN). A refused or failed scan receives nothing."""
    with atomic():
        step = receive_step(state)
        if isinstance(step, DomainError):
            raise step
        sku = find_sku_by_scan(step.code) if step.code else None
        if sku is None:
            raise unknown_code(step.code)
        return inbound.receive_scan(asn_id, sku.id, step.quantity, damaged=step.damaged, user_id=user_id)


# --- Putaway --------------------------------------------------------------------------------------

def find_putaway(code: str, *, warehouse_ids: set[int] | None) -> PutawayTask:
    """The oldest open putaway task of the item scanned in staging."""
    code = code.strip()
    sku = find_sku_by_scan(code) if code else None
    if sku is None:
        raise unknown_code(code)
    tasks = inbound.open_tasks(warehouse_ids, sku_id=sku.id)
    if not tasks:
        raise NotFound(f"No open putaway task for {sku.code}.", code="no_putaway_task", sku=sku.code)
    return tasks[0]


def scan_putaway(task_id: int, code: str, *, user_id: int) -> inbound.PutawayDone:
    """The bin the units went into was scanned: `inbound.confirm_putaway` (task and bin locked)."""
    code = code.strip()
    with atomic():
        loc = db.session.scalar(select(Location).where(Location.barcode == code, Location.kind == "bin")) \
            if code else None
        if loc is None:
            raise NotFound(f"No bin has this barcode: {code or '–'}", code="unknown_bin", scanned=code or "–")
        return inbound.confirm_putaway(task_id, loc.id, user_id=user_id)
