"""When the periodic work of wms/scheduler.py runs: one huey periodic task per plain function.

The consumer's scheduler enqueues them (``huey_consumer`` without ``-n``); adding another periodic
function is one line in PERIODIC. Times are crontab expressions in UTC."""

from __future__ import annotations

import os
from collections.abc import Callable

from flask import Flask
from huey import crontab

from erp_core.jobs.queue import current_app_for_jobs, huey

from .scheduler import (
    purge_idempotency_keys,
    purge_import_reports,
    purge_old_sessions,
    resend_stalled_jobs,
    run_daily_backup,
    run_due_pulls,
    run_finance_postings,
    run_shop_sync,
    run_tracking_pull,
    run_webhooks,
)

_TRACKING_MINUTES = max(1, min(59, int(os.environ.get("WMS_TRACKING_PULL_MINUTES", "30"))))

PERIODIC: list[tuple[Callable, Callable[[Flask], object]]] = [
    (crontab(minute="*"), run_due_pulls),  # each channel's own feed interval decides whether it is due
    (crontab(minute="*"), resend_stalled_jobs),  # print jobs left queued by a restart
    (crontab(minute="*"), run_finance_postings),
    (crontab(minute="*"), run_webhooks),
    (crontab(minute=f"*/{_TRACKING_MINUTES}"), run_tracking_pull),
    (crontab(minute="*"), run_shop_sync),  # tracking uploads; each shop's stock interval decides what is due
    (crontab(minute="17"), purge_idempotency_keys),  # hourly
    (crontab(minute="23"), purge_import_reports),  # hourly: the files of reports older than IMPORT_REPORT_DAYS
    (crontab(minute="29"), purge_old_sessions),  # hourly: session rows ended more than SESSION_KEEP_DAYS ago
    (crontab(minute="5"), run_daily_backup),  # hourly check: makes the day's backup once WMS_BACKUP_HOUR is past
]


def _register(schedule: Callable, function: Callable[[Flask], object]) -> None:
    def run() -> object:
        return function(current_app_for_jobs())

    run.__name__ = run.__qualname__ = function.__name__
    huey.periodic_task(schedule, name=f"periodic.{function.__name__}")(run)


for _schedule, _function in PERIODIC:
    _register(_schedule, _function)
