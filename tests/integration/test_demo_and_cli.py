"""The CLI creates the schema, an admin and the demo data; the demo is sound and meaningful."""

from __future__ import annotations

from sqlalchemy import func, select


def test_demo_data_makes_a_meaningful_first_run(app):
    from erp_core.auth.models import User
    from erp_core.catalog.models import Sku
    from erp_core.extensions import db
    from erp_core.inventory.models import Location, Warehouse
    from erp_core.inventory.reservations import stock_levels
    from erp_core.inventory.services import ledger_discrepancies
    from erp_core.orders.models import Order

    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-data", "--orders", "120"])
    assert result.exit_code == 0, result.output
    assert "demo data loaded" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Warehouse.id))) == 2
        assert db.session.scalar(select(func.count(Sku.id))) == 200
        assert db.session.scalar(select(func.count(Location.id)).filter_by(kind="bin")) > 1000
        assert {u.role for u in db.session.scalars(select(User))} == {
            "admin", "supervisor", "picker", "packer", "shipping", "purchaser", "finance", "viewer", "supplier"}
        from erp_core.purchasing.models import SupplierSku

        preferred = db.session.scalars(select(SupplierSku.sku_id).filter_by(preferred=True)).all()
        assert sorted(preferred) == sorted(db.session.scalars(select(Sku.id))), "each SKU has one preferred supplier"
        channels = db.session.execute(select(Order.channel_id, func.count()).group_by(Order.channel_id)).all()
        assert len(channels) == 2 and sum(n for _c, n in channels) == 120
        assert sum(level.on_hand for level in stock_levels()) > 5000
        assert ledger_discrepancies() == []
        # every bin the router will use has floor coordinates
        assert db.session.scalar(select(func.count(Location.id)).where(
            Location.kind == "bin", Location.aisle_no.is_not(None), Location.x.is_(None))) == 0
    # and running it again changes nothing
    again = runner.invoke(args=["demo-data"])
    assert "already present" in again.output


def test_create_admin_makes_a_working_login(app, client):
    from tests.conftest import login

    result = app.test_cli_runner().invoke(args=["create-admin", "boss"], input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert login(client, "boss", "s3cret-pass").status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_create_admin_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "boss"], input="short\nshort\n")
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output
