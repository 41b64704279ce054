"""The floor's long work as background jobs, through the routes: a large bin label sheet, a large
wave's waybills, a release of many orders. Small ones stay immediate (the thresholds); large ones go
to the job's page, whose file is downloaded from the job; each job is one job when asked twice, and
is seen only by readers of its warehouse."""

from __future__ import annotations

import pypdfium2
import pytest
from sqlalchemy import func, select

from tests.conftest import login, page_csrf
from tests.label_scans import decode, rasterisers

from .test_import_jobs import shop  # noqa: F401  (a fixture)
from .test_label_routes import desk  # noqa: F401  (a fixture)
from .test_picking import floor as picking_floor  # noqa: F401  (a fixture)
from .test_plan_and_labels import (
    floor,  # noqa: F401  (a fixture)
    needs_pdftoppm,
)


def _pages(pdf: bytes) -> int:
    return len(pypdfium2.PdfDocument(pdf))


def _job_of(response) -> int:
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"], response.status_code
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _job(app, job_id: int):
    from erp_core.extensions import db
    from erp_core.jobs.models import Job

    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        db.session.remove()
    return job


def test_a_small_label_sheet_is_made_at_once_and_a_large_one_by_a_job_whose_file_is_downloaded(
        app, floor, login_as, monkeypatch):  # noqa: F811
    client = login_as("picker")
    url = f"/locations/{floor['wh']}/labels?scope=zone&code=A&layout=thermal&lang=en"  # 24 bins
    # given sheets of up to 24 labels made at once
    monkeypatch.setitem(app.config, "JOBS_LABELS_IMMEDIATE_MAX", 24)
    now = client.get(url)
    assert now.status_code == 200 and _pages(now.data) == 24
    # when the limit is lower than the sheet, the page goes to a job
    monkeypatch.setitem(app.config, "JOBS_LABELS_IMMEDIATE_MAX", 10)
    monkeypatch.setitem(app.config, "JOBS_DOCUMENT_PART", 5)
    job_id = _job_of(client.get(url))
    job = _job(app, job_id)
    assert (job.kind, job.status, job.progress_done, job.progress_total, job.warehouse_id) == (
        "locations.labels", "done", 24, 24, floor["wh"])
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert f"/jobs/{job_id}/file" in page and "Bin labels of zone A: 24 labels" in page
    # then the file has the same 24 labels, one a page
    download = client.get(f"/jobs/{job_id}/file")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert _pages(download.data) == 24 and "labels-SH1-A.pdf" in download.headers["Content-Disposition"]
    # and the same sheet asked for again is the same job, one file
    assert _job_of(client.get(url)) == job_id
    from erp_core.jobs.services import files_dir

    assert [p.name for p in files_dir().glob(f"job-{job_id}*")] == [f"job-{job_id}.pdf"]


@needs_pdftoppm
def test_a_large_wave_s_waybills_come_from_a_job_as_one_document_in_pick_order(
        app, desk, login_as, monkeypatch, tmp_path):  # noqa: F811
    from erp_core.extensions import db
    from wms.picking.models import PickList, WaveOrder

    with app.app_context():
        wave_id = db.session.scalar(select(WaveOrder.wave_id).group_by(WaveOrder.wave_id)
                                    .order_by(func.count().desc(), WaveOrder.wave_id).limit(1))
        order_ids = list(db.session.scalars(
            select(WaveOrder.order_id).outerjoin(PickList, PickList.id == WaveOrder.pick_list_id)
            .where(WaveOrder.wave_id == wave_id).order_by(PickList.sequence, WaveOrder.sequence, WaveOrder.id)))
        db.session.remove()
    monkeypatch.setitem(app.config, "JOBS_DOCUMENTS_IMMEDIATE_MAX", 1)
    monkeypatch.setitem(app.config, "JOBS_DOCUMENT_PART", 1)
    client = login_as("packer")
    job_id = _job_of(client.get(f"/shipping/waves/{wave_id}/waybills.pdf"))
    job = _job(app, job_id)
    assert (job.status, job.progress_done, job.progress_total) == ("done", len(order_ids), len(order_ids))
    pdf = client.get(f"/jobs/{job_id}/file").data
    by_order = dict(zip(desk["orders"], desk["numbers"], strict=True))
    pages = rasterisers(pdf, tmp_path)["pdfium"]
    printed = [next(t for t in decode(page)["Code128"] if t in by_order.values()) for page in pages]
    assert printed == [by_order[o] for o in order_ids] and len(printed) >= 2
    # the packing slips of the wave likewise (A4, one a shipment)
    slips = _job_of(client.get(f"/shipping/waves/{wave_id}/packing-slips.pdf?size=a4"))
    assert _pages(client.get(f"/jobs/{slips}/file").data) == len(order_ids)
    # a viewer may not print them, nor see the job
    viewer = app.test_client()
    login(viewer, "viewer")
    assert viewer.get(f"/shipping/waves/{wave_id}/packing-slips.pdf").status_code == 403
    assert viewer.get(f"/jobs/{job_id}/file").status_code == 404


def _wave_snapshot(app) -> list:
    """Every released wave's lists: (kind, [(orders on the list in order, tasks (order, bin) in sequence)])."""
    from erp_core.extensions import db
    from wms.picking.models import PickList, Wave, WaveOrder

    with app.app_context():
        snapshot = []
        for wave in db.session.scalars(select(Wave).order_by(Wave.id)):
            lists = []
            lists_of_wave = select(PickList).filter_by(wave_id=wave.id).order_by(PickList.sequence)
            for pick_list in db.session.scalars(lists_of_wave):
                orders = list(db.session.scalars(select(WaveOrder.order_id).filter_by(pick_list_id=pick_list.id)
                                                 .order_by(WaveOrder.sequence)))
                lists.append((orders, [(t.order_id, t.location_id, t.quantity) for t in pick_list.tasks]))
            snapshot.append((wave.status, wave.kind, lists))
        db.session.remove()
    return snapshot


def _release_through_the_page(client, warehouse_id: int, **rules):
    data = {"csrf_token": page_csrf(client, "/picking/waves"), "warehouse_id": warehouse_id, **rules}
    return client.post("/picking/waves/release", data=data)


@pytest.mark.parametrize("mode", ["cluster", "batch_sort"])
def test_a_large_release_is_a_job_that_releases_the_same_waves_as_at_once(
        app, picking_floor, login_as, monkeypatch, mode):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from wms.picking import waves as wave_releases
    from wms.picking.planning import WaveRules

    rules = {"cart_items": "6", "cart_slots": "2", "multi_item_mode": mode}
    with app.app_context():
        planned = wave_releases.preview_waves(picking_floor["wh"], WaveRules(cart_items=6, cart_slots=2,
                                                                             multi_item_mode=mode))
        expected = [[list(cart.order_ids) for cart in w.carts] for w in planned.waves]
        db.session.remove()
    # given releases of more than 3 orders are jobs
    monkeypatch.setitem(app.config, "JOBS_RELEASE_IMMEDIATE_MAX", 3)
    client = login_as("supervisor")
    job_id = _job_of(_release_through_the_page(client, picking_floor["wh"], **rules))
    job = _job(app, job_id)
    assert (job.kind, job.status, job.warehouse_id, job.result["orders"]) == (
        "picking.release", "done", picking_floor["wh"], 6), job.error
    # then the waves are released with the plan's carts, every order picking, each once
    snapshot = _wave_snapshot(app)
    assert [status for status, _kind, _lists in snapshot] == ["released"] * len(expected)
    assert [[orders for orders, _tasks in lists] for _s, _k, lists in snapshot] == expected
    with app.app_context():
        assert set(db.session.scalars(select(Order.status).where(Order.id.in_(picking_floor["orders"])))) == {
            "picking"}
        db.session.remove()
    # and the job run again (a duplicate message) or the page posted again releases nothing twice
    from erp_core.jobs.runner import execute_job

    with app.app_context():
        assert execute_job(job_id, will_retry=False) == "skipped"
        db.session.remove()
    assert _release_through_the_page(client, picking_floor["wh"], **rules).headers["Location"] == "/picking/waves"
    assert _wave_snapshot(app) == snapshot


def test_a_release_job_skips_an_order_held_after_planning(app, picking_floor, login_as, monkeypatch):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.jobs.runner import execute_job
    from erp_core.jobs.services import enqueue
    from erp_core.orders.models import Order
    from wms.picking.planning import WaveRules
    from wms.picking.release_jobs import KIND, PERMISSION, _make_plan, rules_to_args

    with app.app_context():
        args = {"warehouse_id": picking_floor["wh"], "rules": rules_to_args(WaveRules(cart_items=6, cart_slots=2)),
                "candidates": 6}
        monkeypatch.setattr("erp_core.jobs.services.hand_to_queue", lambda job_id: None)
        job_id = enqueue(KIND, args, user_id=None, permission=PERMISSION, warehouse_id=picking_floor["wh"]).id
        db.session.remove()
    held = picking_floor["orders"][0]
    with app.app_context():
        from erp_core.jobs.models import Job
        from erp_core.jobs.runner import JobRun
        from erp_core.orders.workflow import ACTIONS

        # given the job planned with the order (its plan file kept, its state says planned) ...
        _make_plan(JobRun(db.session.get(Job, job_id), 0))
        db.session.get(Job, job_id).result = {"planned": True, "step": 0}
        db.session.commit()
        # ... and the order held before the job put it on a cart
        ACTIONS["hold"](held, reason="call the buyer", user_id=None)
        db.session.remove()
    with app.app_context():
        assert execute_job(job_id, will_retry=False) == "done"
        job = db.session.get(Job, job_id)
        # then the order is skipped and reported, the others released
        assert job.result["orders"] == 5 and job.result["skipped"] == {str(held): "changed_meanwhile"}
        assert db.session.get(Order, held).status == "held"
        db.session.remove()


def test_jobs_are_seen_only_by_readers_of_their_warehouse(app, floor, login_as, users, monkeypatch):  # noqa: F811
    from erp_core.auth.models import User
    from erp_core.extensions import db
    from erp_core.inventory.models import Warehouse

    monkeypatch.setitem(app.config, "JOBS_LABELS_IMMEDIATE_MAX", 1)
    client = login_as("supervisor")
    job_id = _job_of(client.get(f"/locations/{floor['wh']}/labels?scope=aisle&code=A01&layout=thermal&lang=en"))
    assert client.get("/api/v1/jobs").get_json()["total"] == 1
    # when the supervisor is limited to another warehouse
    with app.app_context():
        other = Warehouse(code="BJ1", name="Beijing")
        db.session.add(other)
        db.session.flush()
        db.session.get(User, users["supervisor"]).warehouses = [other]
        db.session.commit()
        db.session.remove()
    # then the job is in none of the list, the API, the page or the download
    assert f'data-job="{job_id}"' not in client.get("/jobs/").get_data(as_text=True)
    assert client.get("/api/v1/jobs").get_json()["total"] == 0
    for path in (f"/jobs/{job_id}", f"/api/v1/jobs/{job_id}", f"/jobs/{job_id}/file", f"/jobs/{job_id}/progress"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/jobs/{job_id}/retry", data={"csrf_token": page_csrf(client, "/jobs/")}).status_code == 404


@pytest.mark.parametrize(("lang", "title"), [("en", "hold: 2 orders"), ("zh", "挂起：2 个订单")])
def test_a_job_s_title_is_shown_in_the_reader_s_language_whoever_started_it(app, login_as, shop, lang, title):  # noqa: F811
    from erp_core.extensions import db
    from erp_core.jobs.models import Job
    from tests.integration.test_jobs_queue import _pending_orders

    ids = _pending_orders(app, 2)
    starter = login_as("supervisor")  # started in English
    hold = _job_of(starter.post("/orders/bulk", data={"csrf_token": page_csrf(starter, "/orders/"), "action": "hold",
                                                      "reason": "call buyer", "order_id": ids}))
    pending = _job_of(starter.post("/orders/audit-pending", data={"csrf_token": page_csrf(starter, "/orders/")}))
    with app.app_context():  # what is stored is the kind and its arguments, no words of any language
        assert set(db.session.scalars(select(Job.title))) == {""}
        db.session.remove()
    # when read in another language
    starter.post("/settings/language", data={"locale": lang, "csrf_token": page_csrf(starter)})
    # then the page, the list and the API title it in that language
    assert title in starter.get(f"/jobs/{hold}").get_data(as_text=True)
    assert title in starter.get("/jobs/").get_data(as_text=True)
    assert starter.get(f"/api/v1/jobs/{hold}").get_json()["title"] == title
    # (the Chinese of "Audit pending orders: %(count)d orders" is in /work/briefs/zh-jobsmore.json)
    if lang == "en":
        assert starter.get(f"/api/v1/jobs/{pending}").get_json()["title"] == "Audit pending orders: 0 orders"
