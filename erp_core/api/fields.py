"""The one mechanism that keeps the OpenAPI document and the validation true to the database.

Every API schema derives from `Schema` below. When a schema is bound (for validation and for the
document alike: apispec and webargs bind the same way), each field is hardened:

- a field named like a column of the schema's `Meta.model` (or mapped in `Meta.columns`) takes the
  column's bounds: String(n) -> Length(max=n), Integer -> the column's integer range, Numeric(p, s)
  -> a decimal string of at most p - s integer digits and s decimals;
- every integer gets a range (ids and `*_id`: 1..2^31-1, others -2^31..2^31-1), so a number past
  the database's INTEGER is refused with 422 instead of overflowing in the database;
- every string that is read gets a maximum length (TEXT_MAX when no column says better).

So SQLite (which does not enforce VARCHAR lengths) and PostgreSQL (which does, with an error) refuse
the same requests, with the same 422, and the document says which.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from marshmallow import Schema as MarshmallowSchema
from marshmallow import fields, validate
from sqlalchemy import Numeric, String

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
TEXT_MAX = 10_000  # strings without a column of their own (TEXT, JSON): still bounded


class DecimalString(fields.Decimal):
    """A decimal as a string ("59.00"), never a float, matching `pattern` (the column's precision).

    Only strings are read (a JSON number is refused: the document says string); `signed=False`
    refuses negative amounts. `precision`/`scale` are the column's Numeric(p, s).
    """

    def __init__(self, *, precision: int = 12, scale: int = 2, signed: bool = False, minimum_exclusive=None,
                 **kwargs):
        load_default = kwargs.get("load_default")
        if isinstance(load_default, (str, int)):  # a default is not deserialised: give the service a Decimal
            kwargs["load_default"] = Decimal(str(load_default))
        self.signed = signed
        self.minimum_exclusive = minimum_exclusive
        super().__init__(places=scale, as_string=True, **kwargs)
        self.set_precision(precision, scale)

    def set_precision(self, precision: int | None, scale: int | None) -> None:
        """Numeric(precision, scale); None, None: a computed figure of any size, not rounded (answers only)."""
        self.precision, self.scale = precision, scale
        self.places = Decimal(1).scaleb(-scale) if scale is not None else None
        sign = "-?" if self.signed or self.dump_only else ""
        if precision is None:
            self.pattern = rf"^{sign}\d+(\.\d+)?$"
        else:
            decimals = rf"(\.\d{{1,{scale}}})?" if scale else ""
            self.pattern = rf"^{sign}\d{{1,{precision - scale}}}{decimals}$"
        self.metadata = {**self.metadata, "pattern": self.pattern, "example": "0." + "0" * scale if scale else "0"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(self.pattern, value):
            raise self.make_error("invalid")
        try:
            number = Decimal(value)
        except InvalidOperation as error:
            raise self.make_error("invalid") from error
        if self.minimum_exclusive is not None and number <= self.minimum_exclusive:
            raise validate.ValidationError(f"must be greater than {self.minimum_exclusive}")
        return number


class Money(DecimalString):
    """Money: Numeric(12, 2) by default, a string like "59.00" (pattern ^\\d{1,10}(\\.\\d{1,2})?$)."""


def _column_of(schema, name: str):
    columns = getattr(schema.Meta, "columns", None) or {}
    if name in columns:
        return columns[name].property.columns[0] if hasattr(columns[name], "property") else columns[name]
    model = getattr(schema.Meta, "model", None)
    if model is not None and name in model.__table__.columns:
        return model.__table__.columns[name]
    return None


def _has(field, kind, attr: str) -> bool:
    return any(isinstance(v, kind) and getattr(v, attr, None) is not None for v in field.validators)


def harden(schema, name: str, field) -> None:
    """Give one field the bounds of its column, or the safe defaults (see the module docstring)."""
    if isinstance(field, fields.Nested | fields.Pluck) or field.dump_only:
        return  # answers are what the database holds: the bounds are for what is read
    inner = field.inner if isinstance(field, fields.List) else field
    column = _column_of(schema, field.data_key or name)
    column_type = column.type if column is not None else None
    if isinstance(inner, DecimalString):
        if isinstance(column_type, Numeric) and column_type.precision:
            inner.set_precision(column_type.precision, column_type.scale or 0)
        return
    if isinstance(inner, fields.Integer):
        if not _has(inner, validate.Range, "max"):
            low = 1 if name == "id" or name.endswith("_id") else INT_MIN
            if _has(inner, validate.Range, "min"):
                low = INT_MIN
            inner.validators.append(validate.Range(min=low, max=INT_MAX))
        return
    if isinstance(inner, fields.String) and not isinstance(inner, fields.Email | fields.Url):
        if not _has(inner, validate.Length, "max") and not _has(inner, validate.Length, "equal"):
            length = column_type.length if isinstance(column_type, String) and column_type.length else TEXT_MAX
            inner.validators.append(validate.Length(max=length))
    elif isinstance(inner, fields.Email | fields.Url) and not _has(inner, validate.Length, "max"):
        inner.validators.append(validate.Length(max=TEXT_MAX))


class Schema(MarshmallowSchema):
    """The base of every API schema: fields hardened when bound (see harden)."""

    class Meta:
        model = None  # a SQLAlchemy model whose columns bound the same-named fields
        columns: dict = {}  # field name -> column (an attribute like Sku.code) for other names

    def on_bind_field(self, field_name: str, field_obj) -> None:
        harden(self, field_name, field_obj)
