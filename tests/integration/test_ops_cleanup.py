"""Data cleanup (数据清理): finished orders older than the age go to gzip'd JSON-lines archives with
every row that depends on them (a shipped order's shipment, packages, finance detail), rows that only
point at them stay with the link cleared; old stock moves become opening moves, so quant = sum of
moves and the integrity check stay clean; expired idempotency keys and old import jobs are purged."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from tests.shipping_helpers import order_lines, shipping_floor

pytestmark = pytest.mark.timeout(300)


def _age_everything(days: int) -> None:
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.models_base import utcnow

    old = utcnow() - timedelta(days=days)
    with atomic():
        db.session.execute(text("UPDATE orders SET updated_at = :old"), {"old": old})
        db.session.execute(text("UPDATE stock_moves SET created_at = :old"), {"old": old})


def _archived(directory) -> list[dict]:
    return [json.loads(line) for path in sorted(directory.glob("*.jsonl.gz"))
            for line in gzip.open(path, "rt", encoding="utf-8")]


def _ship(desk, order_id: int) -> int:
    from erp_core.extensions import db
    from erp_core.orders.models import OrderLine
    from wms.shipping.services import PackedPackage, pack_out, ship_shipment

    units = {i: db.session.get(OrderLine, i).quantity for i in order_lines(order_id).values()}
    weight = 150 + sum(db.session.get(OrderLine, i).sku.weight_g * q for i, q in units.items())
    shipment = pack_out(order_id, station_location_id=desk["station"], user_id=None,
                        packages=[PackedPackage(desk["boxes"]["M"], weight, units)]).shipment
    ship_shipment(shipment.id)
    return shipment.id


def test_archiving_keeps_the_ledger_and_the_integrity_check_clean(app, users, tmp_path, monkeypatch):
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.finance.models import CostOfSale
    from erp_core.finance.postings import post_pending
    from erp_core.inventory.models import Quant, StockMove
    from erp_core.inventory.services import ledger_discrepancies
    from erp_core.ops.cleanup import run_cleanup
    from erp_core.ops.integrity import run_integrity_check
    from erp_core.orders.models import Order
    from wms.shipping.models import Shipment, TrackingNumber

    monkeypatch.setitem(app.config, "WMS_ARCHIVE_DIR", str(tmp_path / "archive"))
    desk = shipping_floor(app, users, orders=[[("A", 1), ("B", 2)], [("A", 1)], [("C", 1)]])
    with app.app_context():
        # given an order shipped and two picked ones still on the floor, all two years old
        shipped, picked, open_order = desk["orders"]
        shipment_id = _ship(desk, shipped)
        post_pending()  # finance books the shipment: its cost of sales names the order
        assert db.session.scalar(select(func.count(CostOfSale.id))) > 0
        db.session.remove()
        _age_everything(800)
        with atomic():  # a row that only points at the shipment's parcel (a nullable link)
            db.session.execute(text("UPDATE tracking_numbers SET package_id = (SELECT MIN(id) FROM packages) "
                                    "WHERE status <> 'free'"))
        quants_before = {(q.sku_id, q.location_id, q.lot_id): (q.quantity, q.reserved_quantity)
                         for q in db.session.scalars(select(Quant))}
        moves_before = db.session.scalar(select(func.count(StockMove.id)))
        # when the data older than 730 days is archived
        result = run_cleanup(730)
        db.session.expire_all()
        # then the shipped order went with its shipment; the others (not finished) stay
        assert result.orders == 1 and db.session.get(Order, shipped) is None
        assert db.session.get(Shipment, shipment_id) is None
        assert db.session.get(Order, open_order) is not None and db.session.get(Order, picked) is not None
        # the used tracking number stays (the pool must never hand it out again), its link cleared
        used = db.session.scalar(select(TrackingNumber).where(TrackingNumber.status != "free"))
        assert used is not None and used.package_id is None
        # the stock moves became opening moves; no quant changed; the ledger adds up
        openings = list(db.session.scalars(select(StockMove).where(StockMove.reason == "opening")))
        assert result.moves == moves_before and openings and len(openings) == result.openings
        assert all(m.note == f"archived up to {result.cutoff:%Y-%m-%d}" for m in openings)
        assert {(q.sku_id, q.location_id, q.lot_id): (q.quantity, q.reserved_quantity)
                for q in db.session.scalars(select(Quant))} == quants_before
        assert ledger_discrepancies() == []
        assert run_integrity_check() == []
        # and the archive holds the originals: the order, its lines, events, shipment, every old move
        rows = _archived(result.directory)
        tables = {r["table"] for r in rows if "detached" not in r}
        assert {"orders", "order_lines", "order_events", "shipments", "packages", "stock_moves",
                "cost_of_sales"} <= tables
        assert sum(1 for r in rows if r["table"] == "stock_moves") == moves_before
        assert any(r.get("detached") == "package_id" for r in rows)


def test_a_second_run_summarises_the_openings_again_without_changing_stock(app, world, tmp_path, monkeypatch):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.services import ledger_discrepancies, receive
    from erp_core.ops.cleanup import run_cleanup

    monkeypatch.setitem(app.config, "WMS_ARCHIVE_DIR", str(tmp_path / "archive"))
    with app.app_context():
        _age_everything(800)
        first = run_cleanup(730)
        receive(world["a"], world["sh_pick"], 2, reference="RECENT")
        second = run_cleanup(730)  # the openings sit at the first cutoff: not older than the second's
        assert first.openings == 3 and second.moves == 0
        assert db.session.scalar(select(func.count(StockMove.id))) == 4
        assert ledger_discrepancies() == []


def test_orders_with_an_after_sales_case_and_recent_ones_are_kept(app, world, tmp_path, monkeypatch):
    from erp_core.extensions import db
    from erp_core.ops import cleanup
    from erp_core.orders.models import Order
    from erp_core.orders.services import cancel_order
    from tests.integration.conftest import make_order

    monkeypatch.setitem(app.config, "WMS_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setattr(cleanup, "BLOCKING_TABLES", ("aftersales_cases", "order_events"))  # a stand-in case
    with app.app_context():
        kept = make_order("OLD-1", [("A", 1)])
        cancel_order(kept, "test")
        _age_everything(800)
        recent = make_order("NEW-1", [("A", 1)])
        cancel_order(recent, "test")
        result = cleanup.run_cleanup(730)
        assert (result.orders, result.orders_kept) == (0, 1)
        assert db.session.get(Order, kept) is not None and db.session.get(Order, recent) is not None


def test_a_cancelled_old_order_is_archived_with_its_lines_and_events(app, world, tmp_path, monkeypatch):
    from erp_core.extensions import db
    from erp_core.ops.cleanup import run_cleanup
    from erp_core.orders.models import Order, OrderEvent, OrderLine
    from erp_core.orders.services import cancel_order
    from tests.integration.conftest import make_order

    monkeypatch.setitem(app.config, "WMS_ARCHIVE_DIR", str(tmp_path / "archive"))
    with app.app_context():
        order_id = make_order("OLD-2", [("A", 1), ("B", 1)])
        cancel_order(order_id, "test")
        _age_everything(800)
        result = run_cleanup(730)
        assert result.orders == 1 and db.session.get(Order, order_id) is None
        assert db.session.scalar(select(func.count(OrderLine.id))) == 0
        assert db.session.scalar(select(func.count(OrderEvent.id))) == 0
        rows = _archived(result.directory)
        assert [r["row"]["external_id"] for r in rows if r["table"] == "orders"] == ["OLD-2"]
        assert sum(1 for r in rows if r["table"] == "order_lines") == 2


def test_expired_idempotency_keys_and_old_finished_import_jobs_are_purged(app, world, tmp_path, monkeypatch):
    from erp_core.api.models import IdempotencyRecord
    from erp_core.channels.models import Channel, ImportJob
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.models_base import utcnow

    monkeypatch.setitem(app.config, "WMS_ARCHIVE_DIR", str(tmp_path / "archive"))
    with app.app_context():
        long_ago, now = utcnow() - timedelta(days=800), utcnow()
        channel_id = db.session.scalar(select(Channel.id).filter_by(code="TM"))
        with atomic():
            for key, at in (("old", long_ago), ("fresh", now)):
                db.session.add(IdempotencyRecord(principal="user:1", key=key, method="POST", path="/x",
                                                 request_hash="h", status_code=201, response_body="{}",
                                                 created_at=at))
            for status, at in (("done", long_ago), ("failed", long_ago), ("running", long_ago), ("done", now)):
                db.session.add(ImportJob(channel_id=channel_id, status=status, created_at=at, finished_at=at))
        answer = app.test_cli_runner().invoke(args=["archive", "--older-than-days", "730"])
        assert answer.exit_code == 0, answer.output
        assert "purged 1 idempotency keys, 2 import jobs" in answer.output
        db.session.expire_all()
        assert [r.key for r in db.session.scalars(select(IdempotencyRecord))] == ["fresh"]
        assert sorted(j.status for j in db.session.scalars(select(ImportJob))) == ["done", "running"]
