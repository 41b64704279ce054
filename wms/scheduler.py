"""The periodic work, as plain functions of the app: pull the channels whose feed is due, resend print
jobs left queued by a restart, pull carriers' tracking, purge expired Idempotency-Keys and old
login sessions, post the finance topics of the outbox, send the due webhook deliveries, the shops'
tracking uploads and changed stock levels, remove old import error reports and make the day's backup. Each never raises.

They run as huey periodic tasks in the job consumer (wms/periodic.py says when). Several consumers
are safe: the pull lease on the channel row lets only one of them pull a channel at a time, so
nothing is pulled twice. For cron instead, run ``flask --app wsgi pull-orders --all-due``,
``flask --app wsgi pull-tracking`` and ``flask --app wsgi send-webhooks``.
"""

from __future__ import annotations

import logging

from flask import Flask

from erp_core.api.idempotency import purge_expired_keys
from erp_core.channels.pull import pull_due_channels
from erp_core.extensions import db
from wms.shipping.printing import resend_stalled_jobs  # noqa: F401  (periodic, with the others here)

log = logging.getLogger(__name__)

def run_due_pulls(app: Flask) -> int:
    """Pull every due channel once, in an app context; returns how many channels were pulled.
    Never raises: a failure is logged and the next round tries again."""
    try:
        with app.app_context():
            try:
                return len(pull_due_channels())
            finally:
                db.session.remove()
    except Exception:
        log.exception("scheduled order pull failed")
        return 0


def purge_idempotency_keys(app: Flask) -> int:
    """Delete expired Idempotency-Keys (older than IDEMPOTENCY_TTL_HOURS). Never raises."""
    try:
        with app.app_context():
            try:
                return purge_expired_keys()
            finally:
                db.session.remove()
    except Exception:
        log.exception("purging expired idempotency keys failed")
        return 0


def purge_old_sessions(app: Flask) -> int:
    """Delete login-session rows ended more than SESSION_KEEP_DAYS ago. Never raises."""
    from datetime import timedelta

    from erp_core.auth.sessions import purge_sessions

    try:
        with app.app_context():
            try:
                return purge_sessions(keep_days=app.config["SESSION_KEEP_DAYS"],
                                      max_age=timedelta(seconds=app.config["PERMANENT_SESSION_LIFETIME"]))
            finally:
                db.session.remove()
    except Exception:
        log.exception("purging old login sessions failed")
        return 0


def run_tracking_pull(app: Flask) -> int:
    """Pull the shipped parcels' tracking and flag stale ones; returns the events added. Never raises."""
    from .shipping.tracking import pull_tracking

    try:
        with app.app_context():
            try:
                return pull_tracking().events
            finally:
                db.session.remove()
    except Exception:
        log.exception("scheduled tracking pull failed")
        return 0


def run_finance_postings(app: Flask) -> int:
    """Post what the finance topics of the outbox wait for (erp_core.finance.postings). Never raises."""
    from erp_core.finance.postings import post_pending

    try:
        with app.app_context():
            try:
                return post_pending()["sent"]
            finally:
                db.session.remove()
    except Exception:
        log.exception("scheduled finance postings failed")
        return 0


def run_webhooks(app: Flask) -> int:
    """Send the due webhook deliveries (erp_core.webhooks.delivery); returns how many were delivered.
    Never raises."""
    from erp_core.webhooks.delivery import run_webhook_deliveries

    try:
        with app.app_context():
            try:
                return run_webhook_deliveries()["delivered"]
            finally:
                db.session.remove()
    except Exception:
        log.exception("scheduled webhook deliveries failed")
        return 0


def purge_import_reports(app: Flask) -> int:
    """Remove old import error report files (older than IMPORT_REPORT_DAYS). Never raises."""
    try:
        with app.app_context():
            from erp_core.channels.jobs import run_import_report_purge

            try:
                return run_import_report_purge()
            finally:
                db.session.remove()
    except Exception:
        log.exception("purging old import error reports failed")
        return 0


def run_shop_sync(app: Flask) -> dict[str, int]:
    """The shops' platform work: tracking uploads waiting in the outbox, then the stock levels that
    changed or are due (erp_core.channels.stock_sync.run_stock_sync). Never raises."""
    from erp_core.channels.shop_setup import SHOP_TOPICS
    from erp_core.channels.stock_sync import STOCK_TOPIC, run_stock_sync
    from erp_core.outbox import send_pending

    try:
        with app.app_context():
            try:
                shipped = send_pending(200, topics=[t for t in SHOP_TOPICS if t != STOCK_TOPIC])
                return {"shipments_sent": shipped["sent"], **run_stock_sync()}
            finally:
                db.session.remove()
    except Exception:
        log.exception("scheduled shop sync failed")
        return {}


def run_daily_backup(app: Flask) -> bool:
    """Make the day's backup when it is due (erp_core.ops.backups.run_backup, WMS_BACKUP_HOUR);
    True when one was made. Never raises."""
    from erp_core.ops.backups import run_backup

    try:
        with app.app_context():
            try:
                return run_backup() is not None
            finally:
                db.session.remove()
    except Exception:
        log.exception("scheduled backup failed")
        return False

