"""REST schemas of purchasing (marshmallow via flask-smorest): lengths and ranges as in the tables,
money as decimal strings."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import fields, validate

from ..api.schemas import DecimalString, Money, PageArgs, Schema
from .models import (
    PO_STATUSES,
    SUPPLIER_LANGUAGES,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierContact,
    SupplierSku,
)

_CURRENCY = validate.Regexp(r"^[A-Za-z]{3}$")


class SupplierContactSchema(Schema):
    class Meta:
        model = SupplierContact

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    title = fields.String(load_default="", validate=validate.Length(max=60),
                          metadata={"description": "what they do for us (sales, warehouse, accounts)"})
    phone = fields.String(load_default="", validate=validate.Length(max=40))
    email = fields.String(load_default="", validate=validate.Length(max=200))


class SupplierSchema(Schema):
    class Meta:
        model = Supplier

    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    name_zh = fields.String(load_default="", validate=validate.Length(max=120))
    contact_name = fields.String(load_default="", validate=validate.Length(max=120))
    phone = fields.String(load_default="", validate=validate.Length(max=40))
    email = fields.String(load_default="", validate=validate.Length(max=200))
    currency = fields.String(load_default="CNY", validate=_CURRENCY)
    lead_time_days = fields.Integer(load_default=7, validate=validate.Range(min=0, max=365))
    payment_terms = fields.String(load_default="", validate=validate.Length(max=60))
    language = fields.String(load_default="zh", validate=validate.OneOf(SUPPLIER_LANGUAGES),
                             metadata={"description": "language of the POs sent to it (en, zh)"})
    active = fields.Boolean(load_default=True)
    contacts = fields.List(fields.Nested(SupplierContactSchema), dump_only=True,
                           metadata={"description": "more contact people besides the main contact"})
    updated_at = fields.DateTime(dump_only=True)


class SupplierPatchSchema(SupplierSchema):
    """The fields to change (loaded partial: what is left out stays)."""


class SupplierSkuSchema(Schema):
    class Meta:
        model = SupplierSku

    id = fields.Integer(dump_only=True)
    sku = fields.Method("_sku", deserialize="_load_sku", required=True)
    supplier_code = fields.String(load_default="", validate=validate.Length(max=64))
    pack_size = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    moq = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000_000))
    price = Money(required=True)
    currency = fields.String(load_default="", validate=validate.Regexp(r"^([A-Za-z]{3})?$"))
    preferred = fields.Boolean(load_default=False)

    def _sku(self, row):
        return row.sku.code

    def _load_sku(self, value):
        return str(value)


class PriceChangeSchema(Schema):
    old_price = Money(allow_none=True)
    new_price = Money()
    changed_at = fields.DateTime()
    user = fields.Function(lambda change: change.user.username if change.user else None)


class PoLineSchema(Schema):
    class Meta:
        model = PurchaseOrderLine

    id = fields.Integer(dump_only=True)
    sku = fields.Function(lambda line: line.sku.code, deserialize=str, required=True)
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=10_000_000))
    unit_price = Money(load_default=None, allow_none=True,
                       metadata={"description": "empty: the supplier's price for the SKU"})
    received_quantity = fields.Integer(dump_only=True)


class PurchaseOrderSchema(Schema):
    class Meta:
        model = PurchaseOrder

    id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": list(PO_STATUSES)})
    supplier = fields.Function(lambda po: po.supplier.code, deserialize=str, required=True)
    warehouse = fields.Function(lambda po: po.warehouse.code, deserialize=str, required=True)
    currency = fields.String(load_default="", validate=validate.Regexp(r"^([A-Za-z]{3})?$"))
    expected_date = fields.Date(load_default=None, allow_none=True)
    promised_date = fields.Date(dump_only=True)
    freight = Money(load_default=Decimal("0"))  # a default is not deserialised: give the Decimal
    over_receipt_pct = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100))
    notes = fields.String(load_default="", validate=validate.Length(max=2000))
    lines = fields.List(fields.Nested(PoLineSchema), required=True, validate=validate.Length(min=1, max=500))
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    sent_at = fields.DateTime(dump_only=True)
    confirmed_at = fields.DateTime(dump_only=True)


class PurchaseOrderQuery(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(PO_STATUSES))
    supplier = fields.String(load_default=None)
    updated_since = fields.AwareDateTime(load_default=None, metadata={"description": "ISO time with offset"})


class ConfirmLineSchema(Schema):
    line_id = fields.Integer(required=True)
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))


class ConfirmSchema(Schema):
    promised_date = fields.Date(load_default=None, allow_none=True)
    lines = fields.List(fields.Nested(ConfirmLineSchema), load_default=list)


class SuggestionQuerySchema(Schema):
    warehouse = fields.String(required=True)
    window_days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=365))
    safety_days = fields.Integer(load_default=7, validate=validate.Range(min=0, max=365))
    cover_days = fields.Integer(load_default=14, validate=validate.Range(min=0, max=365))


class SuggestionSchema(Schema):
    sku = fields.String()
    supplier = fields.String(allow_none=True)
    shipped = fields.Integer()
    velocity = DecimalString(precision=None, scale=None, dump_only=True)
    days = fields.Integer()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    in_transit = fields.Integer()
    on_order = fields.Integer()
    need = DecimalString(precision=None, scale=None, dump_only=True)
    pack_size = fields.Integer()
    moq = fields.Integer()
    quantity = fields.Integer()
