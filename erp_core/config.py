"""Configuration from environment variables, with safe defaults for the embedded (SQLite) mode."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def instance_dir() -> Path:
    """Where the SQLite file and the generated secret key live: WMS_INSTANCE_DIR, else instance/.

    Read when the configuration is built (not at import), so an app created after the variable
    changed uses the new directory."""
    return Path(os.environ.get("WMS_INSTANCE_DIR", PROJECT_ROOT / "instance"))


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else a random key kept in instance/ (never in the repo)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def proxy_count(raw: str | None) -> int:
    """WMS_PROXY_FIX: how many reverse proxies stand in front of the app (their X-Forwarded-For and
    -Proto are then trusted for the client's address and scheme). Empty/0/false: none; 1/true: one."""
    value = (raw or "").strip().lower()
    if value in {"", "0", "false", "no", "off"}:
        return 0
    if value in {"true", "yes", "on"}:
        return 1
    if value.isdigit():
        return int(value)
    raise ValueError(f"WMS_PROXY_FIX must be a number of proxies or true/false, not {raw!r}")


def database_url(instance: Path) -> str:
    """DATABASE_URL, else the embedded SQLite file in the instance directory."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        instance.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance / 'wms.db'}"
    # Heroku-style URLs and plain postgresql:// mean the psycopg 3 driver here.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def redis_namespace() -> str:
    """REDIS_NAMESPACE, else "wms": the prefix of this installation's keys and channel in Redis."""
    return os.environ.get("REDIS_NAMESPACE", "").strip() or "wms"


def load_config() -> dict:
    """Read the configuration once, at app creation."""
    production = os.environ.get("WMS_ENV", "development").lower() == "production"
    redis_url = os.environ.get("REDIS_URL", "").strip() or None
    instance = instance_dir()
    return {
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database_url(instance),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        # Every key and channel this app uses in Redis starts with this name (the job queue, the Socket.IO
        # channel, the login limit), so two installations (or test runs) can share one Redis server.
        "REDIS_NAMESPACE": redis_namespace(),
        "WMS_ENV": "production" if production else "development",
        # Cookies: HttpOnly and SameSite always; Secure when served over HTTPS (production default).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_NAME": "wms_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("SESSION_HOURS", "12")) * 3600,
        # Ended sessions (logged out, revoked, expired) are kept this long for the admin's list, then purged.
        "SESSION_KEEP_DAYS": int(os.environ.get("SESSION_KEEP_DAYS", "30")),
        "IDEMPOTENCY_TTL_HOURS": int(os.environ.get("IDEMPOTENCY_TTL_HOURS", "24")),
        "IDEMPOTENCY_WAIT_SECONDS": int(os.environ.get("IDEMPOTENCY_WAIT_SECONDS", "10")),
        # CSRF is checked by our own before_request (so token-authenticated API calls can skip it).
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken", "X-CSRF-Token"],
        "WMS_PROXY_FIX": proxy_count(os.environ.get("WMS_PROXY_FIX")),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_KEY_PREFIX": redis_namespace(),
        "RATELIMIT_HEADERS_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "WMS_DISPLAY_TIMEZONE": os.environ.get("WMS_TIMEZONE", "Asia/Shanghai"),
        # The wave board hears each wave's progress at most once per this many seconds (0: every change).
        "BOARD_COALESCE_SECONDS": float(os.environ.get("BOARD_COALESCE_SECONDS", "0.25")),
        "BOARD_SHIFT_HOURS": float(os.environ.get("BOARD_SHIFT_HOURS", "8")),  # pickers this shift
        "SOCKETIO_CORS_ORIGINS": [o for o in os.environ.get("SOCKETIO_ORIGINS", "").split(",") if o],
        # "websocket": refuse Socket.IO's long-polling, so several processes need no sticky sessions.
        "SOCKETIO_TRANSPORTS": [t.strip() for t in os.environ.get("SOCKETIO_TRANSPORTS", "").split(",") if t.strip()],
        "API_TITLE": "Warehouse-floor WMS API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": None,
        # The task queue (erp_core/jobs): SqliteHuey on this file unless REDIS_URL is set; HUEY_IMMEDIATE=1
        # runs each job in the process that queued it (tests). A running job whose heartbeat is older than
        # JOBS_STALL_SECONDS lost its worker and is queued again (failed after JOBS_MAX_ATTEMPTS).
        "HUEY_SQLITE_FILE": os.environ.get("HUEY_SQLITE_FILE") or str(instance / "huey.db"),
        "HUEY_IMMEDIATE": _bool("HUEY_IMMEDIATE", False),
        "JOBS_STALL_SECONDS": float(os.environ.get("JOBS_STALL_SECONDS", "120")),
        "JOBS_LOST_SECONDS": float(os.environ.get("JOBS_LOST_SECONDS", "600")),
        "JOBS_MAX_ATTEMPTS": int(os.environ.get("JOBS_MAX_ATTEMPTS", "5")),
        # A bulk job's chunk: at most this many orders, and no longer than this, per transaction.
        "JOBS_CHUNK_ORDERS": int(os.environ.get("JOBS_CHUNK_ORDERS", "200")),
        "JOBS_CHUNK_SECONDS": float(os.environ.get("JOBS_CHUNK_SECONDS", "0.25")),
        "JOBS_CHUNK_PAUSE_SECONDS": float(os.environ.get("JOBS_CHUNK_PAUSE_SECONDS", "0.1")),
        # Up to these sizes the work is done in the request; larger ones are background jobs.
        "JOBS_LABELS_IMMEDIATE_MAX": int(os.environ.get("JOBS_LABELS_IMMEDIATE_MAX", "48")),  # bin labels
        "JOBS_DOCUMENTS_IMMEDIATE_MAX": int(os.environ.get("JOBS_DOCUMENTS_IMMEDIATE_MAX", "20")),  # shipments
        "JOBS_RELEASE_IMMEDIATE_MAX": int(os.environ.get("JOBS_RELEASE_IMMEDIATE_MAX", "200")),  # orders
        # A document job lays out this many labels or shipments at a time (its progress moves per part).
        "JOBS_DOCUMENT_PART": int(os.environ.get("JOBS_DOCUMENT_PART", "48")),
        # Outbound requests (channel feeds, platform APIs, webhooks): see erp_core/net_guard.py.
        "OUTBOUND_ALLOW_HTTP": _bool("OUTBOUND_ALLOW_HTTP", False),
        "OUTBOUND_ALLOW_PRIVATE": _bool("OUTBOUND_ALLOW_PRIVATE", False),
        "OUTBOUND_ALLOWED_HOSTS": [h.strip() for h in os.environ.get("OUTBOUND_ALLOWED_HOSTS", "").split(",")
                                   if h.strip()],
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "64")) * 1024 * 1024,
        # File imports (erp_core/fileimport/limits.py): rows per file, an XLSX's unzipped size and
        # compression ratio (a bomb), the length of one cell; error reports kept this many days.
        "IMPORT_MAX_ROWS": int(os.environ.get("IMPORT_MAX_ROWS", "200000")),
        "IMPORT_MAX_UNZIPPED_MB": int(os.environ.get("IMPORT_MAX_UNZIPPED_MB", "200")),
        "IMPORT_MAX_ZIP_RATIO": int(os.environ.get("IMPORT_MAX_ZIP_RATIO", "100")),
        "IMPORT_MAX_CELL_CHARS": int(os.environ.get("IMPORT_MAX_CELL_CHARS", "10000")),
        "IMPORT_REPORT_DAYS": int(os.environ.get("IMPORT_REPORT_DAYS", "30")),
    }
