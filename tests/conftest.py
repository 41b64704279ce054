"""Shared fixtures: a real database (SQLite file, or a fresh PostgreSQL database), migrated with
Alembic once per run and emptied after every test; the app; clients; users of every role.

TEST_DATABASE=postgresql runs the suite on PostgreSQL (TEST_POSTGRES_URL, default
postgresql://postgres@127.0.0.1:5432/test): a fresh database is created for the run and dropped
after. When no server answers, the tests are skipped locally and fail under CI=true.
"""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, settings

# Property tests judge the code, not the machine: on a busy 2-core runner input generation is slow
# and an example can take longer than Hypothesis' 200 ms deadline. Per-test settings add to this.
settings.register_profile("wms", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("wms")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKEND = os.environ.get("TEST_DATABASE", "sqlite").lower()
PG_BASE = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "correct-horse-9"
ROLES = ("admin", "supervisor", "picker", "packer", "shipping", "purchaser", "finance", "viewer")


def service_unavailable(reason: str):
    """Skip locally; fail under CI, where every service must be there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def _pg_admin_conn(url: str):
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True, connect_timeout=3)


@contextmanager
def fresh_postgres_database(prefix: str = "wms_test"):
    """A new, empty PostgreSQL database on the TEST_POSTGRES_URL server for the duration (its SQLAlchemy
    URL), dropped after even while connections remain; skipped locally (failed in CI) without a server."""
    try:
        admin = _pg_admin_conn(PG_BASE)
    except Exception as error:  # noqa: BLE001  (any connection failure means: no server here)
        service_unavailable(f"PostgreSQL at {PG_BASE} is not reachable: {error}")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_BASE.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    if BACKEND != "postgresql":
        raise pytest.UsageError(f"TEST_DATABASE must be sqlite or postgresql, not {BACKEND!r}")
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    """Argon2id with small costs in tests: hundreds of logins would otherwise dominate the run."""
    from argon2 import PasswordHasher

    from erp_core.auth import services

    services._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ["WMS_INSTANCE_DIR"] = str(tmp_path_factory.mktemp("instance"))
    os.environ["SECRET_KEY"] = "test-secret-key-not-for-production"  # noqa: S105
    os.environ["DATABASE_URL"] = database_url
    from flask_migrate import upgrade

    from wms.app import create_app

    # HUEY_IMMEDIATE: a queued job runs in the process that queued it, once its transaction commits
    # (the crash tests, tests/integration/test_jobs_crash.py, run a real consumer instead).
    # BOARD_COALESCE_SECONDS 0: the board is told after each commit, in the thread that committed, so no
    # background sender outlives a test (the tests of the coalescing set their own window).
    app = create_app({"TESTING": True, "LOGIN_RATE_LIMIT": "1000 per minute", "SERVER_NAME": None,
                      "BOARD_COALESCE_SECONDS": 0,
                      "HUEY_IMMEDIATE": True})
    with app.app_context():
        upgrade()
    yield app
    from erp_core.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Every test starts with empty tables (only for tests that use the app)."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from erp_core.extensions import db, limiter
    from erp_core.inventory.integrity import stock_invariant_violations

    with app.app_context():
        db.session.remove()
        # Stock is sacred: every scenario of the suite must leave the ledger's invariants intact.
        problems = [] if request.node.get_closest_marker("corrupts_stock") else stock_invariant_violations()
        from tests.invariants import journal_violations

        problems += journal_violations()  # the books balance: per entry and overall
        db.session.remove()
        tables = [t for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            else:
                from erp_core.audit.models import SQLITE_TRIGGERS

                # The audit log is append-only even here: lift its guard to empty it, then put it back.
                for name in SQLITE_TRIGGERS:
                    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
                for table in reversed(tables):
                    conn.execute(table.delete())
                for statement in SQLITE_TRIGGERS.values():
                    conn.exec_driver_sql(statement)
        limiter.reset()
    if problems:
        pytest.fail("stock invariants broken after the test:\n  " + "\n  ".join(problems[:20]), pytrace=False)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        from erp_core.extensions import db

        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def users(app):
    """One user per role, all with PASSWORD; the picker has a badge and is limited to no warehouse."""
    from erp_core.auth.services import create_user
    from erp_core.extensions import db

    with app.app_context():
        made = {}
        for role in ROLES:
            user = create_user(role, PASSWORD, role, full_name=role.title(),
                               badge=f"BADGE-{role.upper()}-01" if role == "picker" else None)
            made[role] = user.id
        db.session.remove()
    return made


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def login_as(client, users):
    def _login(role: str):
        response = login(client, role)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _login


def page_csrf(client, path: str = "/") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))
