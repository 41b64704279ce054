"""Forms of the purchasing pages (Flask-WTF: a CSRF token in each)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import FieldList
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from .models import SUPPLIER_LANGUAGES

LANGUAGE_LABELS = {"en": _l("English"), "zh": _l("Chinese")}
_CURRENCY = [Regexp(r"^[A-Za-z]{3}$", message=_l("Three letters, e.g. CNY or USD."))]


class SupplierForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=120)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), Length(max=120)])
    contact_name = StringField(_l("Contact"), validators=[Optional(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200),
                                                  Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Not an e-mail address."))])
    currency = StringField(_l("Currency"), default="CNY", validators=[DataRequired(), *_CURRENCY])
    lead_time_days = IntegerField(_l("Lead time (days)"), default=7, validators=[NumberRange(min=0, max=365)])
    payment_terms = StringField(_l("Payment terms"), validators=[Optional(), Length(max=60)])
    language = SelectField(_l("Language of its purchase orders"), choices=[(c, c) for c in SUPPLIER_LANGUAGES])
    active = BooleanField(_l("Active"), default=True)

    def values(self) -> dict:
        return {name: getattr(self, name).data if name != "currency" else (self.currency.data or "").upper()
                for name in ("code", "name", "name_zh", "contact_name", "phone", "email", "currency",
                             "lead_time_days", "payment_terms", "language", "active")}


class SupplierSkuForm(FlaskForm):
    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=64)])
    supplier_code = StringField(_l("Supplier's code"), validators=[Optional(), Length(max=64)])
    pack_size = IntegerField(_l("Pack size"), default=1, validators=[NumberRange(min=1, max=1_000_000)])
    moq = IntegerField(_l("Minimum order (MOQ)"), default=1, validators=[NumberRange(min=1, max=10_000_000)])
    price = DecimalField(_l("Price"), places=2, validators=[DataRequired(), NumberRange(min=0)])
    currency = StringField(_l("Currency (empty: the supplier's)"), validators=[Optional(), *_CURRENCY])
    preferred = BooleanField(_l("Preferred supplier of this SKU"))


class PoLineForm(Form):
    sku = StringField(_l("SKU"), validators=[Optional(), Length(max=64)])
    quantity = IntegerField(_l("Quantity"), validators=[Optional(), NumberRange(min=1, max=10_000_000)])
    unit_price = DecimalField(_l("Unit price (empty: the supplier's)"), places=2,
                              validators=[Optional(), NumberRange(min=0)])


class PurchaseOrderForm(FlaskForm):
    supplier_id = SelectField(_l("Supplier"), coerce=int, choices=[])
    warehouse_id = SelectField(_l("Warehouse"), coerce=int, choices=[])
    expected_date = DateField(_l("Expected on"), validators=[Optional()])
    freight = DecimalField(_l("Freight / landed cost"), places=2, default=0,
                           validators=[Optional(), NumberRange(min=0)])
    over_receipt_pct = IntegerField(_l("Over-receipt tolerance in percent"),
                                    validators=[Optional(), NumberRange(0, 100)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(PoLineForm), min_entries=6, max_entries=200)


class FileForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired()])


class SuggestionQuery(Form):
    """The suggestion page's query string (GET: no CSRF)."""

    warehouse_id = SelectField(_l("Warehouse"), coerce=int, choices=[])
    window_days = IntegerField(_l("Sales window (days)"), default=30, validators=[NumberRange(1, 365)])
    safety_days = IntegerField(_l("Safety stock (days)"), default=7, validators=[NumberRange(0, 365)])
    cover_days = IntegerField(_l("Target cover (days)"), default=14, validators=[NumberRange(0, 365)])
