"""Backups (数据备份): a backup made while a writer keeps receiving stock is a consistent copy (its
manifest and a restore into a scratch database agree, and in the copy the quants equal the moves),
list and retention, a restore refuses a backup from a newer schema, the admin page creates and
verifies; on PostgreSQL (TEST_DATABASE=postgresql) pg_dump and a scratch database do the same."""

from __future__ import annotations

import json
import shutil
import threading

import pytest

from tests.conftest import BACKEND, page_csrf, service_unavailable

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def backups_in(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "WMS_BACKUP_DIR", str(tmp_path / "backups"))
    if BACKEND == "postgresql" and shutil.which("pg_dump") is None:
        service_unavailable("pg_dump is not installed (Debian package postgresql-client)")
    return tmp_path / "backups"


def _keep_receiving(app, world, stop: threading.Event, counter: list[int]) -> None:
    from erp_core.extensions import db
    from erp_core.inventory.services import receive

    with app.app_context():
        while not stop.is_set():
            receive(world["a"], world["sh_pick"], 1, reference="WRITER")
            counter[0] += 1
        db.session.remove()


def test_a_backup_made_while_stock_is_received_is_a_consistent_copy_that_verifies(app, world, backups_in):
    from erp_core.ops.backups import create_backup, list_backups, verify_backup

    # given a writer receiving one unit at a time
    stop, written = threading.Event(), [0]
    writer = threading.Thread(target=_keep_receiving, args=(app, world, stop, written))
    writer.start()
    try:
        with app.app_context():
            while written[0] < 3:
                stop.wait(0.05)
            # when a backup is made in the middle of it
            backup = create_backup()
            during = written[0]
    finally:
        stop.set()
        writer.join(60)
    with app.app_context():
        # then the copy's own ledger adds up: per SKU, quants = moves, and SKU A has what was written by then
        assert backup.manifest["quants_by_sku"] == backup.manifest["moves_by_sku"]
        assert 15 + 3 <= backup.manifest["quants_by_sku"][str(world["a"])] <= 15 + during + 1
        assert backup.manifest["tables"]["stock_moves"] >= 3 + 3
        assert backup.name.endswith(f"-{backup.revision}" + (".sqlite3.gz" if BACKEND == "sqlite" else ".pgdump"))
        # and it is listed with its size, time and revision, and verifies against a scratch restore
        listed = list_backups()
        assert [b.name for b in listed] == [backup.name] and listed[0].size > 0
        result = verify_backup(backup.name)
        assert result.ok, result.problems
        assert result.rows == sum(backup.manifest["tables"].values())


def test_verify_finds_a_backup_that_does_not_match_its_manifest(app, world, backups_in):
    from erp_core.ops.backups import create_backup, verify_backup

    with app.app_context():
        backup = create_backup()
        manifest_path = backup.path.with_name(backup.name + ".json")
        manifest = json.loads(manifest_path.read_text())
        manifest["tables"]["stock_moves"] += 1
        manifest_path.write_text(json.dumps(manifest))
        result = verify_backup(backup.name)
        assert not result.ok
        assert any("stock_moves" in problem for problem in result.problems)


def test_only_the_newest_backups_are_kept(app, world, backups_in, monkeypatch):
    from erp_core.ops.backups import create_backup, list_backups

    monkeypatch.setitem(app.config, "WMS_BACKUP_KEEP", "2")
    with app.app_context():
        made = [create_backup().name for _ in range(3)]
        assert [b.name for b in list_backups()] == made[1:]
        assert len(list(backups_in.glob("*.json"))) == 2


def test_a_restore_refuses_a_backup_from_a_newer_schema(app, world, backups_in):
    from erp_core.errors import Conflict
    from erp_core.ops.backups import create_backup, restore_backup

    with app.app_context():
        backup = create_backup()
        manifest_path = backup.path.with_name(backup.name + ".json")
        manifest = json.loads(manifest_path.read_text())
        manifest["revision"] = "9999"
        manifest_path.write_text(json.dumps(manifest))
        with pytest.raises(Conflict) as refused:
            restore_backup(backup.name)
        assert refused.value.code == "backup_newer_schema"
        assert "newer schema" in refused.value.message
        runner = app.test_cli_runner()
        answer = runner.invoke(args=["backup", "restore", backup.name, "--yes"])
        assert answer.exit_code != 0 and "newer schema" in answer.output


def test_a_restore_asks_for_yes(app, world, backups_in):
    from erp_core.ops.backups import create_backup

    with app.app_context():
        backup = create_backup()
    answer = app.test_cli_runner().invoke(args=["backup", "restore", backup.name])
    assert answer.exit_code != 0 and "--yes" in answer.output


@pytest.mark.skipif(BACKEND != "sqlite", reason="the SQLite file is replaced; PostgreSQL restores with pg_restore")
def test_a_sqlite_restore_puts_the_backup_in_place_of_the_database_file(app, world, backups_in):
    from sqlalchemy import func, select

    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.services import receive
    from erp_core.ops.backups import create_backup, restore_backup

    with app.app_context():
        backup = create_backup()
        before = db.session.scalar(select(func.count(StockMove.id)))
        receive(world["a"], world["sh_pick"], 4, reference="AFTER")
        restore_backup(backup.name)
        assert db.session.scalar(select(func.count(StockMove.id))) == before


def test_the_cli_creates_lists_and_verifies(app, world, backups_in):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["backup", "create"])
    assert made.exit_code == 0, made.output
    name = made.output.split()[1]
    listed = runner.invoke(args=["backup", "list"])
    assert name in listed.output and "revision" in listed.output
    verified = runner.invoke(args=["backup", "verify", name])
    assert verified.exit_code == 0 and "verified" in verified.output


def test_the_admin_page_creates_and_verifies_a_backup(app, world, backups_in, login_as):
    client = login_as("admin")
    token = page_csrf(client, "/admin/backups")
    created = client.post("/admin/backups", data={"csrf_token": token}, follow_redirects=True)
    assert created.status_code == 200 and "created" in created.get_data(as_text=True)
    with app.app_context():
        from erp_core.ops.backups import list_backups

        name = list_backups()[0].name
    assert name in client.get("/admin/backups").get_data(as_text=True)
    verified = client.post(f"/admin/backups/{name}/verify", data={"csrf_token": token})
    assert "verified" in verified.get_data(as_text=True)


def test_the_backup_page_is_for_admins_only(app, login_as):
    client = login_as("supervisor")
    assert client.get("/admin/backups").status_code == 403
    assert client.get("/admin/integrity").status_code == 403


def test_the_daily_backup_is_due_once_after_its_hour():
    from datetime import datetime

    from erp_core.ops.backups import backup_due

    at = datetime(2030, 5, 1, 3, 0)
    assert backup_due(at, 2, None)
    assert not backup_due(at, 2, datetime(2030, 5, 1, 2, 10))
    assert backup_due(at, 2, datetime(2030, 5, 1, 1, 59))
    assert not backup_due(datetime(2030, 5, 1, 1, 0), 2, datetime(2030, 4, 30, 2, 5))
    assert backup_due(datetime(2030, 5, 1, 1, 0), 2, datetime(2030, 4, 29, 23, 0))


def test_the_scheduled_run_makes_one_backup_a_day(app, world, backups_in):
    from datetime import UTC, datetime

    from erp_core.ops.backups import list_backups, run_backup

    with app.app_context():
        assert run_backup(datetime.now(UTC)) is not None
        assert run_backup(datetime.now(UTC)) is None
        assert len(list_backups()) == 1
