"""Forms of the stock screens (Flask-WTF: a CSRF token in every form) and the translated labels of
the stock codes stored in the database (move reasons, adjustment reasons, transfer statuses)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Form, FormField, IntegerField, SelectField, StringField, ValidationError
from wtforms.fields import FieldList
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .services import ADJUSTMENT_REASONS

ADJUSTMENT_REASON_LABELS = {
    "damaged": _l("Damaged"), "lost": _l("Lost"), "found": _l("Found"),
    "count_correction": _l("Count correction"), "expired": _l("Expired"), "sample": _l("Sample"),
    "other": _l("Other"),
}
assert set(ADJUSTMENT_REASON_LABELS) == set(ADJUSTMENT_REASONS)

MOVE_REASON_LABELS = {
    "receipt": _l("Receipt"), "putaway": _l("Putaway"), "adjustment": _l("Adjustment"), "count": _l("Cycle count"),
    "pick": _l("Pick"), "pack": _l("Pack"), "ship": _l("Ship"), "transfer_out": _l("Transfer out"),
    "transfer_in": _l("Transfer in"), "replenishment": _l("Replenishment"), "return": _l("Return"),
    "scrap": _l("Scrap"), "move": _l("Move"), "opening": _l("Opening balance"),
}

TRANSFER_STATUS_LABELS = {
    "draft": _l("Draft"), "shipped": _l("In transit"), "received": _l("Received"), "cancelled": _l("Cancelled"),
}

VIRTUAL_LOCATION_LABELS = {
    "SUPPLIER": _l("Suppliers"), "CUSTOMER": _l("Customers"), "INV-LOSS": _l("Inventory loss / adjustment"),
    "TRANSIT": _l("In transit"),
}

BIN_TYPE_LABELS = {
    "pick": _l("Pick face"), "reserve": _l("Reserve bin"), "staging": _l("Staging area"), "put_wall": _l("Put wall"),
    "packing": _l("Packing station"), "returns": _l("Returns area"), "damaged": _l("Damaged goods"),
    "tote": _l("Tote"), "clearance": _l("Clearance bin"),
}


def bin_type_label(code: str | None) -> str:
    return str(BIN_TYPE_LABELS.get(code, code or ""))


def adjustment_reason_label(code: str | None) -> str:
    return str(ADJUSTMENT_REASON_LABELS.get(code, code or ""))


def move_reason_label(code: str) -> str:
    return str(MOVE_REASON_LABELS.get(code, code))


def transfer_status_label(code: str) -> str:
    return str(TRANSFER_STATUS_LABELS.get(code, code))


def location_label(code: str, warehouse_code: str | None) -> str:
    """A bin as "SH1 · A01-01-1"; a virtual location by its translated name."""
    if warehouse_code is None:
        return str(VIRTUAL_LOCATION_LABELS.get(code, code))
    return f"{warehouse_code} · {code}"


class AdjustForm(FlaskForm):
    warehouse_id = SelectField(_l("Warehouse"), coerce=int, choices=[])
    bin_code = StringField(_l("Bin (scan or type)"), validators=[DataRequired(), Length(max=64)])
    sku = StringField(_l("SKU (scan the barcode or type the code)"), validators=[DataRequired(), Length(max=64)])
    counted = IntegerField(_l("Counted quantity"), validators=[Optional(), NumberRange(min=0, max=10_000_000)])
    reason = SelectField(_l("Reason"), choices=[("", _l("Choose a reason")),
                                                *((c, ADJUSTMENT_REASON_LABELS[c]) for c in ADJUSTMENT_REASONS)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])
    # For a lot-tracked SKU: a lot in the bin (chosen from the list), or a new lot number with its expiry.
    lot = StringField(_l("Lot (choose one in the bin or type a new lot number)"), validators=[Optional(),
                                                                                              Length(max=40)])
    expiry = DateField(_l("Expiry date of a new lot"), validators=[Optional()])


class TransferLineForm(Form):
    sku = StringField(_l("SKU"), validators=[Optional(), Length(max=64)])
    quantity = IntegerField(_l("Quantity"), validators=[Optional(), NumberRange(min=1, max=10_000_000)])
    bin_code = StringField(_l("From bin (optional)"), validators=[Optional(), Length(max=64)])


class TransferForm(FlaskForm):
    from_warehouse_id = SelectField(_l("From warehouse"), coerce=int, choices=[])
    to_warehouse_id = SelectField(_l("To warehouse"), coerce=int, choices=[])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=255)])
    lines = FieldList(FormField(TransferLineForm), min_entries=6, max_entries=50)

    def validate_to_warehouse_id(self, field) -> None:
        if field.data == self.from_warehouse_id.data:
            raise ValidationError(_l("Choose two different warehouses."))


class ReceiveForm(FlaskForm):
    bin_code = StringField(_l("Receive into bin (scan or type)"), validators=[DataRequired(), Length(max=64)])


class ReorderRuleForm(FlaskForm):
    warehouse_id = SelectField(_l("Warehouse"), coerce=int, choices=[])
    sku = StringField(_l("SKU (scan the barcode or type the code)"), validators=[DataRequired(), Length(max=64)])
    min_quantity = IntegerField(_l("Reorder point (min)"), validators=[InputRequired(), NumberRange(min=0)])
    max_quantity = IntegerField(_l("Order up to (max)"), validators=[InputRequired(), NumberRange(min=0)])

    def validate_max_quantity(self, field) -> None:
        if self.min_quantity.data is not None and field.data is not None and field.data < self.min_quantity.data:
            raise ValidationError(_l("The maximum must be at least the reorder point."))

