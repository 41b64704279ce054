"""Forms of the order-intake screens: file import and manual order entry (手动录入)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..orders.audit import is_mainland_mobile, normalise_phone

IMPORT_EXTENSIONS = (".csv", ".txt", ".xlsx", ".xlsm")
MAX_LINE_QUANTITY = 100_000
_LANDLINE_RE = re.compile(r"0\d{9,11}")  # area code with its 0, then a 7-8 digit number


class ImportForm(FlaskForm):
    channel = SelectField(_l("Shop"), coerce=int, choices=[])
    files = MultipleFileField(_l("Order files (CSV or XLSX; a Taobao orders and items report together)"))

    def validate_files(self, field: MultipleFileField) -> None:
        chosen = [f for f in field.data or [] if getattr(f, "filename", "")]
        if not chosen:
            raise ValidationError(_l("Choose at least one file."))
        for upload in chosen:
            if not upload.filename.lower().endswith(IMPORT_EXTENSIONS):
                raise ValidationError(_l("%(name)s is not a CSV or XLSX file.", name=upload.filename))

    def uploads(self) -> list[tuple[str, bytes]]:
        """The chosen files as ``(name, bytes)``."""
        return [(f.filename, f.read()) for f in self.files.data or [] if getattr(f, "filename", "")]


def is_valid_phone(raw: str) -> bool:
    """A mainland mobile (``138 0013 8000``, ``+86``) or a landline with its area code (``0571-88886666``)."""
    return is_mainland_mobile(raw) or _LANDLINE_RE.fullmatch(normalise_phone(raw)) is not None


class ManualOrderForm(FlaskForm):
    channel = SelectField(_l("Shop"), coerce=int, choices=[])
    buyer_name = StringField(_l("Recipient"), validators=[DataRequired(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=40)])
    province = StringField(_l("Province"), validators=[DataRequired(), Length(max=40)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=60)])
    district = StringField(_l("District"), validators=[Optional(), Length(max=60)])
    address = StringField(_l("Street address"), validators=[DataRequired(), Length(max=255)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=20)])
    note = TextAreaField(_l("Buyer's note"), validators=[Optional(), Length(max=1000)])

    def validate_phone(self, field: StringField) -> None:
        if field.data and not is_valid_phone(field.data):
            raise ValidationError(_l("Enter a mobile number (11 digits) or a landline with its area code."))


@dataclass
class DraftLine:
    """A line of the order being entered: SKU code and quantity as typed (validated on submit)."""

    sku: str
    quantity: str

    @property
    def whole_quantity(self) -> int | None:
        text = self.quantity.strip()
        if not text.isdigit():
            return None
        value = int(text)
        return value if 0 < value <= MAX_LINE_QUANTITY else None


def draft_lines(form: dict | object) -> list[DraftLine]:
    """The lines posted by the order form (``line_sku`` / ``line_qty`` pairs), merging repeats."""
    skus: Sequence[str] = form.getlist("line_sku")  # type: ignore[attr-defined]
    quantities: Sequence[str] = form.getlist("line_qty")  # type: ignore[attr-defined]
    lines: dict[str, DraftLine] = {}
    for sku, quantity in zip(skus, quantities, strict=False):
        sku = sku.strip()
        if not sku:
            continue
        if sku in lines and lines[sku].whole_quantity and DraftLine(sku, quantity).whole_quantity:
            lines[sku].quantity = str(lines[sku].whole_quantity + int(quantity.strip()))
        else:
            lines.setdefault(sku, DraftLine(sku, quantity.strip()))
    return list(lines.values())


def add_scanned(lines: list[DraftLine], sku_code: str) -> list[DraftLine]:
    """Scanning a SKU adds a line, or one more unit when the order has it already."""
    for line in lines:
        if line.sku == sku_code:
            line.quantity = str((line.whole_quantity or 0) + 1)
            return lines
    lines.append(DraftLine(sku_code, "1"))
    return lines
