"""The composition root: create_app binds the extensions, blueprints and socket events."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from flask import Flask, render_template, request
from flask_babel import format_datetime, get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix

from erp_core import code_labels
from erp_core.api import api, init_api
from erp_core.auth.guard import install_guard, public
from erp_core.config import PROJECT_ROOT, load_config
from erp_core.extensions import babel, csrf, db, limiter, login_manager, migrate
from erp_core.i18n import LOCALES, select_locale

from . import models  # noqa: F401  (every table registered with the metadata)
from .realtime import init_realtime


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=str(PROJECT_ROOT / "static"),
                template_folder=str(PROJECT_ROOT / "templates"), instance_relative_config=False)
    app.config.update(load_config())
    if overrides:
        app.config.update(overrides)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))
    install_proxy_fix(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(PROJECT_ROOT / "translations"))
    install_guard(app)
    init_api(app)
    init_realtime(app)
    _register_blueprints(app)
    from .warehouse_kinds import register_floor_kinds

    register_floor_kinds()  # the warehouse of each floor object, for the routes' object-level checks
    _register_template_helpers(app)
    _register_cli(app)
    _security_headers(app)
    _register_jobs(app)
    return app


def _register_jobs(app: Flask) -> None:
    """The task queue (erp_core.jobs, huey) bound to this app; the jobs page and API; the periodic work.
    The consumer (`make run` starts one; see wms/worker.py) runs the tasks in an app built the same way."""
    from erp_core.jobs import runner  # noqa: F401  (registers the huey tasks)
    from erp_core.jobs.api import bp as jobs_api_bp
    from erp_core.jobs.queue import bind_app
    from erp_core.jobs.routes import bp as jobs_bp
    from erp_core.jobs.routes import register_jobs_ui

    from . import periodic  # noqa: F401  (the scheduler's plain functions as huey periodic tasks)
    from .locations import label_jobs  # noqa: F401  (the floor's job kinds: bin label sheets,
    from .picking import release_jobs  # noqa: F401   wave releases, a wave's document batches)
    from .shipping import document_jobs  # noqa: F401

    bind_app(app)
    app.register_blueprint(jobs_bp, url_prefix="/jobs")
    api.register_blueprint(jobs_api_bp, url_prefix="/api/v1")
    register_jobs_ui()


def install_proxy_fix(app: Flask) -> None:
    """Behind WMS_PROXY_FIX trusted proxies, request.remote_addr is the handheld's address from
    X-Forwarded-For (the login limit counts per address) and the scheme comes from X-Forwarded-Proto.
    Without it those headers are ignored: anyone could send them."""
    proxies = int(app.config.get("WMS_PROXY_FIX") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def _register_blueprints(app: Flask) -> None:
    from erp_core.aftersales.routes import bp as aftersales_bp
    from erp_core.aftersales.routes import register_order_section
    from erp_core.auth.admin_routes import bp as admin_bp
    from erp_core.auth.routes import bp as auth_bp
    from erp_core.catalog.routes import bp as catalog_bp
    from erp_core.channels.feed_routes import bp as feeds_bp
    from erp_core.channels.routes import bp as intake_bp
    from erp_core.customers import merge_routes, rfm_routes  # noqa: F401  (they add routes to customers_bp)
    from erp_core.customers.api import bp as customers_api_bp
    from erp_core.customers.routes import bp as customers_bp
    from erp_core.inventory.lot_routes import bp as lots_bp
    from erp_core.inventory.routes import bp as stock_bp
    from erp_core.orders.routes import bp as orders_bp
    from erp_core.purchasing.routes import bp as purchasing_bp
    from erp_core.reports.dashboard import bp as dashboard_bp
    from erp_core.reports.home import bp as home_bp
    from erp_core.reports.home import register_builtin_home_panels
    from erp_core.reports.routes import bp as reports_bp

    app.register_blueprint(auth_bp)
    _register_sessions_and_audit(app)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(reports_bp, url_prefix="/reports")
    register_builtin_home_panels()
    app.register_blueprint(orders_bp, url_prefix="/orders")
    app.register_blueprint(intake_bp, url_prefix="/intake")
    app.register_blueprint(feeds_bp, url_prefix="/intake/feeds")
    app.register_blueprint(catalog_bp, url_prefix="/catalog")
    app.register_blueprint(stock_bp, url_prefix="/stock")
    app.register_blueprint(lots_bp, url_prefix="/lots")
    app.register_blueprint(purchasing_bp, url_prefix="/purchasing")
    app.register_blueprint(aftersales_bp, url_prefix="/returns")
    register_order_section()
    app.register_blueprint(customers_bp, url_prefix="/customers")
    api.register_blueprint(customers_api_bp, url_prefix="/api/v1")
    _register_reconciliation(app)
    _register_finance(app)
    _register_webhooks(app)
    from erp_core.channels.shop_setup import register_shops

    register_shops(app, api)
    _register_ops(app)

    from .handheld import bp as handheld_bp
    from .handheld import service_worker
    from .locations.inbound_routes import bp as inbound_bp
    from .locations.routes import bp as locations_bp
    from .locations.task_routes import bp as floor_tasks_bp
    from .lot_sources import register_lot_sources
    from .picking.interrupts import register_interrupts
    from .picking.routes import bp as picking_bp
    from .shipping.box_routes import bp as boxes_bp
    from .shipping.exception_routes import bp as exceptions_bp
    from .shipping.exception_routes import register_exception_panels
    from .shipping.interception import register_interception
    from .shipping.label_routes import bp as labels_bp
    from .shipping.manifest_routes import bp as manifests_bp
    from .shipping.pack_routes import bp as pack_bp
    from .shipping.print_routes import bp as printing_bp
    from .shipping.put_back_routes import bp as put_back_bp
    from .shipping.returns_lookup import register_shipped
    from .shipping.returns_station import bp as returns_station_bp

    # isort: split
    # The floor_tasks routes: importing these modules adds them to floor_tasks_bp. Kept after the
    # imports above, since the order modules are imported in is the order of the handheld's menu.
    from .locations import count_commands, count_routes, replenish_routes  # noqa: F401

    app.register_blueprint(handheld_bp, url_prefix="/m")
    app.register_blueprint(locations_bp, url_prefix="/locations")
    app.register_blueprint(inbound_bp, url_prefix="/inbound")
    _register_purchasing_floor(app)
    app.register_blueprint(floor_tasks_bp, url_prefix="/tasks")
    app.register_blueprint(picking_bp, url_prefix="/picking")
    app.register_blueprint(printing_bp, url_prefix="/shipping")
    app.register_blueprint(manifests_bp, url_prefix="/shipping/manifests")
    _register_shipping_api()
    app.register_blueprint(exceptions_bp, url_prefix="/shipping/exceptions")
    app.register_blueprint(put_back_bp, url_prefix="/shipping/put-back")
    app.register_blueprint(returns_station_bp, url_prefix="/returns/station")
    register_shipped()
    app.register_blueprint(labels_bp, url_prefix="/shipping")
    register_lot_sources()
    register_interception()
    register_interrupts()  # after the interception: it reads the carts under the floor's locks
    register_exception_panels()
    from .shipping import carrier_routes

    app.register_blueprint(carrier_routes.bp, url_prefix="/shipping/carriers")
    carrier_routes.register_order_panel(app)
    app.register_blueprint(pack_bp, url_prefix="/shipping")
    app.register_blueprint(boxes_bp, url_prefix="/shipping")
    from .reports_ops import bp as reports_ops_bp
    from .reports_ops import register_floor_home_panels

    app.register_blueprint(reports_ops_bp, url_prefix="/reports")
    register_floor_home_panels()
    app.add_url_rule("/sw.js", endpoint="service_worker", view_func=service_worker)

    @app.route("/healthz")
    @public
    def health():
        db.session.execute(db.text("SELECT 1"))
        return {"status": "ok"}

    @app.errorhandler(404)
    def _not_found(error):
        if request.path.startswith("/api/"):
            from erp_core.auth.guard import json_error
            from erp_core.messages import describe_code

            return json_error(404, "not_found", describe_code("not_found", "no such resource"))
        return render_template("errors/404.html"), 404

    @app.errorhandler(429)
    def _too_many(error):
        if request.path.startswith("/api/"):
            from erp_core.auth.guard import json_error
            from erp_core.messages import describe_code

            return json_error(429, "rate_limited", describe_code("rate_limited", str(error.description),
                                                                 limit=str(error.description)))
        return render_template("errors/429.html", limit=error.description), 429


def _register_sessions_and_audit(app: Flask) -> None:
    """Server-side sessions on screen (the admin's and "My sessions"), the audit log's page and API."""
    from erp_core.audit.api import bp as audit_api_bp
    from erp_core.audit.routes import bp as audit_bp
    from erp_core.audit.routes import register_audit_ui
    from erp_core.auth.session_routes import bp as sessions_bp

    app.register_blueprint(sessions_bp)
    app.register_blueprint(audit_bp, url_prefix="/admin/audit")
    api.register_blueprint(audit_api_bp, url_prefix="/api/v1")
    register_audit_ui()


def _register_reconciliation(app: Flask) -> None:
    """Reconciliation (对账): its pages under /finance/reconciliation and /api/v1/finance/statements."""
    from erp_core.finance.reconciliation.api import bp as reconciliation_api_bp
    from erp_core.finance.reconciliation.routes import bp as reconciliation_bp
    from erp_core.finance.reconciliation.routes import register_reconciliation_ui

    app.register_blueprint(reconciliation_bp, url_prefix="/finance/reconciliation")
    register_reconciliation_ui()
    api.register_blueprint(reconciliation_api_bp, url_prefix="/api/v1")
def _register_finance(app: Flask) -> None:
    """The books (erp_core.finance): pages, REST resources, the outbox handlers of the finance topics."""
    from erp_core.finance.api import bp as finance_api_bp
    from erp_core.finance.postings import register_finance_handlers
    from erp_core.finance.routes import bp as finance_bp
    from erp_core.finance.ui import register_finance_ui

    from .finance_documents import bp as finance_documents_bp

    register_finance_handlers()
    register_finance_ui()
    app.register_blueprint(finance_bp, url_prefix="/finance")
    app.register_blueprint(finance_documents_bp, url_prefix="/finance")
    api.register_blueprint(finance_api_bp, url_prefix="/api/v1")


def _register_webhooks(app: Flask) -> None:
    """Webhooks (erp_core.webhooks): Settings > Webhooks, /api/v1/webhooks, the low-stock listener."""
    from erp_core.webhooks.api import bp as webhooks_api_bp
    from erp_core.webhooks.events import listen_low_stock
    from erp_core.webhooks.routes import register_webhooks_ui

    register_webhooks_ui(app)
    api.register_blueprint(webhooks_api_bp, url_prefix="/api/v1")
    listen_low_stock()
def _register_ops(app: Flask) -> None:
    """Operations (erp_core.ops): /admin/backups and /admin/integrity, linked from the Settings menu."""
    from erp_core.ops.routes import bp as ops_bp
    from erp_core.ops.routes import register_ops_ui

    app.register_blueprint(ops_bp, url_prefix="/admin")
    register_ops_ui()


def _register_purchasing_floor(app: Flask) -> None:
    """Purchasing's floor side: ASNs for POs, the PO's PDF; and the purchasing REST resources."""
    from erp_core.purchasing.api import bp as purchasing_api_bp

    from .locations.po_inbound import bp as po_inbound_bp
    from .po_documents import bp as po_documents_bp

    app.register_blueprint(po_inbound_bp, url_prefix="/inbound")
    app.register_blueprint(po_documents_bp, url_prefix="/purchasing")
    api.register_blueprint(purchasing_api_bp, url_prefix="/api/v1")


def _register_shipping_api() -> None:
    """The shipping desk's REST resources (printers, carriers and tracking, box types) and the
    after-sales cases under /api/v1."""
    from erp_core.aftersales.api import bp as returns_api_bp

    from .locations.asn_api import bp as asns_api_bp
    from .picking.api import bp as waves_api_bp
    from .shipping.box_api import bp as box_types_api_bp
    from .shipping.carrier_api import bp as carriers_api_bp
    from .shipping.print_api import bp as printers_api_bp
    from .shipping.shipment_api import bp as shipments_api_bp

    for blueprint in (printers_api_bp, carriers_api_bp, box_types_api_bp, returns_api_bp, shipments_api_bp,
                      waves_api_bp, asns_api_bp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")


def _register_template_helpers(app: Flask) -> None:
    from erp_core.navigation import visible_nav
    from erp_core.reports.home import has_home

    display_tz = ZoneInfo(app.config["WMS_DISPLAY_TIMEZONE"])

    @app.context_processor
    def _globals():
        return {"csrf_token": generate_csrf, "current_locale": str(get_locale()), "LOCALES": LOCALES,
                "current_user": current_user, "role_label": code_labels.role_label,
                "status_label": code_labels.status_label, "platform_label": code_labels.platform_label,
                "hold_reasons": code_labels.hold_reasons, "event_label": code_labels.event_label,
                "wave_kind_label": code_labels.wave_kind_label, "wave_status_label": code_labels.wave_status_label,
                "list_status_label": code_labels.list_status_label, "nav_groups": visible_nav, "has_home": has_home}

    @app.template_filter("localtime")
    def _localtime(value, fmt="short"):
        if value is None:
            return ""
        return format_datetime(value.astimezone(display_tz).replace(tzinfo=None), fmt)

    @app.template_filter("reject_key")
    def _reject_key(mapping: dict, key: str) -> dict:
        return {k: v for k, v in mapping.items() if k != key}

    @app.template_filter("money")
    def _money(value, currency="CNY"):
        symbol = {"CNY": "¥", "USD": "$", "EUR": "€"}.get(currency, currency + " ")
        return f"{symbol}{value:,.2f}"


# 'self' covers the Socket.IO connection (ws:/wss: of the same host, CSP level 3); no other host.
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'")
_CACHEABLE_ENDPOINTS = {"static", "service_worker"}


def _security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        if app.config["WMS_ENV"] == "production":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages, fragments, API answers and exports carry people's and the business's data: no copy
        # is kept by the browser or a proxy (the back button after logout shows nothing). Static
        # files (and the service worker's shell) keep their own caching.
        if request.endpoint not in _CACHEABLE_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store"
        return response


def _register_cli(app: Flask) -> None:
    from .cli import register

    register(app)
