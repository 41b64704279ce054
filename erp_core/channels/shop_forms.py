"""The shop form (店铺): identity, platform connection (write-only secrets), warehouse, stock sync."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..code_labels import PLATFORM_LABELS
from .shops import MAX_INTERVAL_MINUTES, SHOP_PLATFORMS, SIGN_METHODS

PULL_LABELS = {"": _l("No pulling (file imports only)"), "shopify": _l("Shopify Admin API"),
               "taobao": _l("Taobao / Tmall open platform (TOP)"), "json_feed": _l("JSON order feed")}
SECRET_FIELDS = ("access_token", "app_key", "app_secret", "session_key", "token")


class ShopForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    platform = SelectField(_l("Platform"), choices=[])
    active = BooleanField(_l("Active (takes orders)"), default=True)
    warehouse_id = SelectField(_l("Ships from"), coerce=int, choices=[])
    adapter = SelectField(_l("Order pull"), choices=[])
    feed_url = StringField(_l("Shop address (Shopify shop domain, TOP gateway or feed URL)"),
                           validators=[Optional(), Length(max=500)])
    pull_interval_minutes = IntegerField(_l("Pull orders every (minutes)"), default=15,
                                         validators=[InputRequired(), NumberRange(min=1, max=MAX_INTERVAL_MINUTES)])
    access_token = PasswordField(_l("Shopify Admin API access token"), validators=[Optional(), Length(max=500)])
    app_key = PasswordField(_l("TOP app key"), validators=[Optional(), Length(max=500)])
    app_secret = PasswordField(_l("TOP app secret"), validators=[Optional(), Length(max=500)])
    session_key = PasswordField(_l("TOP session key"), validators=[Optional(), Length(max=500)])
    sign_method = SelectField(_l("TOP sign method"), choices=[(m, m) for m in SIGN_METHODS])
    token = PasswordField(_l("Feed token"), validators=[Optional(), Length(max=500)])
    clear_credentials = BooleanField(_l("Remove the saved credentials"))
    stock_sync_enabled = BooleanField(_l("Send stock levels to the platform"))
    stock_interval_minutes = IntegerField(_l("Send all stock levels every (minutes)"), default=30,
                                          validators=[InputRequired(), NumberRange(min=1, max=MAX_INTERVAL_MINUTES)])
    stock_ratio_percent = IntegerField(_l("Share of available stock offered (%)"), default=100,
                                       validators=[InputRequired(), NumberRange(min=0, max=100)])
    stock_buffer = IntegerField(_l("Buffer kept back (units)"), default=0,
                                validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])
    platform_location_id = StringField(_l("Shopify location id"), validators=[Optional(), Length(max=40)])

    def fill_choices(self, warehouses) -> None:
        self.platform.choices = [(p, str(PLATFORM_LABELS.get(p, p))) for p in SHOP_PLATFORMS]
        self.adapter.choices = [(k, str(v)) for k, v in PULL_LABELS.items()]
        self.warehouse_id.choices = [(0, _l("Any warehouse (allocation chooses)"))] + [
            (w.id, f"{w.code} · {w.name}") for w in warehouses]

    def settings(self) -> dict:
        return {"name": self.name.data, "platform": self.platform.data, "active": self.active.data,
                "warehouse_id": self.warehouse_id.data or None, "adapter": self.adapter.data,
                "feed_url": self.feed_url.data or "", "pull_interval_minutes": self.pull_interval_minutes.data,
                "stock_sync_enabled": self.stock_sync_enabled.data,
                "stock_interval_minutes": self.stock_interval_minutes.data,
                "stock_ratio_percent": self.stock_ratio_percent.data, "stock_buffer": self.stock_buffer.data,
                "platform_location_id": self.platform_location_id.data or ""}

    def credentials(self) -> dict:
        given = {name: getattr(self, name).data or "" for name in SECRET_FIELDS}
        return {**given, "sign_method": self.sign_method.data or "md5"}


class SkuLinkForm(FlaskForm):
    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=40)])
    platform_item_id = StringField(_l("Platform item id (num_iid / variant id)"),
                                   validators=[Optional(), Length(max=64)])
    platform_sku_id = StringField(_l("Platform SKU id (sku_id / inventory item id)"),
                                  validators=[Optional(), Length(max=64)])
