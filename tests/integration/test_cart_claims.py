"""A shift starting at once: every picker who opens the pick screen while carts are waiting gets one,
even when colleagues take the carts each of them read first (bench/load.py found pickers told "no work"
with carts waiting: each read the same first carts and lost them all)."""

from __future__ import annotations

from sqlalchemy import select

from tests.builders import FloorBuilder
from tests.concurrency import race

PICKERS = 6


def test_pickers_opening_the_pick_screen_at_once_each_get_a_cart(app, monkeypatch):
    from erp_core.auth.services import create_user
    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from tests.conftest import PASSWORD
    from tests.integration.conftest import make_order
    from wms.locations.services import ZoneSpec
    from wms.picking import services
    from wms.picking.models import PickList
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    # given as many one-order carts as pickers, and pickers who read one candidate cart at a time
    with app.app_context():
        floor = (FloorBuilder().warehouse("SH1", "Shanghai", province="上海")
                 .layout(ZoneSpec("A", aisles=2, bays_per_aisle=4, levels=1)).channel("TM", "Tmall", "tmall")
                 .sku("A", "Cup", barcodes=["BC-CUP"]).stock("A", "A01-01-1", 50).build())
        for n in range(PICKERS):
            approve_order(make_order(f"C{n}", [("A", 1)], phone=f"138001380{n:02d}"))
        release_waves(floor["SH1"], WaveRules(cart_slots=1, cart_items=1))
        assert db.session.scalar(select(db.func.count(PickList.id))) == PICKERS
        pickers = [create_user(f"p{n}", PASSWORD, "picker").id for n in range(PICKERS)]
        db.session.remove()
    monkeypatch.setattr(services, "CLAIM_BATCH", 1)

    def claim(user_id: int):
        def job():
            pick_list = services.pick_list_for(user_id, None)
            return pick_list.id if pick_list else None
        return job

    # when they all open the pick screen at the same moment
    outcomes = race(app, *(claim(user_id) for user_id in pickers))
    # then each has a cart of their own
    assert all(o.ok for o in outcomes), [str(o) for o in outcomes]
    carts = [o.value for o in outcomes]
    assert None not in carts and len(set(carts)) == PICKERS, carts
