"""Backups (数据备份): create, list, restore and verify, for SQLite and PostgreSQL.

A backup is one file in WMS_BACKUP_DIR (default instance/backups) named
``<UTC timestamp>-<alembic revision>.sqlite3.gz`` (SQLite: the online backup API copies the live file
page by page while the app keeps writing, then gzip) or ``...-<revision>.pgdump`` (PostgreSQL:
``pg_dump -Fc``), with a JSON manifest next to it (``<name>.json``): the schema revision, the row count
of every table and the stock totals per SKU, read from the same snapshot as the copy, and the file's
SHA-256. `verify` restores into a scratch database and compares; `restore` refuses a backup whose
revision this code does not know (a newer schema). The newest WMS_BACKUP_KEEP (14) backups are kept.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from ..config import instance_dir
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from . import backups_pg
from .stats import snapshot_stats, stats_differences

log = logging.getLogger(__name__)

SQLITE_SUFFIX, PG_SUFFIX = ".sqlite3.gz", ".pgdump"
_NAME = re.compile(r"^\d{8}T\d{9}Z-[0-9A-Za-z_]+(\.sqlite3\.gz|\.pgdump)$")


def setting(name: str, default: str) -> str:
    """An ops setting: the app's config, else the environment, else the default."""
    value = current_app.config.get(name) or os.environ.get(name, "")
    return str(value).strip() or default


def backup_dir() -> Path:
    path = Path(setting("WMS_BACKUP_DIR", str(instance_dir() / "backups")))
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Backup:
    name: str
    path: Path
    size: int
    created_at: datetime
    revision: str
    kind: str  # sqlite | postgresql
    manifest: dict = field(repr=False)


@dataclass(frozen=True)
class Verification:
    name: str
    ok: bool
    problems: list[str]
    tables: int
    rows: int


def list_backups() -> list[Backup]:
    """Every backup with its manifest, oldest first."""
    found = []
    for manifest_path in sorted(backup_dir().glob("*.json")):
        name = manifest_path.name[:-len(".json")]
        path = manifest_path.with_name(name)
        if not _NAME.match(name) or not path.exists():
            continue
        manifest = json.loads(manifest_path.read_text())
        found.append(Backup(name, path, path.stat().st_size, datetime.fromisoformat(manifest["created_at"]),
                            manifest["revision"], manifest["kind"], manifest))
    return found


def find_backup(name: str) -> Backup:
    match = next((b for b in list_backups() if b.name == name), None)
    if match is None:
        raise NotFound(f"no backup {name}", code="backup_unknown", name=name)
    return match


def create_backup() -> Backup:
    """Copy the configured database into a new backup with its manifest, then keep the newest
    WMS_BACKUP_KEEP. Consistent while the app runs: SQLite's backup API reads one snapshot (WAL lets
    writers go on), pg_dump and the manifest share one exported snapshot."""
    now = utcnow()
    stamp = f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z"
    target = backup_dir()
    kind = db.engine.dialect.name
    if kind == "sqlite":
        path, stats = _sqlite_create(stamp, target)
    elif kind == "postgresql":
        path, stats = backups_pg.dump(db.engine, stamp, target, PG_SUFFIX)
    else:
        raise ValidationFailed(f"backups of {kind} are not supported", code="backup_unsupported", kind=kind)
    manifest = {"name": path.name, "kind": kind, "created_at": now.isoformat(), "revision": stats["revision"],
                "sha256": _sha256(path), "size": path.stat().st_size, **stats}
    manifest_path = path.with_name(path.name + ".json")
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    prune_backups(int(setting("WMS_BACKUP_KEEP", "14")))
    return find_backup(path.name)


def _sqlite_create(stamp: str, target: Path) -> tuple[Path, dict]:
    partial = target / f".{stamp}.partial"
    source = sqlite3.connect(db.engine.url.database, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # one step: the copy is the database as of one moment
    finally:
        copy.close()
        source.close()
    try:
        stats = _sqlite_stats(partial)
        path = target / f"{stamp}-{stats['revision']}{SQLITE_SUFFIX}"
        with open(partial, "rb") as raw, gzip.open(path, "wb") as packed:
            shutil.copyfileobj(raw, packed)
    finally:
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
    return path, stats


def _sqlite_stats(path: Path) -> dict:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            problem = conn.scalar(text("PRAGMA integrity_check"))
            if problem != "ok":
                raise Conflict(f"the copy is damaged: {problem}", code="backup_damaged", detail=problem)
            return snapshot_stats(conn)
    finally:
        engine.dispose()


def prune_backups(keep: int) -> list[str]:
    """Delete all but the newest `keep` backups (and their manifests); returns the names deleted."""
    old = list_backups()[:-keep] if keep > 0 else []
    for backup in old:
        backup.path.unlink(missing_ok=True)
        backup.path.with_name(backup.name + ".json").unlink(missing_ok=True)
    return [b.name for b in old]


def verify_backup(name: str) -> Verification:
    """Restore the backup into a scratch database (a temporary SQLite file, or a temporary PostgreSQL
    database created and dropped) and compare its rows per table and stock totals with the manifest."""
    backup = find_backup(name)
    problems = []
    if _sha256(backup.path) != backup.manifest.get("sha256"):
        problems.append("the file's checksum differs from the one recorded: the file changed or is truncated")
    if backup.kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="wms-verify-") as scratch:
            copy = Path(scratch) / "verify.sqlite3"
            with gzip.open(backup.path, "rb") as packed, open(copy, "wb") as raw:
                shutil.copyfileobj(packed, raw)
            found = _sqlite_stats(copy)
    else:
        _same_kind(backup)
        found = backups_pg.restore_into_scratch(db.engine, backup.path)
    problems += stats_differences(backup.manifest, found)
    return Verification(name, not problems, problems, len(found["tables"]), sum(found["tables"].values()))


def check_revision(revision: str) -> None:
    """Refuse a backup whose schema revision this code does not know: it comes from a newer schema
    (or another branch), and the code would misread it."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    try:
        known = script.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise Conflict(f"backup from a newer schema ({revision}; this code knows up to {script.get_current_head()})",
                       code="backup_newer_schema", revision=revision, head=script.get_current_head())


def restore_backup(name: str) -> Backup:
    """Put the backup in place of the configured database. SQLite: the app must be stopped (the file
    is replaced; the one it replaces is kept as <file>.before-restore-<time>). PostgreSQL: pg_restore
    --clean --if-exists into the configured database. Run `init-db` afterwards when the backup's
    revision is older than the code's."""
    backup = find_backup(name)
    check_revision(backup.revision)
    _same_kind(backup)
    if backup.kind == "postgresql":
        backups_pg.restore(db.engine, backup.path)
        return backup
    target = Path(db.engine.url.database)
    incoming = target.with_name(target.name + ".restoring")
    with gzip.open(backup.path, "rb") as packed, open(incoming, "wb") as raw:
        shutil.copyfileobj(packed, raw)
    _sqlite_stats(incoming)  # refuses a damaged copy before anything is replaced
    db.session.remove()
    db.engine.dispose()
    if target.exists():
        shutil.copy2(target, target.with_name(f"{target.name}.before-restore-{utcnow():%Y%m%dT%H%M%S}"))
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):  # a stale WAL would be replayed onto it
        stale.unlink(missing_ok=True)
    os.replace(incoming, target)
    return backup


def _same_kind(backup: Backup) -> None:
    if backup.kind != db.engine.dialect.name:
        raise Conflict(f"a {backup.kind} backup cannot go into a {db.engine.dialect.name} database",
                       code="backup_other_database", kind=backup.kind, database=db.engine.dialect.name)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def backup_due(now_local: datetime, hour: int, last_local: datetime | None) -> bool:
    """The daily backup is due: it is past today's backup hour and no backup was made since."""
    slot = now_local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if now_local < slot:
        slot -= timedelta(days=1)
    return last_local is None or last_local < slot


def run_backup(now: datetime | None = None) -> Backup | None:
    """The scheduled backup: made when `backup_due` at WMS_BACKUP_HOUR (local time, WMS_TIMEZONE;
    default 2, "off" disables), else None. Idempotent: the backups already there say whether today's
    is done, so a restart or a second process does not make another."""
    hour = setting("WMS_BACKUP_HOUR", "2")
    if hour.lower() in {"off", "none", "-"}:
        return None
    zone = ZoneInfo(current_app.config.get("WMS_DISPLAY_TIMEZONE", "Asia/Shanghai"))
    now_local = (now or utcnow()).astimezone(zone)
    made = list_backups()
    last = made[-1].created_at.astimezone(zone) if made else None
    return create_backup() if backup_due(now_local, int(hour), last) else None
