"""A pack-out prints its waybill on the station's thermal printer: the ZPL of the shipment's tracking
number reaches the TCP 9100 printer after the commit; a station without a printer prints nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration.test_pack_station import Station, _cart_of, sound
from tests.integration.test_printing import _finished, listener  # noqa: F401  (fixture)
from tests.shipping_helpers import POOL, shipping_floor

pytestmark = pytest.mark.timeout(300)


def _pack_first_order(app, client, desk):
    order_id = desk["orders"][0]
    station = Station(client, desk)
    with app.app_context():
        cart = _cart_of(order_id)
    station.scan(cart)
    packed = station.scan("6901234567892", order_id=order_id)
    if 'data-step="weigh"' in packed.get_data(as_text=True):
        packed = station.post("weigh", order_id=order_id, package=0, box_type_id=desk["boxes"]["S"], weight="380 g")
    assert sound(packed) == "scan-ok"


def test_packing_at_a_station_with_a_zpl_printer_prints_the_waybill_there(app, login_as, users, listener,  # noqa: F811
                                                                            monkeypatch):
    from erp_core.extensions import db
    from wms.shipping.models import Printer, PrintJob

    monkeypatch.setitem(app.config, "PRINT_BACKOFF_SECONDS", 0)
    desk = shipping_floor(app, users, orders=[[("A", 1)], [("B", 1)]])
    with app.app_context():
        db.session.add(Printer(warehouse_id=desk["wh"], station_location_id=desk["station"], name="PACK-01 ZPL",
                               kind="tcp9100", address=f"127.0.0.1:{listener.port}", language="zpl", dpi=203))
        db.session.commit()
    _pack_first_order(app, login_as("packer"), desk)
    with app.app_context():
        job = db.session.scalar(select(PrintJob))
        assert (job.document, job.content_type) == ("waybill", "application/x-zpl")
        job_id = job.id
    assert _finished(app, job_id)["status"] == "done"
    [sent] = listener.wait_for(1)
    assert sent.startswith(b"^XA") and b"^PW" in sent and POOL[0].encode() in sent


def test_a_station_without_a_printer_queues_nothing(app, login_as, users):
    from erp_core.extensions import db
    from wms.shipping.models import PrintJob

    desk = shipping_floor(app, users, orders=[[("A", 1)]])
    _pack_first_order(app, login_as("packer"), desk)
    with app.app_context():
        assert db.session.scalar(select(func.count(PrintJob.id))) == 0
