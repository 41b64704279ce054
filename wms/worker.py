"""The job consumer's entry point: ``huey_consumer wms.worker.huey -w 2 -k thread``.

It builds the app (the same configuration as the server: DATABASE_URL, REDIS_URL, WMS_INSTANCE_DIR)
so every job kind and periodic task is registered and runs in the app's context. `make run` starts
one next to the server; in production run consumers as their own processes (see the README)."""

from erp_core.jobs.queue import huey
from wms.app import create_app

app = create_app()

__all__ = ["app", "huey"]
