"""REST resources of shops (/api/v1/shops): list, create (Idempotency-Key), read and change one shop
by its code, and its SKU links. Credentials are write-only: an answer says only ``credentials_set``."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..api.cursor import page_or_cursor, paged
from ..api.idempotency import DOC as IDEMPOTENCY_DOC
from ..api.idempotency import idempotent
from ..api.schemas import ErrorSchema, PageArgs
from ..auth.guard import requires
from ..errors import ValidationFailed
from ..extensions import db
from ..inventory.models import Warehouse
from .models import Channel
from .shops import (
    MAX_INTERVAL_MINUTES,
    SHOP_PLATFORMS,
    SIGN_METHODS,
    create_shop,
    credentials_set,
    shop_by_code,
    update_shop,
)
from .shops import test_connection as check_connection
from .stock_sync import remove_sku_link, set_sku_link, sku_links

bp = Blueprint("shops_api", __name__, description="Shops (店铺): platforms, credentials, stock sync, SKU links")

_INTERVAL = validate.Range(min=1, max=MAX_INTERVAL_MINUTES)
ADAPTER_CHOICES = ("", "json_feed", "shopify", "taobao")


class CredentialsSchema(Schema):
    """Write-only: never returned. Blank or missing values keep what is saved."""

    access_token = fields.String(validate=validate.Length(max=500), metadata={"description": "Shopify Admin API"})
    app_key = fields.String(validate=validate.Length(max=500), metadata={"description": "Taobao/Tmall TOP"})
    app_secret = fields.String(validate=validate.Length(max=500))
    session_key = fields.String(validate=validate.Length(max=500))
    sign_method = fields.String(validate=validate.OneOf(SIGN_METHODS))
    token = fields.String(validate=validate.Length(max=500), metadata={"description": "JSON order feed"})


class ShopSettingsSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    active = fields.Boolean()
    warehouse = fields.String(allow_none=True, validate=validate.Length(max=20),
                              metadata={"description": "code of the warehouse that ships the shop's orders when it "
                                                       "can ship them whole (null: allocation chooses)"})
    adapter = fields.String(validate=validate.OneOf(ADAPTER_CHOICES),
                            metadata={"description": "how orders are pulled ('' = not pulled)"})
    feed_url = fields.String(validate=validate.Length(max=500),
                             metadata={"description": "Shopify shop domain, TOP gateway or JSON feed URL"})
    pull_interval_minutes = fields.Integer(validate=_INTERVAL)
    stock_sync_enabled = fields.Boolean()
    stock_interval_minutes = fields.Integer(validate=_INTERVAL)
    stock_ratio_percent = fields.Integer(validate=validate.Range(min=0, max=100))
    stock_buffer = fields.Integer(validate=validate.Range(min=0, max=1_000_000))
    platform_location_id = fields.String(validate=validate.Length(max=40),
                                         metadata={"description": "Shopify location id"})
    credentials = fields.Nested(CredentialsSchema, load_only=True)


class ShopCreateSchema(ShopSettingsSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    platform = fields.String(required=True, validate=validate.OneOf(SHOP_PLATFORMS))


class ShopPatchSchema(ShopSettingsSchema):
    platform = fields.String(validate=validate.OneOf(SHOP_PLATFORMS))
    clear_credentials = fields.Boolean(load_default=False, load_only=True)


class ShopSchema(Schema):
    code = fields.String()
    name = fields.String()
    platform = fields.String()
    active = fields.Boolean()
    warehouse = fields.Function(lambda c: c.warehouse.code if c.warehouse else None, allow_none=True)
    adapter = fields.String()
    feed_url = fields.String()
    pull_interval_minutes = fields.Integer()
    credentials_set = fields.Function(credentials_set, metadata={"description": "the secrets are never returned"})
    last_pulled_at = fields.DateTime(allow_none=True)
    last_pull_error = fields.String()
    stock_sync_enabled = fields.Boolean()
    stock_interval_minutes = fields.Integer()
    stock_ratio_percent = fields.Integer()
    stock_buffer = fields.Integer()
    platform_location_id = fields.String()
    created_at = fields.DateTime()


class ShopQuery(PageArgs):
    platform = fields.String(load_default="", validate=validate.OneOf(("", *SHOP_PLATFORMS, "api")))
    active = fields.Boolean(load_default=None, allow_none=True)


class SkuLinkSchema(Schema):
    sku = fields.Function(lambda link: link.sku.code, dump_only=True)
    platform_item_id = fields.String(load_default="", validate=validate.Length(max=64))
    platform_sku_id = fields.String(load_default="", validate=validate.Length(max=64))
    pushed_quantity = fields.Integer(dump_only=True, allow_none=True,
                                     metadata={"description": "the last level the platform accepted"})
    pushed_at = fields.DateTime(dump_only=True, allow_none=True)
    push_error = fields.String(dump_only=True)


class ConnectionSchema(Schema):
    ok = fields.Boolean()
    shop_name = fields.String()
    code = fields.String(allow_none=True)
    message = fields.String(allow_none=True)


def _settings(data: dict) -> dict:
    settings = dict(data)
    credentials = settings.pop("credentials", None)
    if "warehouse" in settings:
        code = settings.pop("warehouse")
        warehouse_id = None
        if code:
            warehouse_id = db.session.scalar(select(Warehouse.id).filter_by(code=code))
            if warehouse_id is None:
                raise ValidationFailed(f"no warehouse {code}", code="unknown_warehouse", warehouse=code)
        settings["warehouse_id"] = warehouse_id
    return {"credentials": credentials, **settings}


@bp.route("/shops")
class Shops(MethodView):
    @requires("shops.manage")
    @bp.arguments(ShopQuery, location="query")
    @bp.response(200, paged(ShopSchema))
    def get(self, args):
        """Shops in id order; filter by platform and active; page/per_page or cursor."""
        stmt = select(Channel)
        if args["platform"]:
            stmt = stmt.where(Channel.platform == args["platform"])
        if args["active"] is not None:
            stmt = stmt.where(Channel.active.is_(args["active"]))
        return page_or_cursor(stmt, Channel.id, args)

    @requires("shops.manage")
    @bp.doc(**IDEMPOTENCY_DOC)
    @idempotent
    @bp.arguments(ShopCreateSchema)
    @bp.response(201, ShopSchema)
    @bp.alt_response(409, schema=ErrorSchema, description="The code is taken (shop_exists)")
    @bp.alt_response(422, schema=ErrorSchema, description="A bad setting, or an address the server may not call "
                     "(url_not_allowed)")
    def post(self, data):
        """Create a shop; its credentials are stored encrypted and never returned."""
        settings = _settings(data)
        return create_shop(settings.pop("code"), settings.pop("name"), settings.pop("platform"), **settings)


@bp.route("/shops/<code>")
class ShopByCode(MethodView):
    @requires("shops.manage")
    @bp.response(200, ShopSchema)
    def get(self, code):
        """One shop."""
        return shop_by_code(code)

    @requires("shops.manage")
    @bp.arguments(ShopPatchSchema)
    @bp.response(200, ShopSchema)
    def patch(self, data, code):
        """Change the settings given; `active: false` deactivates the shop (its orders stay)."""
        channel = shop_by_code(code)
        return update_shop(channel.id, **_settings(data))


@bp.route("/shops/<code>/test-connection")
class ShopConnection(MethodView):
    @requires("shops.manage")
    @bp.response(200, ConnectionSchema)
    def post(self, code):
        """Make the platform's cheapest authenticated request; OK, or the platform's reason."""
        from ..messages import describe

        check = check_connection(shop_by_code(code).id)
        return {"ok": check.ok, "shop_name": check.shop_name, "code": check.error.code if check.error else None,
                "message": describe(check.error) if check.error else None}


@bp.route("/shops/<code>/sku-links")
class ShopSkuLinks(MethodView):
    @requires("shops.manage")
    @bp.response(200, SkuLinkSchema(many=True))
    def get(self, code):
        """The shop's SKU links with the last level pushed."""
        return sku_links(shop_by_code(code).id)


@bp.route("/shops/<code>/sku-links/<sku>")
class ShopSkuLink(MethodView):
    @requires("shops.manage")
    @bp.arguments(SkuLinkSchema)
    @bp.response(200, SkuLinkSchema)
    def put(self, data, code, sku):
        """Link a SKU to the platform's item (or change its link)."""
        return set_sku_link(shop_by_code(code).id, sku, **data)

    @requires("shops.manage")
    @bp.response(204)
    def delete(self, code, sku):
        """Remove a SKU's link (its stock is no longer sent)."""
        remove_sku_link(shop_by_code(code).id, sku)
