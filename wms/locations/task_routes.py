"""Replenishment and cycle counts (office and handheld screens): the `floor_tasks` blueprint, its
labels and warehouse checks. The routes are in `replenish_routes` (pick faces, replenishment tasks
done by scan) and `count_routes` (blind counting, the variance report with approval); the app
imports both before it registers the blueprint.
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from erp_core.auth.object_access import require_warehouse_of
from wms.handheld import HandheldTask, register_task

bp = Blueprint("floor_tasks", __name__)
register_task(HandheldTask("floor_tasks.replenish_list", _l("Replenish"), "replenish.work", "arrows-up"))
register_task(HandheldTask("floor_tasks.count_list", _l("Cycle count"), "counts.work", "clipboard"))

TASK_STATUS = {"open": _l("Open"), "in_progress": _l("In progress"), "done": _l("Done"), "cancelled": _l("Cancelled")}
TRIGGERS = {"min": _l("Below minimum"), "wave": _l("Wave"), "manual": _l("Manual")}
COUNT_STATUS = {"open": _l("Open"), "counted": _l("Counted"), "approved": _l("Approved"),
                "cancelled": _l("Cancelled")}
COUNT_KINDS = {"bin": _l("Bins"), "zone": _l("Zone"), "sku": _l("SKU"), "abc": _l("ABC schedule"),
               "short_pick": _l("Short pick")}


@bp.context_processor
def _labels():
    return {"task_status": TASK_STATUS, "triggers": TRIGGERS, "count_status": COUNT_STATUS,
            "count_kinds": COUNT_KINDS}


def allowed_warehouses() -> set[int] | None:
    """The warehouses the user may work in (None: all of them)."""
    return current_user.warehouse_ids()


def require_warehouse(warehouse_id: int | None) -> None:
    """Refused unless the user may work in the warehouse: not_found (404) when there is none, else
    other_warehouse (403), as every object-level check (erp_core.auth.object_access)."""
    require_warehouse_of("warehouse", warehouse_id)
