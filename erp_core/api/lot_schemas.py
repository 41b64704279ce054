"""Marshmallow schemas of the lots API (批次) and of stock per bin and lot."""

from __future__ import annotations

from marshmallow import fields, validate

from .schemas import PageArgs, Schema


class LotQuery(PageArgs):
    sku = fields.String(load_default=None, metadata={"description": "SKU code"})
    expiring_within = fields.Integer(load_default=None, validate=validate.Range(min=0, max=3650),
                                     metadata={"description": "only lots expiring, or reaching their shipping "
                                                              "limit, within this many days (expired included)"})
    on_hold = fields.Boolean(load_default=None)


class LotSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    lot_number = fields.String()
    production_date = fields.Date(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    days_left = fields.Integer(allow_none=True)
    last_ship_date = fields.Date(allow_none=True, metadata={"description": "expiry minus the SKU's minimum "
                                                                          "days left at shipment"})
    on_hold = fields.Boolean()
    hold_reason = fields.String()
    short_dated_receipt = fields.Boolean()
    clearance_note = fields.String()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()


class LotBinSchema(Schema):
    warehouse = fields.String()
    bin = fields.String()
    bin_type = fields.String(allow_none=True)
    quantity = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()


class LotOrderSchema(Schema):
    order_id = fields.Integer()
    external_id = fields.String()
    channel = fields.String()
    status = fields.String()
    warehouse = fields.String(allow_none=True)
    customer = fields.String()
    ship_name = fields.String()
    ship_phone = fields.String()
    units_taken = fields.Integer()
    units_reserved = fields.Integer()


class TraceSchema(Schema):
    received = fields.Integer()
    receipts = fields.Integer()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    orders_took = fields.Integer(metadata={"description": "orders that picked or shipped units of the lot"})
    orders_reserving = fields.Integer(metadata={"description": "orders that only reserve units of the lot"})
    orders = fields.List(fields.Nested(LotOrderSchema))


class LotDetailSchema(LotSchema):
    stock = fields.List(fields.Nested(LotBinSchema))
    trace = fields.Nested(TraceSchema)


class LotHoldSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=255))


class StockBinQuery(PageArgs):
    sku = fields.String(load_default=None)
    warehouse = fields.String(load_default=None)


class StockBinSchema(Schema):
    sku = fields.String()
    warehouse = fields.String()
    bin = fields.String()
    bin_type = fields.String(allow_none=True)
    lot_number = fields.String(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    lot_on_hold = fields.Boolean()
    quantity = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()
