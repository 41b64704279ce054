"""Importing real-format order files into the database: orders, lines, customers, the error report."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
SAMPLE_SKUS = ["TEA-LJ-250", "MUG-CER-350", "TOTE-CAN-01", "SOCK-WL-M", "BOTTLE-SS-500", "CABLE-USBC-1M"]


def _file(name: str) -> tuple[str, bytes]:
    return name, (FIXTURES / name).read_bytes()


@pytest.fixture
def shop(app):
    """The sample files' SKUs and three channels."""
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.extensions import db
    from tests.unit.importer_helpers import KNOWN_SKUS

    with app.app_context():
        for code in sorted(KNOWN_SKUS):
            create_sku(code, code.replace("-", " ").title())
        db.session.add_all([Channel(code="TMALL", name="Tmall", platform="tmall"),
                            Channel(code="SHOPIFY", name="Shopify", platform="shopify"),
                            Channel(code="MANUAL", name="Phone orders", platform="manual")])
        db.session.commit()


def test_a_gbk_taobao_report_pair_becomes_orders_with_lines_and_customers(app, shop):
    from erp_core.channels.services import import_order_files
    from erp_core.customers.models import Customer
    from erp_core.extensions import db
    from erp_core.orders.models import Order, OrderLine

    with app.app_context():
        files = [_file("ExportOrderList202611201630.csv"), _file("ExportOrderDetailList202611201630.csv")]
        report = import_order_files("TMALL", files)
        assert report.errors == [] and len(report.created) == 6
        assert db.session.scalar(select(func.count(OrderLine.id))) == 10
        order = db.session.get(Order, report.created[0])
        assert order.ship_province and order.ship_city and order.ship_address
        assert len(order.external_id) >= 15 and order.external_id.isdigit()  # no ="..." and no 1.2E+18
        assert db.session.scalar(select(func.count(Customer.id))) >= 1
        assert all(o.status in {"pending", "cancelled"} for o in db.session.scalars(select(Order)))


def test_importing_the_same_file_twice_creates_nothing_new(app, shop):
    from erp_core.channels.services import import_order_files
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    with app.app_context():
        first = import_order_files("SHOPIFY", [_file("shopify_orders_export.csv")])
        again = import_order_files("SHOPIFY", [_file("shopify_orders_export.csv")])
        assert len(first.created) > 0 and again.created == []
        assert sorted(again.already_imported) == sorted(
            db.session.get(Order, i).external_id for i in first.created)
        assert db.session.scalar(select(func.count(Order.id))) == len(first.created)


def test_a_file_with_bad_rows_imports_its_good_orders_and_reports_the_rest(app, shop):
    from erp_core.channels.services import import_order_files
    from erp_core.fileimport import errors_to_csv

    with app.app_context():
        report = import_order_files("MANUAL", [_file("template_with_errors.csv")])
        assert report.created, "the good orders of the file are imported"
        codes = {e.code for e in report.errors}
        assert {"unknown_sku", "bad_quantity", "missing_address"} <= codes
        assert all(e.file == "template_with_errors.csv" and e.line for e in report.errors)
        csv_text = errors_to_csv(report.errors).decode("utf-8-sig")
        assert csv_text.splitlines()[0] == "file,line,column,code,reason,value"


def test_an_import_leaves_the_cyclic_collector_running_for_the_other_threads(app, shop, monkeypatch):
    import gc
    import threading
    import weakref

    from erp_core.channels import services

    class Node:
        pass

    seen: dict[str, object] = {}
    real_parse = services.parse_orders

    def parse_while_another_job_makes_garbage(*args, **kwargs):
        # Another job's thread drops a reference cycle while the import runs: it must still be collected.
        def other_job() -> None:
            node = Node()
            node.me = node
            seen["cycle"] = weakref.ref(node)

        worker = threading.Thread(target=other_job)
        worker.start()
        worker.join()
        seen["enabled"] = gc.isenabled()
        seen["collected"] = gc.collect(0) >= 0 and seen["cycle"]() is None
        return real_parse(*args, **kwargs)

    before = gc.get_threshold()
    monkeypatch.setattr(services, "parse_orders", parse_while_another_job_makes_garbage)
    with app.app_context():
        report = services.import_order_files("MANUAL", [_file("template_orders.csv")])
    assert report.created
    assert seen == {"cycle": seen["cycle"], "enabled": True, "collected": True}
    assert gc.get_threshold() == before


def test_imports_in_two_threads_give_the_collector_its_thresholds_back_when_the_last_ends():
    import gc
    import threading

    from erp_core.channels.services import IMPORT_GC_THRESHOLD, gc_threshold_raised

    before = gc.get_threshold()
    first_in, second_done = threading.Event(), threading.Event()
    during: list[tuple[int, ...]] = []

    def first() -> None:
        with gc_threshold_raised():
            first_in.set()
            second_done.wait(5)
            during.append(gc.get_threshold())

    worker = threading.Thread(target=first)
    worker.start()
    first_in.wait(5)
    with gc_threshold_raised():
        during.append(gc.get_threshold())
    second_done.set()
    worker.join()
    assert during == [(IMPORT_GC_THRESHOLD, *before[1:])] * 2
    assert gc.get_threshold() == before and gc.isenabled()
