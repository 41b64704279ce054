"""Picking by lot (批次): what an item scan names, what the step functions know of a task's lot, and
taking another lot than the task's.

An item scan is a plain barcode (or SKU code) or a GS1 element string (GS1-128 / DataMatrix): its
GTIN (AI 01) is matched against the SKU's barcodes and its lot (AI 10) says which lot was taken.
The rules of which lot may be picked are pure (`pick_steps.lot_to_pick`); this module reads their
inputs and applies the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from erp_core.catalog.models import Sku, SkuBarcode
from erp_core.catalog.services import find_sku_by_scan
from erp_core.errors import Conflict, InsufficientStock
from erp_core.extensions import db
from erp_core.inventory.lot_rules import gtin_codes, parse_gs1
from erp_core.inventory.lots import find_lot, order_shipping_limits
from erp_core.inventory.models import Lot, Quant
from erp_core.inventory.reservations import swap_reserved_lot
from wms.scanning import BinLabel

from .errors import bin_empty, wrong_lot
from .models import PickTask
from .pick_steps import LotInBin, PickTaskView


@dataclass(frozen=True)
class ItemScan:
    """What an item scan names: the SKU (None: unknown), the lot (its GS1 label's, else the one
    typed), and the code to carry to the confirmation (a GS1 string reduced to "(01)<GTIN>")."""

    sku: Sku | None
    lot: str | None
    code: str


def _lot_number(text: str | None) -> str | None:
    return " ".join((text or "").split()).upper() or None


def sku_of_gtin(gtin: str) -> Sku | None:
    """The SKU one of whose barcodes is this GTIN-14 (stored as GTIN-14, EAN-13 or UPC-A)."""
    return db.session.scalar(select(Sku).join(SkuBarcode).where(SkuBarcode.code.in_(gtin_codes(gtin))))


def read_item_scan(code: str, typed_lot: str = "") -> ItemScan:
    """The SKU and lot an item scan names (a GS1 string's lot wins over a typed one)."""
    code = code.strip()
    data = parse_gs1(code)
    if data is None:
        return ItemScan(find_sku_by_scan(code) if code else None, _lot_number(typed_lot), code)
    sku = sku_of_gtin(data.gtin) if data.gtin else None
    return ItemScan(sku, _lot_number(data.lot_number) or _lot_number(typed_lot), f"(01){data.gtin or ''}")


def lots_in_bin(sku_id: int, location_id: int) -> tuple[LotInBin, ...]:
    """Every lot of the SKU physically in the bin (held and expired ones too: they can be picked up
    by mistake), earliest expiry first, with its units nobody has reserved."""
    rows = db.session.execute(
        select(Lot.lot_number, Lot.expiry_date, Lot.on_hold, Quant.quantity - Quant.reserved_quantity)
        .join(Lot, Lot.id == Quant.lot_id)
        .where(Quant.sku_id == sku_id, Quant.location_id == location_id, Quant.quantity > 0)
        .order_by(Lot.expiry_date, Lot.id)).all()
    return tuple(LotInBin(number, expiry, bool(held), int(free)) for number, expiry, held, free in rows)


def task_view(task: PickTask) -> PickTaskView:
    """What the pick steps know of a task; for a task with a lot also the order's shipping limit
    for the SKU and the lots of the SKU in the bin."""
    slot_code = f"{task.tote.barcode}-S{task.slot}" if task.slot and task.tote is not None else ""
    lot_fields = {}
    if task.lot_id is not None:
        lot_fields = dict(lot=task.lot.lot_number, lot_expiry=task.lot.expiry_date,
                          ship_limit=order_shipping_limits(task.order).get(task.sku_id),
                          bin_lots=lots_in_bin(task.sku_id, task.location_id))
    return PickTaskView(
        bin=BinLabel(task.location.code, task.location.barcode), sku_id=task.sku_id, sku_code=task.sku.code,
        remaining=task.quantity - task.picked_quantity - task.short_quantity, slot=task.slot, slot_code=slot_code,
        **lot_fields)


def take_other_lot(task: PickTask, lot_number: str, quantity: int) -> PickTask:
    """The picker takes `quantity` units of another lot of the task's bin, one `lot_to_pick` found as
    good for the order: the line's reservation of those units is swapped from the task's lot to it,
    and the task returned is the one the pick is then booked on.

    The design, kept simple: the whole task still to pick (nothing picked or short yet) simply
    becomes a task of the new lot; otherwise (a part of the task) the picked units split off into a
    new task of the new lot on the same list, at the same place in the route, and the task keeps its
    lot for the rest (its quantity shrinks by the units split off; when nothing is left to pick it is
    finished). So each task names exactly the lot of the units it moved.

    Locks: the task row must be held by the caller (`confirm_pick` reads it under FOR UPDATE); then
    the line's reservation rows of the old lot and the new lot's quant (conditional UPDATE) through
    `swap_reserved_lot`. Refused (`wrong_lot`, nothing changed by this function) when the new lot's
    free units were taken meanwhile.
    """
    lot = find_lot(task.sku_id, lot_number)
    expiry = task.lot.expiry_date.isoformat() if task.lot.expiry_date else ""
    if lot is None:
        raise wrong_lot(lot_number, task.lot.lot_number, expiry)
    try:
        swap_reserved_lot(task.order_line_id, task.sku_id, task.location_id, quantity, from_lot_id=task.lot_id,
                          to_lot_id=lot.id)
    except InsufficientStock as error:
        raise wrong_lot(lot.lot_number, task.lot.lot_number, expiry) from error
    except Conflict as error:  # the task's reservation is gone: someone else picked it
        raise bin_empty() from error
    if task.picked_quantity == 0 and task.short_quantity == 0 and quantity == task.quantity:
        task.lot_id = lot.id
        db.session.flush()
        return task
    shrunk = db.session.execute(
        update(PickTask).where(PickTask.id == task.id, PickTask.status == "open",
                               PickTask.picked_quantity + PickTask.short_quantity + quantity <= PickTask.quantity,
                               PickTask.quantity > quantity)
        .values(quantity=PickTask.quantity - quantity))
    if shrunk.rowcount != 1:
        raise bin_empty()
    db.session.refresh(task)
    if task.picked_quantity + task.short_quantity == task.quantity:
        task.status = "done" if task.short_quantity == 0 else "short"
    split = PickTask(pick_list_id=task.pick_list_id, sequence=task.sequence, order_id=task.order_id,
                     order_line_id=task.order_line_id, sku_id=task.sku_id, location_id=task.location_id,
                     lot_id=lot.id, tote_location_id=task.tote_location_id, slot=task.slot, quantity=quantity)
    db.session.add(split)
    db.session.flush()
    return split
