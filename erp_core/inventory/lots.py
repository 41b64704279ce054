"""Lots (批次): find or create a lot, and the shipping limit an order puts on its lines.

The pure rules are in `lot_rules.py`; this module reads the SKU's and the shop's settings. Lots are
created on receipt (typed, or from a GS1 scan) and never deleted: the ledger names them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..catalog.models import Sku
from ..db import atomic
from ..errors import ValidationFailed
from ..extensions import db
from .lot_rules import ShelfLife, expiry_from_production, shipping_limit
from .models import Lot
from .reservations import business_today

MAX_LOT_NUMBER = 40


def shelf_life(sku: Sku) -> ShelfLife:
    return ShelfLife(sku.shelf_life_days, sku.min_receipt_life_days, sku.min_ship_life_days)


def normalise_lot_number(text: str | None) -> str:
    number = " ".join((text or "").split()).upper()
    if not number:
        raise ValidationFailed("a lot number is required for this SKU", code="lot_required")
    if len(number) > MAX_LOT_NUMBER:
        raise ValidationFailed(f"a lot number has at most {MAX_LOT_NUMBER} characters", code="lot_number_too_long",
                               maximum=MAX_LOT_NUMBER)
    return number


def find_lot(sku_id: int, lot_number: str) -> Lot | None:
    return db.session.scalar(select(Lot).filter_by(sku_id=sku_id, lot_number=normalise_lot_number(lot_number)))


def get_or_create_lot(sku: Sku, lot_number: str, *, expiry_date: date | None = None,
                      production_date: date | None = None) -> Lot:
    """The SKU's lot of this number, created when new (INSERT ... ON CONFLICT DO NOTHING, so two
    receivers of one new lot never collide). An existing lot keeps its dates; a different expiry
    for the same number is refused (one lot, one expiry)."""
    if not sku.lot_tracked:
        raise ValidationFailed("this SKU is not tracked by lot", code="lot_not_tracked", sku=sku.code)
    number = normalise_lot_number(lot_number)
    if expiry_date is None and production_date is not None:
        expiry_date = expiry_from_production(production_date, sku.shelf_life_days)
    if production_date and expiry_date and production_date > expiry_date:
        raise ValidationFailed("the production date is after the expiry date", code="lot_dates_reversed",
                               lot=number)
    with atomic():
        lot = find_lot(sku.id, number)
        if lot is None:
            insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
            db.session.execute(insert(Lot).values(sku_id=sku.id, lot_number=number, expiry_date=expiry_date,
                                                  production_date=production_date, on_hold=False, hold_reason="",
                                                  short_dated_receipt=False, clearance_note="",
                                                  created_at=db.func.now())
                               .on_conflict_do_nothing())
            lot = db.session.scalar(select(Lot).filter_by(sku_id=sku.id, lot_number=number)
                                    .execution_options(populate_existing=True))
        elif expiry_date is not None and lot.expiry_date is not None and lot.expiry_date != expiry_date:
            raise ValidationFailed(f"lot {number} expires on {lot.expiry_date.isoformat()}, not "
                                   f"{expiry_date.isoformat()}", code="lot_expiry_differs", lot=number,
                                   expiry=lot.expiry_date.isoformat(), given=expiry_date.isoformat())
        elif lot.expiry_date is None and expiry_date is not None:
            lot.expiry_date = expiry_date
        if lot.expiry_date is None and sku.shelf_life_days:
            raise ValidationFailed(f"lot {number} needs an expiry date (or a production date)",
                                   code="lot_expiry_required", lot=number)
    return lot


def shipping_limits(sku_ids: Iterable[int], channel_percent: int | None = None,
                    today: date | None = None) -> dict[int, date]:
    """{sku_id: earliest acceptable expiry} for the lot-tracked SKUs among `sku_ids` (the rest have no limit)."""
    today = today or business_today()
    ids = set(sku_ids)
    if not ids:
        return {}
    skus = db.session.scalars(select(Sku).where(Sku.id.in_(ids), Sku.lot_tracked.is_(True))).all()
    return {sku.id: shipping_limit(today, shelf_life(sku), channel_percent=channel_percent) for sku in skus}


def order_shipping_limits(order) -> dict[int, date]:
    """The shipping limits of an order's lines: the SKU's minimum and the order's shop rule."""
    percent = order.channel.min_ship_life_percent if order.channel is not None else None
    return shipping_limits({line.sku_id for line in order.lines}, percent)
