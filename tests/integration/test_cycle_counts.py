"""Cycle counts (盘点): tasks by bins, zone, SKU or ABC schedule; blind counting by scan on the
handheld; the variance report; approval posting adjustments; recounts above the threshold."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.conftest import login, page_csrf

# Distinctive book quantities: a blind-count page containing one of them would leak it.
CUP_IN_B1, LID_IN_B1, CUP_IN_B2, LID_OUTSIDE = 4817, 2931, 3607, 7


@pytest.fixture
def store(app):
    """SH1 with zone A > aisle A01 > bins A01-01-1 (CUP 4817, LID 2931), A01-02-1 (CUP 3607) and
    A01-03-1 (empty); Z-99 outside the zone (LID 7). PEN is in no bin."""
    floor = (FloorBuilder()
             .warehouse("SH1", "Shanghai", key="wh")
             .then(_zone_a_by_hand)
             .bin("Z-99", "pick", key="z99")
             .sku("CUP", "Thermos cup", name_zh="保温杯", barcodes=["6901234567892"], cost=Decimal("12.50"), key="cup")
             .sku("LID", "Lid", barcodes=["6901234567809"], cost=Decimal("1.00"), key="lid")
             .sku("PEN", "Pen", cost=Decimal("1.00"), key="pen")
             .stock("cup", "A01-01-1", CUP_IN_B1)
             .stock("lid", "A01-01-1", LID_IN_B1)
             .stock("cup", "A01-02-1", CUP_IN_B2)
             .stock("lid", "z99", LID_OUTSIDE)
             .build(app))
    return dict(floor)


def _zone_a_by_hand(floor) -> dict[str, int]:
    """Zone A > aisle A01 > three bins, made row by row: a tree without a generated layout."""
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import warehouse_root

    wh_id = floor["wh"]
    zone = Location(warehouse_id=wh_id, parent_id=warehouse_root(wh_id).id, code="A", usage="view", kind="zone")
    db.session.add(zone)
    db.session.flush()
    aisle = Location(warehouse_id=wh_id, parent_id=zone.id, code="A01", usage="view", kind="aisle")
    db.session.add(aisle)
    db.session.flush()
    bins = {}
    for key, code, bin_type in (("b1", "A01-01-1", "pick"), ("b2", "A01-02-1", "pick"), ("b3", "A01-03-1", "reserve")):
        loc = Location(warehouse_id=wh_id, parent_id=aisle.id, code=code, barcode=f"SH1-{code}", usage="internal",
                       kind="bin", bin_type=bin_type)
        db.session.add(loc)
        db.session.flush()
        bins[key] = loc.id
    db.session.commit()
    return {"zone": zone.id, **bins}


def _lines(task_id):
    from erp_core.extensions import db
    from wms.locations.models import CountLine

    return {(li.location_id, li.sku_id): li for li in
            db.session.scalars(select(CountLine).filter_by(task_id=task_id))}


def _qty(sku_id, location_id):
    from erp_core.inventory.stock_queries import quant_in

    return quant_in(sku_id, location_id)[0]


@pytest.fixture
def bin_count(app, store, users):
    from wms.locations.count_planning import create_count

    with app.app_context():
        return create_count(store["wh"], [store["b1"], store["b2"], store["b3"]], user_id=users["supervisor"]).id


# --- creating counts -------------------------------------------------------------------------------

def test_a_bin_count_captures_the_books_per_sku_and_keeps_an_empty_bin_on_the_list(ctx, store, bin_count):
    from erp_core.extensions import db
    from wms.locations.models import CountTask

    task = db.session.get(CountTask, bin_count)
    assert task.reference == f"CNT-{bin_count:06d}" and task.status == "open" and task.kind == "bin"
    assert {k: li.expected_quantity for k, li in _lines(bin_count).items()} == {
        (store["b1"], store["cup"]): CUP_IN_B1, (store["b1"], store["lid"]): LID_IN_B1,
        (store["b2"], store["cup"]): CUP_IN_B2, (store["b3"], None): 0}
    assert all(li.counted_quantity is None and li.counted_at is None for li in _lines(bin_count).values())


def test_a_zone_count_covers_every_bin_under_the_zone_and_no_other(ctx, store):
    from wms.locations.count_planning import create_zone_count

    task = create_zone_count(store["zone"])
    assert task.kind == "zone" and {loc for loc, _ in _lines(task.id)} == {store["b1"], store["b2"], store["b3"]}


def test_a_sku_count_counts_every_bin_holding_it_whole(ctx, store):
    from wms.locations.count_planning import create_sku_count

    task = create_sku_count(store["wh"], store["lid"])
    assert set(_lines(task.id)) == {(store["b1"], store["cup"]), (store["b1"], store["lid"]),
                                    (store["z99"], store["lid"])}


def test_a_sku_in_no_bin_cannot_be_counted_by_sku(ctx, store):
    from erp_core.errors import ValidationFailed
    from wms.locations.count_planning import create_sku_count

    with pytest.raises(ValidationFailed):
        create_sku_count(store["wh"], store["pen"])


def test_an_abc_count_takes_the_bins_of_the_most_overdue_skus(ctx, store):
    from erp_core.extensions import db
    from erp_core.models_base import utcnow
    from wms.locations.count_planning import abc_candidates, create_abc_count, create_count
    from wms.locations.models import CountTask

    # given CUP (A by value) was counted and approved 10 days ago, LID (C) never
    old = create_count(store["wh"], [store["b2"]])
    for line in old.lines:
        line.counted_quantity, line.counted_at = line.expected_quantity, utcnow() - timedelta(days=10)
    old.status = "approved"
    db.session.commit()
    classes = {c.sku_id: c.abc_class for c, _value in abc_candidates(store["wh"])}
    assert classes[store["cup"]] == "A" and classes[store["lid"]] == "C"
    # when one SKU is to be counted by the schedule
    task = create_abc_count(store["wh"], 1)
    # then it is LID (never counted), in both bins holding it
    assert task.kind == "abc" and {loc for loc, _ in _lines(task.id)} == {store["b1"], store["z99"]}
    # and a second schedule run finds CUP not due yet (A: every 30 days) and LID already on a count
    with pytest.raises(Exception, match="due"):
        create_abc_count(store["wh"], 5)
    assert db.session.scalar(select(CountTask).filter_by(kind="abc")).id == task.id


def test_a_bin_count_requested_twice_reuses_the_open_count(ctx, store):
    from wms.locations.count_planning import request_bin_count

    first = request_bin_count(store["wh"], store["b1"], kind="short_pick", note="short pick at A01-01-1")
    again = request_bin_count(store["wh"], store["b1"], kind="short_pick")
    assert first.id == again.id and first.kind == "short_pick"


def test_counts_are_created_from_the_office_page(app, login_as, store):
    client = login_as("supervisor")
    token = page_csrf(client, "/tasks/counts")
    for data in ({"mode": "abc", "warehouse_id": store["wh"], "how_many": 1},
                 {"mode": "bins", "warehouse_id": store["wh"], "bins": "A01-01-1, SH1-A01-02-1"},
                 {"mode": "zone", "zone_id": store["zone"]},
                 {"mode": "sku", "warehouse_id": store["wh"], "sku": "6901234567809"}):
        response = client.post("/tasks/counts", data={**data, "csrf_token": token})
        assert response.status_code == 302 and "/tasks/counts/" in response.headers["Location"], data
    bad = client.post("/tasks/counts", data={"mode": "bins", "warehouse_id": store["wh"], "bins": "NOPE-1",
                                             "csrf_token": token}, follow_redirects=True)
    assert "NOPE-1" in bad.get_data(as_text=True)
    listing = client.get("/tasks/counts").get_data(as_text=True)
    assert listing.count("CNT-") == 4


# --- blind counting on the handheld ----------------------------------------------------------------

def _scan(client, task_id, code, key=None, path="scan", **state):
    headers = {"X-CSRFToken": page_csrf(client, "/tasks/count"), "HX-Request": "true"}
    if key:
        headers["Idempotency-Key"] = key
    response = client.post(f"/tasks/count/{task_id}/{path}", data={"code": code, **state}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def _sound(response) -> str:
    return next(iter(json.loads(response.headers["HX-Trigger"])))


def _never_shows_the_books(html: str) -> None:
    for secret in (CUP_IN_B1, LID_IN_B1, CUP_IN_B2):
        assert str(secret) not in html


def _count_bin(client, task_id, bin_id, bin_code, scans, typed=None):
    """Scan the bin, the items, optionally type the last item's quantity, scan the bin again."""
    pages = [_scan(client, task_id, bin_code)]
    sku_id = None
    for code in scans:
        pages.append(_scan(client, task_id, code, location_id=bin_id))
        sku_id = int(pages[-1].get_data(as_text=True).split('name="sku_id" value="')[1].split('"')[0])
    if typed is not None:
        pages.append(_scan(client, task_id, str(typed), location_id=bin_id, sku_id=sku_id))
    pages.append(_scan(client, task_id, bin_code, location_id=bin_id))
    return pages


def test_a_blind_count_by_scans_never_shows_the_expected_quantities(app, login_as, store, bin_count):
    client = login_as("picker")
    # the lists and the count page show bins, never quantities
    _never_shows_the_books(client.get("/tasks/count").get_data(as_text=True))
    page = client.get(f"/tasks/count/{bin_count}").get_data(as_text=True)
    assert "A01-01-1" in page and "A01-03-1" in page
    _never_shows_the_books(page)
    # when the picker counts bin 1: three scans of CUP, then types 4815; one LID scan, then types 2931 - 1
    pages = _count_bin(client, bin_count, store["b1"], "SH1-A01-01-1", ["6901234567892"] * 3)
    assert "3" in pages[3].get_data(as_text=True) and _sound(pages[3]) == "scan-ok"
    pages += [_scan(client, bin_count, "SH1-A01-01-1")]  # the bin is finished: scanning it again is refused
    assert _sound(pages[-1]) == "scan-error"
    for response in pages:
        _never_shows_the_books(response.get_data(as_text=True))
    with app.app_context():
        lines = _lines(bin_count)
        assert lines[(store["b1"], store["cup"])].counted_quantity == 3
        assert lines[(store["b1"], store["lid"])].counted_quantity == 0  # not found: 0 when the bin is finished
        assert lines[(store["b1"], store["cup"])].counted_at is not None
        assert lines[(store["b2"], store["cup"])].counted_at is None


def test_a_typed_quantity_sets_the_count_of_the_last_item(app, login_as, store, bin_count):
    client = login_as("picker")
    pages = _count_bin(client, bin_count, store["b1"], "SH1-A01-01-1", ["6901234567892"], typed=4815)
    assert "4815" in pages[2].get_data(as_text=True)
    with app.app_context():
        assert _lines(bin_count)[(store["b1"], store["cup"])].counted_quantity == 4815


def test_an_item_found_where_the_books_have_none_gets_a_new_line_expecting_zero(app, login_as, store, bin_count):
    client = login_as("picker")
    _count_bin(client, bin_count, store["b3"], "SH1-A01-03-1", ["PEN", "PEN"])
    with app.app_context():
        lines = _lines(bin_count)
        assert (lines[(store["b3"], store["pen"])].expected_quantity,
                lines[(store["b3"], store["pen"])].counted_quantity) == (0, 2)
        assert lines[(store["b3"], None)].counted_quantity == 0


def test_wrong_scans_are_refused_and_change_nothing(app, login_as, store, bin_count):
    client = login_as("picker")
    assert _sound(_scan(client, bin_count, "SH1-Z-99")) == "scan-error"          # not in this count
    assert _sound(_scan(client, bin_count, "12", location_id=store["b1"])) == "scan-error"  # a quantity before an item
    assert _sound(_scan(client, bin_count, "NOPE", location_id=store["b1"])) == "scan-error"
    other_bin = _scan(client, bin_count, "SH1-A01-02-1", location_id=store["b1"])  # finish the current bin first
    assert _sound(other_bin) == "scan-error" and "Finish this bin first" in other_bin.get_data(as_text=True)
    with app.app_context():
        assert all(li.counted_quantity is None for li in _lines(bin_count).values())


def test_a_replayed_item_scan_counts_once(app, login_as, store, bin_count):
    client = login_as("picker")
    _scan(client, bin_count, "SH1-A01-01-1")
    first = _scan(client, bin_count, "6901234567892", key="scan-1", location_id=store["b1"])
    again = _scan(client, bin_count, "6901234567892", key="scan-1", location_id=store["b1"])
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_data() == first.get_data()
    _scan(client, bin_count, "6901234567892", key="scan-2", location_id=store["b1"])
    with app.app_context():
        assert _lines(bin_count)[(store["b1"], store["cup"])].counted_quantity == 2


def test_the_last_bin_finished_closes_the_count_for_review(app, login_as, store, bin_count):
    from erp_core.extensions import db
    from wms.locations.models import CountTask

    client = login_as("picker")
    _count_bin(client, bin_count, store["b1"], "SH1-A01-01-1", ["6901234567892"], typed=CUP_IN_B1 - 2)
    _count_bin(client, bin_count, store["b2"], "SH1-A01-02-1", [])
    finish = _scan(client, bin_count, "", path="finish", location_id=store["b3"])
    assert "The office will review it" in finish.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CountTask, bin_count).status == "counted"
    assert f"CNT-{bin_count:06d}" not in client.get("/tasks/count").get_data(as_text=True)


# --- report, approval, recount ---------------------------------------------------------------------

def _count_all(app, task_id, counted: dict, user_id):
    """Count every bin of a task: {(location, sku): n} as given, every other line as the books say."""
    from wms.locations import counting

    with app.app_context():
        task = _task(task_id)
        wanted = {(li.location_id, li.sku_id): li.expected_quantity for li in task.lines if li.sku_id}
        for (loc, sku), n in {**wanted, **counted}.items():
            counting.set_counted(task_id, loc, sku, n, user_id=user_id)
        for b in counting.bins_of(_task(task_id)):
            counting.finish_bin(task_id, b.location.id, user_id=user_id)


def test_the_report_shows_expected_counted_variance_value_and_percent(app, login_as, store, bin_count, users):
    _count_all(app, bin_count, {(store["b1"], store["cup"]): CUP_IN_B1 - 2}, users["picker"])
    page = login_as("supervisor").get(f"/tasks/counts/{bin_count}").get_data(as_text=True)
    assert str(CUP_IN_B1) in page and str(CUP_IN_B1 - 2) in page and "-2" in page
    assert "¥-25.00" in page and "-0.0 %" in page and "Approve and post" in page


def test_approval_posts_the_variances_as_adjustments_in_one_go(app, login_as, store, bin_count, users):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from erp_core.inventory.services import ledger_discrepancies
    from wms.locations.models import CountTask

    # given bin 1 counted 2 CUP short and 1 LID over (within 5 units / 10 %)
    _count_all(app, bin_count, {(store["b1"], store["cup"]): CUP_IN_B1 - 2,
                                (store["b1"], store["lid"]): LID_IN_B1 + 1}, users["picker"])
    # when the supervisor approves
    client = login_as("supervisor")
    response = client.post(f"/tasks/counts/{bin_count}/approve", data={"csrf_token": page_csrf(client)},
                           follow_redirects=True)
    assert "2 adjustments posted" in response.get_data(as_text=True)
    # then the books follow the count, through adjustments noted with the count's reference
    with app.app_context():
        task = db.session.get(CountTask, bin_count)
        assert task.status == "approved" and task.approved_by_id == users["supervisor"]
        assert (_qty(store["cup"], store["b1"]), _qty(store["lid"], store["b1"])) == (CUP_IN_B1 - 2, LID_IN_B1 + 1)
        moves = db.session.scalars(select(StockMove).filter_by(reason="adjustment")).all()
        assert sorted((m.quantity, m.note) for m in moves) == [(1, f"count {task.reference}"),
                                                             (2, f"count {task.reference}")]
        assert ledger_discrepancies() == []
    # and a second approval changes nothing
    again = client.post(f"/tasks/counts/{bin_count}/approve", data={"csrf_token": page_csrf(client)},
                        follow_redirects=True)
    assert "approved or cancelled already" in again.get_data(as_text=True)


def test_lines_above_the_threshold_go_to_a_recount_and_post_when_it_is_approved(app, store, bin_count, users):
    from erp_core.extensions import db
    from erp_core.inventory.services import ledger_discrepancies
    from wms.locations.count_approval import approve_count
    from wms.locations.models import CountTask

    # given LID counted 31 short (above 5 units), CUP 2 short (within)
    _count_all(app, bin_count, {(store["b1"], store["cup"]): CUP_IN_B1 - 2,
                                (store["b1"], store["lid"]): LID_IN_B1 - 31}, users["picker"])
    with app.app_context():
        # when approved
        approval = approve_count(bin_count, user_id=users["supervisor"])
        # then CUP posts, LID does not, and LID goes to a recount of the same bin
        assert approval.posted == 1 and approval.recount is not None
        recount_id = approval.recount.id
        assert (_qty(store["cup"], store["b1"]), _qty(store["lid"], store["b1"])) == (CUP_IN_B1 - 2, LID_IN_B1)
        recount = db.session.get(CountTask, recount_id)
        assert recount.recount_of_id == bin_count and recount.status == "open"
        assert [(li.location_id, li.sku_id, li.expected_quantity) for li in recount.lines] == [
            (store["b1"], store["lid"], LID_IN_B1)]
        # and the recount must be counted before it can be approved
        with pytest.raises(Exception, match="not counted"):
            approve_count(recount_id, user_id=users["supervisor"])
    # when the recount finds 30 short and is approved
    _count_all(app, recount_id, {(store["b1"], store["lid"]): LID_IN_B1 - 30}, users["picker"])
    with app.app_context():
        assert approve_count(recount_id, user_id=users["supervisor"]).recount is None
        # then it posts, even above the threshold
        assert _qty(store["lid"], store["b1"]) == LID_IN_B1 - 30
        assert ledger_discrepancies() == []


def test_a_count_with_uncounted_lines_cannot_be_approved(app, login_as, store, bin_count):
    from erp_core.extensions import db
    from wms.locations.models import CountTask

    client = login_as("supervisor")
    response = client.post(f"/tasks/counts/{bin_count}/approve", data={"csrf_token": page_csrf(client)},
                           follow_redirects=True)
    assert "4 lines are not counted yet" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CountTask, bin_count).status == "open"


def test_stock_picked_after_the_bin_was_counted_is_not_undone_by_the_approval(app, store, bin_count, users):
    from erp_core.inventory.services import ledger_discrepancies, move_stock, virtual_location
    from wms.locations.count_approval import approve_count, variance_report

    _count_all(app, bin_count, {(store["b1"], store["cup"]): CUP_IN_B1 - 2}, users["picker"])
    with app.app_context():
        # given 5 CUP leave the bin after it was counted
        move_stock(store["cup"], store["b1"], virtual_location("CUSTOMER").id, 5, reason="ship")
        row = next(r for r in variance_report(_task(bin_count)).rows if r.line.sku_id == store["cup"]
                   and r.line.location_id == store["b1"])
        assert row.variance == -2
        # when approved, then the 2 missing are written off and the 5 shipped stay shipped
        approve_count(bin_count, user_id=users["supervisor"])
        assert _qty(store["cup"], store["b1"]) == CUP_IN_B1 - 2 - 5
        assert ledger_discrepancies() == []


def _task(task_id):
    from erp_core.extensions import db
    from wms.locations.models import CountTask

    return db.session.get(CountTask, task_id)


def test_counting_fewer_than_are_reserved_is_refused_at_approval_and_nothing_posts(app, login_as, store,
                                                                                   bin_count, users):
    from erp_core.extensions import db
    from erp_core.inventory.models import StockMove
    from tests.stock_helpers import reserve

    with app.app_context():
        reserve(store["cup"], store["b2"], CUP_IN_B2)
    _count_all(app, bin_count, {(store["b1"], store["lid"]): LID_IN_B1 + 1,
                                (store["b2"], store["cup"]): CUP_IN_B2 - 1}, users["picker"])
    client = login_as("supervisor")
    response = client.post(f"/tasks/counts/{bin_count}/approve", data={"csrf_token": page_csrf(client)},
                           follow_redirects=True)
    assert "reserved" in response.get_data(as_text=True)
    with app.app_context():
        assert _task(bin_count).status == "counted"
        assert db.session.scalars(select(StockMove).filter_by(reason="adjustment")).all() == []


def test_the_recount_threshold_is_a_setting_on_the_page(app, login_as, store, bin_count, users):
    from wms.locations.count_approval import approve_count

    client = login_as("supervisor")
    client.post("/tasks/counts/threshold", data={"units": 1, "percent": "0.01", "csrf_token": page_csrf(client)})
    assert 'value="0.01"' in client.get("/tasks/counts").get_data(as_text=True)
    _count_all(app, bin_count, {(store["b1"], store["cup"]): CUP_IN_B1 - 2}, users["picker"])
    with app.app_context():
        assert approve_count(bin_count, user_id=users["supervisor"]).recount is not None


def test_a_picker_counts_but_cannot_see_the_report_or_approve(app, login_as, store, bin_count, users):
    _count_all(app, bin_count, {}, users["picker"])
    client = login_as("picker")
    assert client.get("/tasks/count").status_code == 200
    assert client.get(f"/tasks/counts/{bin_count}").status_code == 403
    assert client.get("/tasks/counts").status_code == 403
    assert client.post(f"/tasks/counts/{bin_count}/approve", data={"csrf_token": page_csrf(client)}).status_code == 403
    with app.app_context():
        assert _task(bin_count).status == "counted"
    viewer = app.test_client()
    login(viewer, "viewer")
    assert viewer.get(f"/tasks/count/{bin_count}").status_code == 403


def test_the_count_pages_render_in_chinese(login_as, store, bin_count):
    client = login_as("supervisor")
    client.post("/settings/language", data={"locale": "zh", "csrf_token": page_csrf(client)})
    for path in ("/tasks/counts", f"/tasks/counts/{bin_count}", "/tasks/count", f"/tasks/count/{bin_count}"):
        response = client.get(path)
        assert response.status_code == 200 and 'lang="zh-CN"' in response.get_data(as_text=True), path
