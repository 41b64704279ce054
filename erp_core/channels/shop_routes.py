"""Settings > Shops (店铺): the list, create and change a shop, test its connection, its SKU links
and the bulk-ship file of a shop without a platform API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.guard import requires
from ..errors import DomainError
from ..exports import csv_response
from ..extensions import db
from ..inventory.models import Warehouse
from ..messages import describe
from .models import Channel
from .pull import pull_state
from .ship_back import bulk_ship_rows
from .shop_forms import PULL_LABELS, ShopForm, SkuLinkForm
from .shops import create_shop, credentials_set, test_connection, update_shop
from .stock_sync import remove_sku_link, set_sku_link, sku_links

bp = Blueprint("shops", __name__)


def _warehouses():
    return list(db.session.scalars(select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.code)))


def _shop(channel_id: int) -> Channel:
    return db.session.get(Channel, channel_id) or abort(404)


@bp.route("/")
@requires("shops.manage")
def index():
    shops = list(db.session.scalars(select(Channel).order_by(Channel.active.desc(), Channel.code)))
    return render_template("shops/index.html", shops=shops, pull_labels=PULL_LABELS,
                           credentials={s.id: credentials_set(s) for s in shops},
                           states={s.id: pull_state(s) for s in shops})


@bp.route("/new", methods=["GET", "POST"])
@requires("shops.manage")
def new():
    form = ShopForm()
    form.fill_choices(_warehouses())
    if form.validate_on_submit():
        try:
            channel = create_shop(form.code.data, form.name.data, form.platform.data,
                                  credentials=form.credentials(), **{k: v for k, v in form.settings().items()
                                                                      if k not in ("name", "platform")})
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("Shop %(code)s created.", code=channel.code), "success")
            return redirect(url_for("shops.edit", channel_id=channel.id))
    return render_template("shops/edit.html", form=form, shop=None, has_credentials=False), (
        422 if form.is_submitted() else 200)


@bp.route("/<int:channel_id>", methods=["GET", "POST"])
@requires("shops.manage")
def edit(channel_id: int):
    shop = _shop(channel_id)
    form = ShopForm(data=None if request.method == "POST" else {
        "code": shop.code, "name": shop.name, "platform": shop.platform, "active": shop.active,
        "warehouse_id": shop.warehouse_id or 0, "adapter": shop.adapter, "feed_url": shop.feed_url,
        "pull_interval_minutes": shop.pull_interval_minutes, "stock_sync_enabled": shop.stock_sync_enabled,
        "stock_interval_minutes": shop.stock_interval_minutes, "stock_ratio_percent": shop.stock_ratio_percent,
        "stock_buffer": shop.stock_buffer, "platform_location_id": shop.platform_location_id})
    form.fill_choices(_warehouses())
    form.code.data = shop.code  # the code names the shop's orders: it does not change
    if form.validate_on_submit():
        try:
            update_shop(shop.id, credentials=form.credentials(), clear_credentials=form.clear_credentials.data,
                        **form.settings())
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("Shop %(code)s saved.", code=shop.code), "success")
            return redirect(url_for("shops.edit", channel_id=shop.id))
    return render_template("shops/edit.html", form=form, shop=shop, has_credentials=credentials_set(shop),
                           links=sku_links(shop.id), link_form=SkuLinkForm()), (
        422 if form.is_submitted() else 200)


@bp.route("/<int:channel_id>/test", methods=["POST"])
@requires("shops.manage")
def test(channel_id: int):
    check = test_connection(_shop(channel_id).id)
    message = _("Connection OK: the platform knows this shop as %(name)s.", name=check.shop_name or "–") \
        if check.ok else describe(check.error)
    return render_template("shops/_test_result.html", ok=check.ok, message=message)


@bp.route("/<int:channel_id>/links", methods=["POST"])
@requires("shops.manage")
def links(channel_id: int):
    shop = _shop(channel_id)
    form = SkuLinkForm()
    error = None
    if request.form.get("remove"):
        try:
            remove_sku_link(shop.id, request.form["remove"])
        except DomainError as refused:
            error = describe(refused)
    elif form.validate_on_submit():
        try:
            set_sku_link(shop.id, form.sku.data, platform_item_id=form.platform_item_id.data or "",
                         platform_sku_id=form.platform_sku_id.data or "")
        except DomainError as refused:
            error = describe(refused)
    else:
        error = _("Give a SKU and the platform's item or SKU id.")
    return render_template("shops/_links.html", shop=shop, links=sku_links(shop.id), link_form=SkuLinkForm(),
                           link_error=error), 422 if error else 200


@bp.route("/<int:channel_id>/bulk-ship.csv")
@requires("shops.manage")
def bulk_ship(channel_id: int):
    """The shop's shipped orders of one local day (default today) in its platform's bulk-ship format."""
    shop = _shop(channel_id)
    local = ZoneInfo(current_app.config["WMS_DISPLAY_TIMEZONE"])
    try:
        day = datetime.strptime(request.args.get("day", ""), "%Y-%m-%d").date()
    except ValueError:
        day = datetime.now(local).date()
    start = datetime(day.year, day.month, day.day, tzinfo=local).astimezone(UTC)
    header, rows = bulk_ship_rows(shop, start, start + timedelta(days=1))
    return csv_response(f"bulk-ship-{shop.code}-{day:%Y%m%d}.csv", header, rows)
