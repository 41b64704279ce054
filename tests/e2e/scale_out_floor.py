"""The scale-out test's data, made in a process of its own: ``python -m tests.e2e.scale_out_floor``.

The app is built from the environment the servers get (DATABASE_URL names the test's own PostgreSQL
database), the schema made by the migrations, then a supervisor, a picker with one released cart
(tests/e2e/conftest.one_cart_floor) and a shop for file imports. Prints what the test needs as JSON.
Run apart so that the test process never binds its app and queue to the cluster's database and Redis.
"""

from __future__ import annotations

import json

from tests.conftest import PASSWORD


def build() -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from erp_core.auth.services import create_user
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.extensions import db
    from tests.e2e.conftest import one_cart_floor
    from wms.app import create_app
    from wms.picking.models import PickTask

    app = create_app()
    with app.app_context():
        upgrade()
        for role in ("supervisor", "picker"):
            create_user(role, PASSWORD, role, full_name=role.title())
        db.session.remove()
    floor = one_cart_floor(app)
    with app.app_context():
        create_sku("TEA-LJ-250", "Longjing tea 250 g")
        shop = Channel(code="MANUAL", name="Phone orders", platform="manual")
        db.session.add(shop)
        db.session.commit()
        task = db.session.scalars(select(PickTask).order_by(PickTask.sequence, PickTask.id)).first()
        pick = {"task_id": task.id, "bin": task.location.barcode, "item": floor["items"][task.sku_id],
                "slot": f"{task.tote.barcode}-S{task.slot}" if task.slot else ""}
        made = {"warehouse": floor["warehouse"], "wave": floor["wave"], "shop": shop.id, "pick": pick}
        db.session.remove()
        db.engine.dispose()
    return made


if __name__ == "__main__":
    print(json.dumps(build()))
