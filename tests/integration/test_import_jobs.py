"""Importing order files through the screen: a background job with progress, counts and an error report."""

from __future__ import annotations

import io
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import page_csrf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
DOCS_TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "import-template.csv"
TAOBAO_PAIR = ("ExportOrderList202611201630.csv", "ExportOrderDetailList202611201630.csv")


@pytest.fixture
def shop(app):
    """The sample files' SKUs and three shops; returns the shops' ids by code."""
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.extensions import db
    from tests.unit.importer_helpers import KNOWN_SKUS

    with app.app_context():
        for code in sorted(KNOWN_SKUS):
            create_sku(code, code.replace("-", " ").title())
        channels = [Channel(code="TMALL", name="Tmall", platform="tmall"),
                    Channel(code="SHOPIFY", name="Shopify", platform="shopify"),
                    Channel(code="MANUAL", name="Phone orders", platform="manual")]
        db.session.add_all(channels)
        db.session.commit()
        ids = {c.code: c.id for c in channels}
        db.session.remove()
    return ids


def _upload(client, channel_id: int, files: list[tuple[str, bytes]]):
    token = page_csrf(client, "/intake/imports")
    data = {"csrf_token": token, "channel": str(channel_id),
            "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/intake/imports", data=data, content_type="multipart/form-data")


def _fixture(name: str) -> tuple[str, bytes]:
    return name, (FIXTURES / name).read_bytes()


def _finished_job(app, job_id: int) -> dict:
    """Poll the job until its thread has finished it (bounded: the loop gives up, it does not time)."""
    from erp_core.channels.models import ImportJob
    from erp_core.extensions import db

    for _ in range(600):
        with app.app_context():
            job = db.session.get(ImportJob, job_id)
            state = {c.name: getattr(job, c.name) for c in ImportJob.__table__.c}
            db.session.remove()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.05)
    pytest.fail(f"import job {job_id} did not finish: {state}")


def _start(client, app, channel_id: int, files: list[tuple[str, bytes]]) -> dict:
    response = _upload(client, channel_id, files)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return _finished_job(app, job_id)


def _count_orders(app) -> int:
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    with app.app_context():
        count = db.session.scalar(select(func.count(Order.id)))
        db.session.remove()
    return count


def test_a_taobao_report_pair_is_imported_in_the_background_and_the_page_shows_the_counts(app, login_as, shop):
    # given a supervisor at the import page
    client = login_as("supervisor")
    assert client.get("/intake/imports").status_code == 200
    # when they upload the Taobao orders and items reports together
    job = _start(client, app, shop["TMALL"], [_fixture(name) for name in TAOBAO_PAIR])
    # then the job stored every order and says so
    assert job["status"] == "done", job["message"]
    assert (job["format"], job["total_orders"], job["processed_orders"]) == ("taobao", 6, 6)
    assert (job["created_orders"], job["duplicate_orders"], job["error_rows"]) == (6, 0, 0)
    assert _count_orders(app) == 6
    # and the page shows it, without polling any more
    page = client.get(f"/intake/imports/{job['id']}").get_data(as_text=True)
    fragment = client.get(f"/intake/imports/{job['id']}/progress").get_data(as_text=True)
    assert "ExportOrderList202611201630.csv" in page and 'id="import-progress"' in page
    assert 'data-status="done"' in fragment and "hx-trigger" not in fragment
    assert "No rows were rejected." in fragment


def test_every_imported_order_gets_its_lines_total_customer_and_history(app, login_as, shop):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    client = login_as("admin")
    job = _start(client, app, shop["MANUAL"], [_fixture("template_orders.csv")])
    assert job["status"] == "done" and job["created_orders"] == 4
    with app.app_context():
        order = db.session.scalar(select(Order).filter_by(external_id="WX20261120001"))
        assert [(line.sku.code, line.quantity) for line in order.lines] == [("TEA-LJ-250", 2), ("MUG-CER-350", 1)]
        assert order.goods_total == Decimal("324.00") and order.status == "pending"
        assert order.customer is not None and order.customer.name == "张三"
        assert [e.kind for e in order.events] == ["created", "imported"]
        assert "template_orders.csv line 2" in order.events[1].message
        db.session.remove()


def test_a_file_with_bad_rows_imports_its_good_orders_and_offers_the_error_report(app, login_as, shop):
    client = login_as("supervisor")
    # when a template with bad rows is imported
    job = _start(client, app, shop["MANUAL"], [_fixture("template_with_errors.csv")])
    # then its good orders are stored and its bad rows counted
    assert job["status"] == "done"
    assert job["created_orders"] == 2 and _count_orders(app) == 2
    assert job["error_rows"] >= 6
    # and the page lists the bad rows with line, column and reason
    page = client.get(f"/intake/imports/{job['id']}").get_data(as_text=True)
    assert "TEA-XX-999" in page and "SKU does not exist in the catalogue" in page
    # and the report downloads as a CSV attachment
    report = client.get(f"/intake/imports/{job['id']}/errors.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert report.headers["Content-Disposition"].startswith("attachment;")
    text = report.data.decode("utf-8-sig")
    lines = text.splitlines()
    assert report.data.startswith(b"\xef\xbb\xbf") and lines[0] == "file,line,column,code,reason,value"
    assert "template_with_errors.csv,4,sku,unknown_sku,SKU does not exist in the catalogue,TEA-XX-999" in lines
    assert len(lines) == 1 + job["error_rows"]


def test_uploading_the_same_file_again_creates_nothing_new(app, login_as, shop):
    client = login_as("supervisor")
    first = _start(client, app, shop["SHOPIFY"], [_fixture("shopify_orders_export.csv")])
    again = _start(client, app, shop["SHOPIFY"], [_fixture("shopify_orders_export.csv")])
    assert first["created_orders"] > 0
    assert again["status"] == "done" and again["created_orders"] == 0
    assert again["duplicate_orders"] == first["created_orders"]
    assert _count_orders(app) == first["created_orders"]


def test_an_unreadable_file_is_reported_without_stopping_the_job(app, login_as, shop):
    client = login_as("supervisor")
    # given a damaged XLSX uploaded with a good file
    broken = ("broken.xlsx", b"PK\x03\x04 this is not really a spreadsheet")
    job = _start(client, app, shop["MANUAL"], [broken, _fixture("template_orders.csv")])
    # then the job finishes, stores the good file and reports the broken one
    assert job["status"] == "done" and job["created_orders"] == 4
    assert "broken.xlsx,,,unreadable_file" in job["report_preview"]


def test_the_list_shows_recent_imports_so_a_user_can_come_back(app, login_as, shop):
    client = login_as("supervisor")
    job = _start(client, app, shop["MANUAL"], [_fixture("template_orders.csv")])
    listing = client.get("/intake/imports").get_data(as_text=True)
    assert f'href="/intake/imports/{job["id"]}"' in listing and "template_orders.csv" in listing


def test_a_running_job_fragment_keeps_polling_every_second(app, login_as, shop):
    from erp_core.channels.models import ImportJob
    from erp_core.extensions import db

    client = login_as("supervisor")
    with app.app_context():
        job = ImportJob(channel_id=shop["MANUAL"], status="running", total_orders=1000, processed_orders=400,
                        created_orders=380, duplicate_orders=20, file_names="big.csv")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        db.session.remove()
    fragment = client.get(f"/intake/imports/{job_id}/progress").get_data(as_text=True)
    assert f'hx-get="/intake/imports/{job_id}/progress"' in fragment and 'hx-trigger="every 1s"' in fragment
    assert '<progress max="1000" value="400">' in fragment and "380" in fragment


def test_a_job_that_breaks_is_marked_failed_with_the_reason(app, shop, monkeypatch):
    from erp_core.channels import jobs
    from erp_core.channels.models import ImportJob
    from erp_core.extensions import db

    with app.app_context():
        job = ImportJob(channel_id=shop["MANUAL"], status="queued", file_names="x.csv")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        db.session.remove()

    def explode(files):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs, "parse_order_files", explode)
    jobs.run_import_job(app, job_id, [_fixture("template_orders.csv")])
    state = _finished_job(app, job_id)
    assert state["status"] == "failed" and "disk on fire" in state["message"] and state["finished_at"]


def test_a_form_without_files_is_refused(app, login_as, shop):
    client = login_as("supervisor")
    response = _upload(client, shop["MANUAL"], [])
    assert response.status_code == 200 and "Choose at least one file." in response.get_data(as_text=True)


def test_the_template_can_be_downloaded(login_as, shop):
    client = login_as("supervisor")
    response = client.get("/intake/template.csv")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data == DOCS_TEMPLATE.read_bytes()


def test_a_picker_cannot_open_the_import_page(login_as, shop):
    client = login_as("picker")
    assert client.get("/intake/imports").status_code == 403
    assert client.get("/intake/template.csv").status_code == 403
    assert _upload(client, shop["MANUAL"], [_fixture("template_orders.csv")]).status_code == 403


# --- storing parsed orders (the bulk path behind the job) -----------------------------------------

def _parsed(external_id: str, *, sku: str = "TEA-LJ-250", buyer_id: str = "", name: str = "张三",
            phone: str = "13812345678", cancelled: bool = False):
    from erp_core.channels.importers import ParsedLine, ParsedOrder

    return ParsedOrder(external_id=external_id, platform="template", buyer_id=buyer_id, name=name, phone=phone,
                       province="浙江省", city="杭州市", address="文三路 478 号", cancelled=cancelled,
                       lines=[ParsedLine(sku, 2, Decimal("12.50")), ParsedLine("MUG-CER-350", 1, Decimal("3.00"))],
                       source_file="feed.csv", source_line=2)


def _store(app, channel_code: str, orders: list, **kwargs):
    from erp_core.channels.services import ImportReport, channel_by_code, store_parsed_orders
    from erp_core.extensions import db

    with app.app_context():
        report = store_parsed_orders(channel_by_code(channel_code), orders, ImportReport(format="template"),
                                     **kwargs)
        db.session.remove()
    return report


def test_storing_reports_progress_as_it_goes(app, shop, monkeypatch):
    from erp_core.channels import services

    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    told: list[tuple[int, int]] = []
    report = _store(app, "TMALL", [_parsed(f"P{n}") for n in range(5)], chunk_size=2,
                    progress=lambda so_far, handled: told.append((handled, len(so_far.created))))
    assert len(report.created) == 5
    assert told == [(2, 2), (4, 4), (5, 5)]


def test_a_chunk_the_database_refuses_is_stored_again_one_order_at_a_time(app, shop, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from erp_core.channels import services
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    refused = []

    def refuse(*args, **kwargs):
        refused.append(len(args[1]))
        raise IntegrityError("INSERT ...", {}, Exception("simulated"))

    monkeypatch.setattr(services, "insert_new_orders", refuse)
    report = _store(app, "TMALL", [_parsed(f"F{n}") for n in range(3)])
    assert refused == [3] and len(report.created) == 3 and report.errors == []
    with app.app_context():
        orders = list(db.session.scalars(select(Order).order_by(Order.external_id)))
        assert [o.external_id for o in orders] == ["F0", "F1", "F2"]
        assert all([e.kind for e in o.events] == ["created", "imported"] for o in orders)
        db.session.remove()


def test_one_order_the_database_refuses_does_not_sink_the_rest_of_its_chunk(app, shop, monkeypatch):
    from erp_core.channels import services
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from erp_core.orders.services import create_order

    # given another import stores order G2 after this one checked which orders the shop has
    load = services._SkuIds.load

    def load_then_race(self, orders):
        load(self, orders)
        create_order(services._new_order("TMALL", _parsed("G2")))

    monkeypatch.setattr(services._SkuIds, "load", load_then_race)
    # when the chunk's bulk insert meets the unique (shop, order number) constraint
    report = _store(app, "TMALL", [_parsed("G1"), _parsed("G2"), _parsed("G3")])
    # then the chunk is stored again order by order: the others are created, G2 is not doubled
    assert len(report.created) == 2 and report.already_imported == ["G2"] and report.errors == []
    with app.app_context():
        assert sorted(db.session.scalars(select(Order.external_id))) == ["G1", "G2", "G3"]
        db.session.remove()


def test_a_missing_value_is_stored_as_the_column_default_on_both_paths(app, shop, monkeypatch):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    report = _store(app, "TMALL", [_parsed("N1", name=None)])
    assert len(report.created) == 1
    with app.app_context():
        assert db.session.scalar(select(Order.ship_name).filter_by(external_id="N1")) == ""
        db.session.remove()


def test_customers_are_matched_by_platform_buyer_id_else_phone_and_name(app, shop):
    from erp_core.customers.models import Customer
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    with app.app_context():
        known_buyer = Customer(platform="tmall", buyer_id="tb_old", name="老客户", phone="13900000000")
        known_phone = Customer(name="李四", phone="13700000000")
        db.session.add_all([known_buyer, known_phone])
        db.session.commit()
        ids = (known_buyer.id, known_phone.id)
        db.session.remove()
    report = _store(app, "TMALL", [
        _parsed("C1", buyer_id="tb_old"), _parsed("C2", name="李四", phone="13700000000"),
        _parsed("C3", buyer_id="tb_new"), _parsed("C4", buyer_id="tb_new")])
    assert len(report.created) == 4
    with app.app_context():
        by_order = {o.external_id: o.customer_id for o in db.session.scalars(select(Order))}
        assert (by_order["C1"], by_order["C2"]) == ids
        assert by_order["C3"] == by_order["C4"] and by_order["C3"] not in ids
        new = db.session.get(Customer, by_order["C3"])
        assert (new.platform, new.buyer_id, new.first_channel_id) == ("tmall", "tb_new", shop["TMALL"])
        assert db.session.scalar(select(func.count(Customer.id))) == 3
        db.session.remove()


def test_an_order_cancelled_on_the_platform_is_stored_cancelled_with_its_history(app, shop):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    _store(app, "TMALL", [_parsed("X1", cancelled=True)])
    with app.app_context():
        order = db.session.scalar(select(Order).filter_by(external_id="X1"))
        assert order.status == "cancelled" and order.goods_total == Decimal("28.00")
        assert [e.kind for e in order.events] == ["created", "imported", "cancelled"]
        db.session.remove()


def test_an_order_sent_again_with_a_new_address_updates_the_stored_one(app, shop):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    first = _store(app, "TMALL", [_parsed("R1")])
    moved = _parsed("R1")
    moved.address = "天目山路 100 号"
    again = _store(app, "TMALL", [moved, _parsed("R2")])
    assert again.updated == first.created and len(again.created) == 1
    with app.app_context():
        order = db.session.get(Order, first.created[0])
        assert order.ship_address == "天目山路 100 号" and order.events[-1].kind == "address_changed"
        db.session.remove()


def test_an_order_with_an_unknown_sku_is_reported_and_the_others_stored(app, shop):
    report = _store(app, "TMALL", [_parsed("U1"), _parsed("U2", sku="NOT-IN-CATALOG")])
    assert len(report.created) == 1
    assert [(e.code, e.value) for e in report.errors] == [("unknown_sku", "U2")]


def test_an_unknown_job_is_not_found(login_as, shop):
    client = login_as("supervisor")
    assert client.get("/intake/imports/999").status_code == 404
    assert client.get("/intake/imports/999/progress").status_code == 404
    assert client.get("/intake/imports/999/errors.csv").status_code == 404


def test_a_job_left_running_by_a_restart_stops_polling_and_says_so(app, login_as, shop):
    from datetime import timedelta

    from erp_core.channels.models import ImportJob
    from erp_core.extensions import db
    from erp_core.models_base import utcnow

    client = login_as("supervisor")
    with app.app_context():
        job = ImportJob(channel_id=shop["MANUAL"], status="running", file_names="old.csv",
                        created_at=utcnow() - timedelta(hours=3))
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        db.session.remove()
    fragment = client.get(f"/intake/imports/{job_id}/progress").get_data(as_text=True)
    assert "hx-trigger" not in fragment and "the server was probably restarted" in fragment
