"""Fixtures for integration tests: a small world of two warehouses, SKUs, a kit and a channel."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.builders import FloorBuilder


@pytest.fixture
def world(app):
    """SH1 (Shanghai) with A x10 in a pick bin and x5 in reserve, SZ1 (Guangdong) with B x3; kit K = 2A + 1B."""
    floor = (FloorBuilder()
             .warehouse("SH1", "Shanghai", province="上海", key="sh")
             .warehouse("SZ1", "Shenzhen", province="广东省", key="sz")
             .bin("P-01", "pick", key="sh_pick", warehouse="sh")
             .bin("R-01", "reserve", key="sh_res", warehouse="sh")
             .bin("P-01", "pick", key="sz_pick", warehouse="sz")
             .sku("A", "Cup", key="a")
             .sku("B", "Lid", key="b")
             .sku("K", "Cup set", key="k", kit={"a": 2, "b": 1})
             .channel("TM", "Tmall", "tmall")
             .stock("a", "sh_res", 5)
             .stock("a", "sh_pick", 10)
             .stock("b", "sz_pick", 3)
             .build(app))
    return {key: floor[key] for key in ("sh", "sz", "sh_pick", "sh_res", "sz_pick", "a", "b", "k")}


def make_order(external_id, lines, *, province="上海", paid=True, note="", phone="13800138000", name="王芳"):
    from erp_core.models_base import utcnow
    from erp_core.orders.services import NewOrder, NewOrderLine, create_order

    return create_order(NewOrder(
        channel_code="TM", external_id=external_id, lines=[NewOrderLine(s, q, Decimal("10")) for s, q in lines],
        ship_name=name, ship_phone=phone, ship_province=province, ship_city="上海市", ship_address="中山路 100 号",
        buyer_id=f"tb_{phone}", buyer_note=note, paid_at=utcnow() if paid else None)).id


