"""Real Chromium: a purchaser goes from the purchase suggestions to a sent purchase order."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.purchasing_helpers import purchasing_floor

pytestmark = pytest.mark.e2e


def test_a_purchaser_turns_a_suggestion_into_a_sent_po(app, live_server, desktop, users):
    # given 30 cups shipped in the last 30 days from SH1 (10 left), ACME their preferred supplier
    floor = purchasing_floor(app)
    with app.app_context():
        from erp_core.extensions import db
        from erp_core.inventory.services import move_stock, virtual_location

        move_stock(floor["a"], floor["pick"], virtual_location("CUSTOMER").id, 30, reason="ship", reference="S-1")
        db.session.remove()
    page = desktop
    page.goto(f"{live_server}/login")
    page.fill("#username", "purchaser")
    page.fill("#password", PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(f"{live_server}/home")  # the purchaser's role home
    # when the purchaser opens the suggestions for SH1 from the menu's Purchasing group
    page.click("details[data-nav-group=purchasing] > summary")
    page.click("nav.mainnav >> text=Purchase suggestions")
    page.select_option("#warehouse_id", str(floor["sh"]))
    page.click("#suggestion-query button[type=submit]")
    page.wait_for_load_state()
    row = page.locator("#suggestions tr[data-sku='A']")
    # then A is suggested at 24 (need 21 in packs of 12), with the sum explained
    assert row.locator(f"input[name='qty-{floor['a']}']").input_value() == "24"
    assert "need 21.00" in page.locator("#suggestions").inner_text()
    # when they untick B, create the draft and send it
    b_box = page.locator(f"#suggestions input[type=checkbox][value='{floor['b']}']")
    if b_box.count():
        b_box.uncheck()
    page.click("#make-drafts")
    page.wait_for_url("**/purchasing/orders/*")
    assert "Draft" in page.locator("#po-status").inner_text()
    page.click("button:has-text('Send')")
    page.wait_for_load_state()
    # then the PO is sent, with its PDF and an e-mail ready for the supplier
    assert "Sent" in page.locator("#po-status").inner_text()
    assert page.locator("#po-mailto").get_attribute("href").startswith("mailto:sales%40acme.example?subject=")
    with app.app_context():
        from erp_core.extensions import db
        from erp_core.purchasing.models import PurchaseOrder

        po = db.session.scalars(db.select(PurchaseOrder)).one()
        assert (po.status, po.supplier.code, [(x.sku.code, x.quantity) for x in po.lines]) == ("sent", "ACME",
                                                                                                [("A", 24)])
        db.session.remove()
