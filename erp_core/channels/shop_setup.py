"""Shops at app start: the pages (/settings/shops), the REST resources (/api/v1/shops), the Settings
menu link, the outbox handlers (tracking upload, stock pushes) and ``flask create-shop``."""

from __future__ import annotations

import click
from flask import Flask
from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from ..navigation import register_nav_link
from ..outbox import register_handler
from .ship_back import SHIP_TOPIC, confirm_shipment_message
from .shops import SHOP_PLATFORMS, create_shop
from .stock_sync import STOCK_TOPIC, push_stock_message

#: The outbox topics whose handlers live here (the scheduler sends them).
SHOP_TOPICS = (SHIP_TOPIC, STOCK_TOPIC)


def register_shops(app: Flask, api) -> None:
    from .shop_api import bp as shops_api_bp
    from .shop_routes import bp as shops_bp

    app.register_blueprint(shops_bp, url_prefix="/settings/shops")
    api.register_blueprint(shops_api_bp, url_prefix="/api/v1")
    register_nav_link("settings", "shops.index", _l("Shops"), "shops.manage")
    register_handler(SHIP_TOPIC, confirm_shipment_message)
    register_handler(STOCK_TOPIC, push_stock_message)

    @app.cli.command("create-shop")
    @click.argument("code")
    @click.argument("name")
    @click.option("--platform", type=click.Choice(SHOP_PLATFORMS), default="manual", show_default=True)
    def create_shop_command(code: str, name: str, platform: str) -> None:
        """Create a shop (店铺); its platform connection is set on its page (Settings > Shops)."""
        try:
            channel = create_shop(code, name, platform)
        except DomainError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"shop {channel.code} ({channel.platform}) created")
