"""A small purchasing world: SH1 with a staging bin and stock, SKUs A (with an EAN) and B, two suppliers
(ACME supplies A and B, BOLT supplies B), and a supplier user for each."""

from __future__ import annotations

import uuid
from decimal import Decimal

from tests.builders import FloorBuilder
from tests.conftest import PASSWORD, login, page_csrf

EAN_A = "6901234567892"


def purchasing_floor(app) -> dict:
    from erp_core.auth.services import create_user
    from erp_core.extensions import db
    from erp_core.purchasing.suppliers import SupplierSkuValues, create_supplier, set_supplier_sku

    with app.app_context():
        floor = (FloorBuilder()
                 .warehouse("SH1", "Shanghai", name_zh="上海仓", key="sh")
                 .bin("STAGE-IN", "staging", key="staging", warehouse="sh")
                 .bin("P-01", "pick", key="pick", warehouse="sh")
                 .sku("A", "Thermos cup", name_zh="保温杯", barcodes=[EAN_A], key="a")
                 .sku("B", "Lid", name_zh="杯盖", key="b")
                 .stock("a", "pick", 40)
                 .build())
        acme = create_supplier({"code": "ACME", "name": "Acme Trading", "name_zh": "艾克美贸易", "currency": "CNY",
                                "lead_time_days": 10, "email": "sales@acme.example", "language": "zh"})
        bolt = create_supplier({"code": "BOLT", "name": "Bolt Ltd", "currency": "CNY", "lead_time_days": 5,
                                "language": "en"})
        set_supplier_sku(acme.id, SupplierSkuValues(floor["a"], Decimal("5.00"), "AC-CUP", 12, 24, preferred=True))
        set_supplier_sku(acme.id, SupplierSkuValues(floor["b"], Decimal("30.00"), "AC-LID", 1, 1))
        set_supplier_sku(bolt.id, SupplierSkuValues(floor["b"], Decimal("28.00"), "BL-LID", 5, 5, preferred=True))
        create_user("acme", PASSWORD, "supplier", supplier_id=acme.id)
        create_user("bolt", PASSWORD, "supplier", supplier_id=bolt.id)
        ids = {**floor, "acme": acme.id, "bolt": bolt.id}
        db.session.remove()
        return ids


def client_as(app, username: str):
    """A browser of its own, logged in as that user."""
    client = app.test_client()
    response = login(client, username)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def post_form(client, path: str, data: dict | None = None, *, page: str = "/purchasing/orders", **kw):
    """A form post as the browser sends it: the page's CSRF token with the fields."""
    token = page_csrf(client, page)
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kw)


def api(client, method: str, path: str, json=None, *, key: str | None = None):
    token = page_csrf(client, "/purchasing/orders")
    headers = {"X-CSRFToken": token, "Idempotency-Key": key or uuid.uuid4().hex}
    return client.open(path, method=method, json=json, headers=headers)


def make_po(app, floor: dict, lines: list[tuple[str, int, str | None]], *, supplier: str = "acme", status: str = "sent",
            freight: str = "0", tolerance: int = 0) -> int:
    """A PO through the services, moved on to `status` (draft, sent or confirmed)."""
    from erp_core.extensions import db
    from erp_core.purchasing import services

    with app.app_context():
        po = services.create_po(services.NewPo(
            floor[supplier], floor["sh"], [services.NewPoLine(floor[s], q, Decimal(p) if p else None)
                                           for s, q, p in lines],
            freight=Decimal(freight), over_receipt_pct=tolerance))
        if status in ("sent", "confirmed"):
            services.send_po(po.id)
        if status == "confirmed":
            services.confirm_po(po.id)
        po_id = po.id
        db.session.remove()
        return po_id
