"""Box types (纸箱) the pack station suggests and packs into: created, edited and deactivated by
shipping.manage, from the admin screen or the REST API. One transaction per call."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from erp_core.db import atomic
from erp_core.errors import Conflict, NotFound, ValidationFailed
from erp_core.extensions import db

from .models import BoxType

SIZES = ("inner_length_mm", "inner_width_mm", "inner_height_mm")
FIELDS = ("code", "name", "name_zh", *SIZES, "tare_g", "max_weight_g", "cost", "active")


def box_invalid(field: str) -> ValidationFailed:
    return ValidationFailed(f"box type: {field} is not valid", code="box_invalid", field=field)


def _whole(value: object, field: str, *, minimum: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise box_invalid(field) from None
    if number < minimum or number > 10_000_000:
        raise box_invalid(field)
    return number


def clean_box(values: Mapping[str, object], *, partial: bool = False) -> dict:
    """The box type's fields, checked: a code and a name, inner sizes in whole mm above 0, tare and cost
    not negative, a maximum weight above 0 or none. With `partial`, only the fields given."""
    out: dict = {}
    for field in FIELDS:
        if field not in values:
            if not partial and field in ("code", "name", *SIZES):
                raise box_invalid(field)
            continue
        value = values[field]
        if field == "code":
            out[field] = str(value or "").strip().upper()
            if not out[field] or len(out[field]) > 20:
                raise box_invalid(field)
        elif field in ("name", "name_zh"):
            out[field] = str(value or "").strip()
            if (field == "name" and not out[field]) or len(out[field]) > 80:
                raise box_invalid(field)
        elif field in SIZES:
            out[field] = _whole(value, field, minimum=1)
        elif field == "tare_g":
            out[field] = _whole(value if value not in (None, "") else 0, field, minimum=0)
        elif field == "max_weight_g":
            out[field] = None if value in (None, "") else _whole(value, field, minimum=1)
        elif field == "cost":
            try:
                out[field] = Decimal(str(value if value not in (None, "") else "0")).quantize(Decimal("0.01"))
            except InvalidOperation:
                raise box_invalid(field) from None
            if out[field] < 0:
                raise box_invalid(field)
        else:
            out[field] = bool(value)
    return out


def _code_free(code: str, box_id: int | None = None) -> None:
    clash = db.session.scalar(select(BoxType.id).where(func.upper(BoxType.code) == code, BoxType.id != (box_id or 0)))
    if clash:
        raise Conflict(f"box type {code} exists already", code="box_code_taken", box=code)


def create_box_type(values: Mapping[str, object]) -> BoxType:
    """A new box type (active unless told otherwise); its code is unique (any case)."""
    fields = clean_box(values)
    with atomic():
        _code_free(fields["code"])
        box = BoxType(**fields)
        db.session.add(box)
        db.session.flush()
        return box


def update_box_type(box_id: int, values: Mapping[str, object]) -> BoxType:
    """Change the given fields of a box type (deactivate it with active=False; packed parcels keep it)."""
    fields = clean_box(values, partial=True)
    with atomic():
        box = db.session.get(BoxType, box_id)
        if box is None:
            raise NotFound("no such box type", code="unknown_box_type")
        if "code" in fields:
            _code_free(fields["code"], box.id)
        for name, value in fields.items():
            setattr(box, name, value)
        db.session.flush()
        return box
