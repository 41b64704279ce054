"""Marshmallow schemas of the REST API."""

from __future__ import annotations

from decimal import Decimal

from flask_login import current_user
from marshmallow import INCLUDE, fields, post_dump, validate

from ..catalog.models import Sku
from ..orders.models import Order
from .cursor import CURSOR_PATTERN
from .fields import DecimalString, Money, Schema

__all__ = ["DecimalString", "Money", "Schema", "fields", "validate"]


class ErrorSchema(Schema):
    """Every error: a stable machine-readable code, a message for people, the HTTP status; a refusal
    may add its details (the SKUs unknown, the quantity available, ...)."""

    class Meta:
        unknown = INCLUDE

    code = fields.String(required=True, dump_only=True)
    message = fields.String(required=True, dump_only=True)
    status = fields.Integer(required=True, dump_only=True)
    errors = fields.Dict(dump_only=True, metadata={"description": "field-by-field validation messages"})


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    role = fields.String()
    locale = fields.String(allow_none=True)
    warehouse_ids = fields.Method("_warehouse_ids")

    def _warehouse_ids(self, user):
        return sorted(w.id for w in user.warehouses)


class WarehouseSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    province = fields.String()
    city = fields.String()
    active = fields.Boolean()
    weight_tolerance_pct = fields.Integer(metadata={"description": "pack-out weight check: ± this % of expected"})
    weight_tolerance_g = fields.Integer(metadata={"description": "pack-out weight check: at least ± these grams"})


class WarehousePatchSchema(Schema):
    weight_tolerance_pct = fields.Integer(validate=validate.Range(min=0, max=100))
    weight_tolerance_g = fields.Integer(validate=validate.Range(min=0, max=100_000))


class SkuSchema(Schema):
    class Meta:
        model = Sku

    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_zh = fields.String(load_default="")
    unit = fields.String(load_default="pcs")
    weight_g = fields.Integer(load_default=0, validate=validate.Range(min=0))
    cost = Money(load_default=Decimal("0"), metadata={"description": "only with the catalog.cost permission"})
    price = Money(load_default=Decimal("0"))
    barcodes = fields.Method("_barcodes", deserialize="_load_barcodes")
    active = fields.Boolean(dump_only=True)
    lot_tracked = fields.Boolean(load_default=False, metadata={"description": "stock kept per lot (批次)"})
    shelf_life_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    min_receipt_life_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0),
                                           metadata={"description": "refused below this many days left at receipt"})
    min_ship_life_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0),
                                        metadata={"description": "never allocated with fewer days left"})

    def _barcodes(self, sku):
        return [b.code for b in sku.barcodes]

    @post_dump
    def _cost_for_those_who_may(self, data, **kwargs):
        """Cost prices (成本价) only for catalog.cost: a picker's token reads no `cost`."""
        if not current_user.can("catalog.cost"):
            data.pop("cost", None)
        return data

    def _load_barcodes(self, value):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise validate.ValidationError("barcodes must be a list of strings")
        return value


class SkuLotSetupSchema(Schema):
    """A change of a SKU's lot set-up: only the fields sent change (null clears a rule)."""

    class Meta:
        model = Sku

    lot_tracked = fields.Boolean()
    shelf_life_days = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    min_receipt_life_days = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    min_ship_life_days = fields.Integer(allow_none=True, validate=validate.Range(min=0))


class PageArgs(Schema):
    """page/per_page, or cursor (erp_core/api/cursor.py page_or_cursor)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1),
                          metadata={"description": "ignored when `cursor` is given"})
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, validate=validate.Regexp(CURSOR_PATTERN),
                           metadata={"description": "`next_cursor` of the previous page: the rows after it in the "
                                                    "list's id order, stable while rows are added (preferred for "
                                                    "syncing)"})


class SkuQuery(PageArgs):
    q = fields.String(load_default=None)
    updated_since = fields.AwareDateTime(load_default=None, default_timezone=None,
                                         metadata={"description": "only SKUs changed at or after this time"})


class OrderLineSchema(Schema):
    sku = fields.String(required=True)
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))
    unit_price = Money(load_default="0")


class OrderInSchema(Schema):
    class Meta:
        model = Order

    channel = fields.String(required=True, metadata={"description": "channel (shop) code"})
    external_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    buyer_id = fields.String(load_default=None)
    ship_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    ship_phone = fields.String(load_default="")
    ship_country = fields.String(load_default="CN", validate=validate.Length(equal=2))
    ship_province = fields.String(load_default="")
    ship_city = fields.String(load_default="")
    ship_district = fields.String(load_default="")
    ship_address = fields.String(required=True, validate=validate.Length(min=1, max=255))
    ship_postcode = fields.String(load_default="")
    buyer_note = fields.String(load_default="")
    seller_note = fields.String(load_default="")
    currency = fields.String(load_default="CNY", validate=validate.Length(equal=3))
    shipping_fee = Money(load_default="0")
    ordered_at = fields.AwareDateTime(load_default=None, default_timezone=None)
    paid_at = fields.AwareDateTime(load_default=None, default_timezone=None)
    lines = fields.List(fields.Nested(OrderLineSchema), required=True, validate=validate.Length(min=1))


class OrderLineOutSchema(Schema):
    sku = fields.Function(lambda line: line.sku.code)
    quantity = fields.Integer()
    unit_price = Money()


class OrderEventSchema(Schema):
    kind = fields.String()
    message = fields.String()
    created_at = fields.DateTime()


class OrderSchema(Schema):
    id = fields.Integer()
    channel = fields.Function(lambda o: o.channel.code)
    external_id = fields.String()
    status = fields.String()
    hold_reason = fields.String()
    warehouse = fields.Function(lambda o: o.warehouse.code if o.warehouse else None)
    ship_name = fields.String()
    ship_province = fields.String()
    ship_city = fields.String()
    ship_address = fields.String()
    currency = fields.String()
    goods_total = Money()
    shipping_fee = Money()
    ordered_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineOutSchema))


class OrderDetailSchema(OrderSchema):
    events = fields.List(fields.Nested(OrderEventSchema))


class OrderQuery(PageArgs):
    class Meta:
        model = Order

    status = fields.String(load_default=None)
    channel = fields.String(load_default=None, validate=validate.Length(max=20))
    updated_since = fields.AwareDateTime(load_default=None, default_timezone=None,
                                         metadata={"description": "only orders changed at or after this time"})


class StockQuery(Schema):
    sku = fields.String(load_default=None)
    warehouse = fields.String(load_default=None)


class StockLevelSchema(Schema):
    sku = fields.String()
    warehouse = fields.String()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()
