"""PostgreSQL backups through the client tools (Debian package postgresql-client): pg_dump -Fc,
pg_restore. The connection's parts go to the tools as a libpq URI without the password, which goes in
PGPASSWORD (a command line is visible to every user of the machine)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from ..errors import DomainError
from .stats import snapshot_stats

TIMEOUT_SECONDS = 3600


def tool(name: str) -> str:
    """The path of pg_dump / pg_restore; refused when the client tools are not installed."""
    path = shutil.which(name)
    if path is None:
        raise DomainError(f"{name} is not installed (Debian package postgresql-client)", code="backup_tool_missing",
                          tool=name)
    return path


def _uri_and_env(url) -> tuple[str, dict]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def _run(args: list[str], env: dict) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)  # noqa: S603
    if done.returncode != 0:
        raise DomainError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-500:]}", code="backup_failed",
                          detail=done.stderr.strip()[-500:])


def dump(engine: Engine, stamp: str, target: Path, suffix: str) -> tuple[Path, dict]:
    """pg_dump -Fc of the database, and its stats read in the same snapshot (a REPEATABLE READ
    transaction exports it; pg_dump --snapshot reads exactly that)."""
    pg_dump = tool("pg_dump")
    uri, env = _uri_and_env(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
        stats = snapshot_stats(conn)
        path = target / f"{stamp}-{stats['revision']}{suffix}"
        partial = target / f".{stamp}.partial"
        try:
            _run([pg_dump, "-Fc", f"--snapshot={snapshot}", "--no-owner", "-f", str(partial), f"--dbname={uri}"], env)
            partial.rename(path)
        finally:
            partial.unlink(missing_ok=True)
    return path, stats


def restore(engine: Engine, path: Path) -> None:
    """pg_restore --clean --if-exists into the configured database, in one transaction."""
    uri, env = _uri_and_env(engine.url)
    engine.dispose()
    _run([tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          f"--dbname={uri}", str(path)], env)


def restore_into_scratch(engine: Engine, path: Path) -> dict:
    """Restore the dump into a temporary database on the same server, read its stats, drop it."""
    pg_restore = tool("pg_restore")
    scratch = f"wms_verify_{uuid.uuid4().hex[:10]}"
    admin = create_engine(engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{scratch}"'))
    scratch_url = engine.url.set(database=scratch)
    try:
        uri, env = _uri_and_env(scratch_url)
        _run([pg_restore, "--no-owner", "--exit-on-error", f"--dbname={uri}", str(path)], env)
        reader = create_engine(scratch_url, poolclass=NullPool)
        try:
            with reader.connect() as conn:
                return snapshot_stats(conn)
        finally:
            reader.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()
