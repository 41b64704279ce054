"""A SKU's lot set-up (批次/保质期): tracked by lot or not, its shelf life and the minimum remaining life
accepted at receipt and left at shipment. Checked here for every way in (the screen, the API, the
catalog file), so the three agree on what is valid.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..inventory.models import Quant
from .models import Sku

#: The lot set-up fields of a SKU (days are whole numbers; None = no rule).
LOT_FIELDS = ("lot_tracked", "shelf_life_days", "min_receipt_life_days", "min_ship_life_days")
MINIMUM_FIELDS = ("min_receipt_life_days", "min_ship_life_days")
MAX_LIFE_DAYS = 36_500  # a hundred years: anything longer is a typo


def check_lot_values(values: Mapping[str, object], current: Sku | None = None) -> None:
    """Refuse a set-up that cannot work: a shelf life of 0 or less, a negative minimum, or a minimum
    longer than the shelf life (no lot could ever be received or shipped). Values not given are the
    SKU's current ones (``current``), so a partial update is checked as a whole."""

    def value(name: str) -> object:
        return values[name] if name in values else (getattr(current, name) if current is not None else None)

    for name in ("shelf_life_days", *MINIMUM_FIELDS):
        days = value(name)
        if days is None:
            continue
        least = 1 if name == "shelf_life_days" else 0
        if isinstance(days, bool) or not isinstance(days, int) or not least <= days <= MAX_LIFE_DAYS:
            raise ValidationFailed(f"{name} must be a whole number of days from {least} to {MAX_LIFE_DAYS}",
                                   code="bad_life_days", field=name, minimum=least, maximum=MAX_LIFE_DAYS,
                                   days=days)
    shelf = value("shelf_life_days")
    for name in MINIMUM_FIELDS:
        days = value(name)
        if shelf is not None and days is not None and days > shelf:  # type: ignore[operator]
            raise ValidationFailed(f"{name} ({days} days) cannot exceed the shelf life ({shelf} days)",
                                   code="min_life_over_shelf_life", field=name, days=days, shelf_life=shelf)


def check_tracking_switch(sku: Sku, lot_tracked: bool) -> None:
    """Switching lot tracking on while untracked units are on hand (or off while lot stock is) would
    leave stock the ledger cannot name: refused until that stock is gone (counted out or moved)."""
    if bool(lot_tracked) == bool(sku.lot_tracked) or sku.id is None:
        return
    lot_filter = Quant.lot_id.is_(None) if lot_tracked else Quant.lot_id.is_not(None)
    on_hand = db.session.scalar(select(db.func.coalesce(db.func.sum(Quant.quantity), 0))
                                .where(Quant.sku_id == sku.id, Quant.quantity > 0, lot_filter)) or 0
    if on_hand:
        raise Conflict(f"{sku.code} has {on_hand} units on hand {'without' if lot_tracked else 'with'} a lot: "
                       "lot tracking cannot be switched " + ("on" if lot_tracked else "off") + " until they are gone",
                       code="lot_tracking_stock_on_hand", sku=sku.code, quantity=int(on_hand),
                       switch="on" if lot_tracked else "off")
