"""Fixtures for integration tests: a small world of two warehouses, SKUs, a kit and a channel."""

from __future__ import annotations

from decimal import Decimal

import pytest


@pytest.fixture
def world(app):
    """SH1 (Shanghai) with A x10 in a pick bin and x5 in reserve, SZ1 (Guangdong) with B x3; kit K = 2A + 1B."""
    from erp_core.catalog.models import KitComponent
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.extensions import db
    from erp_core.inventory.services import create_warehouse, receive
    from wms.locations.services import create_bin

    with app.app_context():
        sh = create_warehouse("SH1", "Shanghai", province="上海")
        sz = create_warehouse("SZ1", "Shenzhen", province="广东省")
        sh_pick = create_bin(sh.id, "P-01", "pick")
        sh_res = create_bin(sh.id, "R-01", "reserve")
        sz_pick = create_bin(sz.id, "P-01", "pick")
        a = create_sku("A", "Cup")
        b = create_sku("B", "Lid")
        k = create_sku("K", "Cup set")
        k.is_kit = True
        db.session.add_all([KitComponent(kit_sku_id=k.id, component_sku_id=a.id, quantity=2),
                            KitComponent(kit_sku_id=k.id, component_sku_id=b.id, quantity=1),
                            Channel(code="TM", name="Tmall", platform="tmall")])
        db.session.commit()
        receive(a.id, sh_res.id, 5)
        receive(a.id, sh_pick.id, 10)
        receive(b.id, sz_pick.id, 3)
        return {"sh": sh.id, "sz": sz.id, "sh_pick": sh_pick.id, "sh_res": sh_res.id, "sz_pick": sz_pick.id,
                "a": a.id, "b": b.id, "k": k.id}


def make_order(external_id, lines, *, province="上海", paid=True, note="", phone="13800138000", name="王芳"):
    from erp_core.models_base import utcnow
    from erp_core.orders.services import NewOrder, NewOrderLine, create_order

    return create_order(NewOrder(
        channel_code="TM", external_id=external_id, lines=[NewOrderLine(s, q, Decimal("10")) for s, q in lines],
        ship_name=name, ship_phone=phone, ship_province=province, ship_city="上海市", ship_address="中山路 100 号",
        buyer_id=f"tb_{phone}", buyer_note=note, paid_at=utcnow() if paid else None)).id


