"""The task queue: one huey instance for the app and its consumers.

Embedded default: ``SqliteHuey`` on ``<instance>/huey.db`` (HUEY_SQLITE_FILE), consumed by the
``huey_consumer`` that ``make run`` starts next to the server. With REDIS_URL set: ``RedisHuey`` on
that server, its keys named after REDIS_NAMESPACE ("wms"), consumers run as separate processes (see
the README). HUEY_IMMEDIATE=1 runs every task in the caller's process at once (tests); the crash
tests use a real consumer instead.

The consumer's import path is ``wms.worker.huey`` (it builds the app the tasks run in); this module
knows no app until ``bind_app`` is called by ``create_app``.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey

from ..config import instance_dir, redis_namespace

NAME = "wms"  # the queue's name in its SQLite file


def queue_settings(config: dict | None = None) -> dict:
    """Where the queue lives: from the app's config when given, else from the environment."""
    config = config or {}
    redis_url = config.get("REDIS_URL", os.environ.get("REDIS_URL", "").strip() or None)
    filename = config.get("HUEY_SQLITE_FILE") or os.environ.get("HUEY_SQLITE_FILE") or str(instance_dir() / "huey.db")
    immediate = config.get("HUEY_IMMEDIATE")
    if immediate is None:
        immediate = os.environ.get("HUEY_IMMEDIATE", "").strip().lower() in {"1", "true", "yes", "on"}
    namespace = config.get("REDIS_NAMESPACE") or redis_namespace()
    return {"redis_url": redis_url, "filename": filename, "immediate": bool(immediate), "namespace": namespace}


def make_huey(settings: dict) -> Huey:
    if settings["redis_url"]:
        return RedisHuey(settings["namespace"], url=settings["redis_url"], immediate=settings["immediate"])
    Path(settings["filename"]).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(NAME, filename=settings["filename"], immediate=settings["immediate"])


huey: Huey = make_huey(queue_settings())
_bound: dict[str, Flask] = {}


def bind_app(app: Flask) -> None:
    """Point the queue at this app's configuration and run its tasks in this app's context."""
    settings = queue_settings(app.config)
    huey.immediate = settings["immediate"]  # (switching recreates the storage from the import-time settings)
    if not settings["immediate"]:
        huey.storage = make_huey(settings).storage
    _bound["app"] = app


def current_app_for_jobs() -> Flask:
    app = _bound.get("app")
    if app is None:
        raise RuntimeError("no app bound to the job queue: create_app() binds it (wms.worker in a consumer)")
    return app
