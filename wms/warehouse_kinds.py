"""The warehouse of each kind of floor object (see erp_core.auth.object_access): registered by
create_app, so routes and socket events check `require_warehouse_of("pick_task", task_id)`."""

from __future__ import annotations

from erp_core.auth.object_access import register_model

from .locations.models import Asn, CountTask, PickFace, PutawayTask, ReplenishmentTask
from .picking.models import PickList, PickTask, Wave
from .shipping.models import Manifest, Printer, PrintJob, Shipment, ShippingException


def register_floor_kinds() -> None:
    register_model("wave", Wave)
    register_model("pick_list", PickList, lambda pl: pl.wave.warehouse_id)
    register_model("pick_task", PickTask, lambda t: t.pick_list.wave.warehouse_id)
    register_model("asn", Asn)
    register_model("putaway_task", PutawayTask)
    register_model("replenishment_task", ReplenishmentTask)
    register_model("count_task", CountTask)
    register_model("pick_face", PickFace, lambda face: face.location.warehouse_id)
    register_model("shipment", Shipment)
    register_model("manifest", Manifest)
    register_model("printer", Printer)
    register_model("print_job", PrintJob, lambda job: job.printer.warehouse_id)
    register_model("shipping_exception", ShippingException)
