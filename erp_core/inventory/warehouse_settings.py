"""A warehouse's settings that the floor reads: the pack-out weight tolerance (称重复核)."""

from __future__ import annotations

from erp_core.db import atomic
from erp_core.errors import NotFound, ValidationFailed
from erp_core.extensions import db

from .models import Warehouse

MAX_TOLERANCE_PCT = 100
MAX_TOLERANCE_G = 100_000


def set_weight_tolerance(warehouse_id: int, *, pct: int | None = None, grams: int | None = None) -> Warehouse:
    """Measured weights within expected ± max(grams, pct % of expected) pass the pack-out check."""
    for value, maximum, field in ((pct, MAX_TOLERANCE_PCT, "weight_tolerance_pct"),
                                  (grams, MAX_TOLERANCE_G, "weight_tolerance_g")):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum):
            raise ValidationFailed(f"{field} must be a whole number from 0 to {maximum}",
                                   code="bad_weight_tolerance", field=field, maximum=maximum)
    with atomic():
        warehouse = db.session.get(Warehouse, warehouse_id)
        if warehouse is None:
            raise NotFound("no such warehouse", code="unknown_warehouse")
        if pct is not None:
            warehouse.weight_tolerance_pct = pct
        if grams is not None:
            warehouse.weight_tolerance_g = grams
        db.session.flush()
        return warehouse
