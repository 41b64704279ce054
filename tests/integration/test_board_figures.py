"""The live board's figures from the database (rates, projected finish against the carriers' cut-off,
stages, panels) and its pages: the board with its charts, pickers this shift, a wave's live part,
the carrier's cut-off field."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update

from tests.conftest import page_csrf
from tests.integration import board_helpers
from tests.integration.board_helpers import pick_lines

board_floor = board_helpers.board_floor
NOW = datetime(2027, 1, 20, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai


def _carriers_and_times(app, board_floor, task_ids, *, zto_cutoff: time):
    """Orders P0-P2 go by ZTO (cut-off `zto_cutoff`), P3-P5 by SF (17:00); the wave was released at
    04:00 UTC and the picked lines were finished at 05:30 UTC (within the last hour before NOW)."""
    from erp_core.db import atomic
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from wms.picking.models import PickTask, Wave
    from wms.shipping.carrier_services import create_carrier

    with app.app_context():
        create_carrier("ZTO", {"name": "ZTO Express", "cutoff_time": zto_cutoff})
        create_carrier("SF", {"name": "SF Express", "kind": "manual", "cutoff_time": time(17, 0)})
        with atomic():
            orders = board_floor["orders"]
            db.session.execute(update(Order).where(Order.id.in_(orders[:3])).values(carrier="zto"))
            db.session.execute(update(Order).where(Order.id.in_(orders[3:])).values(carrier="SF"))
            db.session.execute(update(Wave).where(Wave.id == board_floor["wave"])
                               .values(released_at=NOW - timedelta(hours=2)))
            db.session.execute(update(PickTask).where(PickTask.id.in_(task_ids))
                               .values(done_at=NOW - timedelta(minutes=30)))


def test_two_lines_in_the_last_hour_with_six_to_go_finish_at_17_00_and_miss_a_15_00_cut_off(app, board_floor):
    from wms.picking.board import board

    task_ids = pick_lines(app, board_floor["picker"], 2)
    _carriers_and_times(app, board_floor, task_ids, zto_cutoff=time(15, 0))
    with app.app_context():
        row = board(board_floor["wh"], NOW).waves[0]
        # 2 lines in the last hour: 2 lines/h; 8 - 2 = 6 lines left: 3 h -> 09:00 UTC = 17:00 local
        assert (row.lines, row.picked.lines, row.units) == (8, 2, 12)
        assert row.pace.rate == 2.0 and row.pace.remaining_lines == 6
        assert row.pace.finish == datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
        assert row.pace.cutoff == datetime(2027, 1, 20, 7, 0, tzinfo=UTC), "the earliest carrier's: ZTO 15:00"
        assert row.pace.late
        assert [(p.name, p.lines, p.rate) for p in row.pickers] == [("Picker", 2, 2.0)]


def test_the_same_pace_makes_an_18_00_cut_off(app, board_floor):
    from wms.picking.board import board

    task_ids = pick_lines(app, board_floor["picker"], 2)
    _carriers_and_times(app, board_floor, task_ids, zto_cutoff=time(18, 0))
    with app.app_context():
        row = board(board_floor["wh"], NOW).waves[0]
        assert row.pace.cutoff == datetime(2027, 1, 20, 9, 0, tzinfo=UTC), "now SF 17:00 is the earliest"
        assert row.pace.finish == row.pace.cutoff and not row.pace.late


def test_the_board_page_shows_the_wave_the_late_warning_the_panels_and_the_charts(app, board_floor, login_as):
    task_ids = pick_lines(app, board_floor["picker"], 2)
    _carriers_and_times(app, board_floor, task_ids, zto_cutoff=time(0, 1))  # passed already today
    client = login_as("supervisor")
    html = client.get(f"/picking/board?warehouse={board_floor['wh']}").get_data(as_text=True)
    assert f'id="wave-{board_floor["wave"]}"' in html and 'class="late"' in html
    assert f'id="board-panels-{board_floor["wh"]}"' in html and "Pack-out queue" in html
    for chart in ("chart-orders", "chart-throughput", "chart-backlog"):
        assert f'data-chart="{chart}"' in html and f'<script type="application/json" id="{chart}">' in html
    assert "js/board.js" in html and "data-board-offline" in html


def test_the_charts_count_orders_by_status_and_channel_and_today_s_picks_by_hour(app, board_floor):
    from wms.picking.board_charts import backlog_against_cutoffs, orders_by_status_and_channel, throughput_by_hour

    pick_lines(app, board_floor["picker"], 3)
    with app.test_request_context("/"):
        orders = orders_by_status_and_channel(board_floor["wh"])
        assert sum(sum(s["data"]) for s in orders["series"]) == 6
        picked = throughput_by_hour(board_floor["wh"])["series"][0]
        assert sum(picked["data"]) == 3
        backlog = backlog_against_cutoffs(board_floor["wh"])
        assert sum(sum(s["data"]) for s in backlog["series"]) == 6


def test_pickers_this_shift_shows_each_picker_s_lines_units_and_short_picks(app, board_floor, login_as):
    from erp_core.extensions import db
    from wms.picking.board import pickers_of_shift
    from wms.picking.models import PickTask

    task_ids = pick_lines(app, board_floor["picker"], 3)
    with app.app_context():
        units = sum(db.session.get(PickTask, t).quantity for t in task_ids)
        [me] = pickers_of_shift(board_floor["wh"])
        assert (me.name, me.lines, me.units, me.short_picks, me.lines_last_hour) == ("Picker", 3, units, 0, 3)
    client = login_as("supervisor")
    page = client.get(f"/picking/board/pickers?warehouse={board_floor['wh']}")
    assert page.status_code == 200 and "data-picker-lines>3<" in page.get_data(as_text=True)


def test_a_picker_may_not_open_the_board_pages(app, board_floor, login_as):
    client = login_as("picker")
    assert client.get(f"/picking/board?warehouse={board_floor['wh']}").status_code == 403
    assert client.get(f"/picking/board/pickers?warehouse={board_floor['wh']}").status_code == 403


def test_a_supervisor_of_another_warehouse_gets_no_board_of_this_one(app, board_floor, login_as):
    client = login_as("viewer")  # board.view in SZ1 only
    assert client.get(f"/picking/board?warehouse={board_floor['wh']}").status_code == 404
    assert client.get(f"/picking/board/pickers?warehouse={board_floor['wh']}").status_code == 404


def test_the_wave_page_has_its_live_part(app, board_floor, login_as):
    pick_lines(app, board_floor["picker"], 1)
    html = login_as("supervisor").get(f"/picking/waves/{board_floor['wave']}").get_data(as_text=True)
    assert f'id="wave-live-{board_floor["wave"]}"' in html and "data-lines-picked>1<" in html
    assert f'data-board-wave="{board_floor["wave"]}"' in html


def test_a_carrier_s_cut_off_is_set_and_cleared_in_its_form(app, board_floor, login_as):
    from erp_core.extensions import db
    from wms.shipping.models import Carrier

    client = login_as("supervisor")
    token = page_csrf(client, "/shipping/carriers/")
    form = {"csrf_token": token, "code": "YTO", "name": "YTO Express", "kind": "pool", "check_rule": "none",
            "label_format": "100x150", "tracking_stale_hours": "72", "active": "on", "cutoff_time": "16:30"}
    assert client.post("/shipping/carriers/", data=form).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Carrier.cutoff_time).filter_by(code="YTO")) == time(16, 30)
    assert client.post("/shipping/carriers/YTO", data={**form, "cutoff_time": ""}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Carrier.cutoff_time).filter_by(code="YTO")) is None
    refused = client.post("/shipping/carriers/YTO", data={**form, "cutoff_time": "late"})
    assert refused.status_code in (400, 422)


def test_the_carrier_api_reads_and_sets_the_cut_off(app, client, users):
    from tests.carrier_helpers import api_token

    auth = {"Authorization": f"Bearer {api_token(app, users)}"}
    created = client.post("/api/v1/carriers", headers={**auth, "Idempotency-Key": "cut-off-1"},
                          json={"code": "EMS", "name": "EMS", "kind": "manual", "cutoff_time": "16:00"})
    assert created.status_code == 201 and created.json["cutoff_time"] == "16:00:00"
    cleared = client.patch("/api/v1/carriers/EMS", headers=auth, json={"cutoff_time": None})
    assert cleared.status_code == 200 and cleared.json["cutoff_time"] is None
