"""The end-of-day handover (交接单): parcels of one carrier and warehouse scanned onto a manifest,
then closed as the courier signs, which ships every parcel on it.

A parcel joins a manifest by a compare-and-set packed -> manifested (with manifest_id), so of two
desks scanning one parcel onto two handovers at once one puts it on and the other is refused.
Closing is **all-or-nothing**: the manifest goes open -> closed and every parcel is shipped through
``services.ship_shipment`` (units packing -> customer, the outbox told) in one transaction; a parcel
that cannot ship (its order intercepted meanwhile, ...) refuses the whole close and the handover
stays open with nothing shipped, so the desk takes that parcel off and closes again. A closed
handover never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import or_, select

from erp_core.db import atomic, locked
from erp_core.errors import Conflict, NotFound, ValidationFailed
from erp_core.extensions import db
from erp_core.inventory.models import Warehouse
from erp_core.models_base import utcnow
from erp_core.orders.models import Order
from erp_core.orders.services import record_event
from erp_core.sequences import next_reference
from erp_core.statemachine import compare_and_set
from wms.documents import code128_svg, render_pdf

from .models import MANIFEST_TRANSITIONS, SHIPMENT_TRANSITIONS, Carrier, Manifest, Package, Shipment
from .services import lock_shipment, ship_shipment

STOPPED_ORDERS = frozenset({"intercepted", "cancelled"})


def open_manifest(carrier_id: int, warehouse_id: int, *, user_id: int | None = None) -> Manifest:
    """Start a handover for one carrier's courier at one warehouse."""
    with atomic():
        carrier = db.session.get(Carrier, carrier_id)
        if carrier is None:
            raise NotFound("no such carrier", code="unknown_carrier", carrier=str(carrier_id))
        if db.session.get(Warehouse, warehouse_id) is None:
            raise NotFound("no such warehouse", code="unknown_warehouse")
        manifest = Manifest(reference=next_reference("MAN"), carrier_id=carrier.id, warehouse_id=warehouse_id,
                            created_by_id=user_id)
        db.session.add(manifest)
        db.session.flush()
        return manifest


def get_manifest(manifest_id: int) -> Manifest:
    manifest = db.session.get(Manifest, manifest_id)
    if manifest is None:
        raise NotFound("no such handover", code="unknown_manifest")
    return manifest


def _lock_open(manifest_id: int) -> Manifest:
    manifest = locked(Manifest, manifest_id)
    if manifest is None:
        raise NotFound("no such handover", code="unknown_manifest")
    if manifest.status != "open":
        raise Conflict(f"handover {manifest.reference} is {manifest.status}: it cannot change",
                       code="manifest_not_open", reference=manifest.reference, current=manifest.status)
    return manifest


def find_parcel(scan: str) -> Shipment | None:
    """The shipment a scanned tracking number belongs to: its own number or one of its packages'.
    A live shipment wins over a cancelled one carrying the same (voided) number."""
    number = "".join(scan.split()).upper()
    if not number:
        return None
    package_of = select(Package.shipment_id).where(Package.tracking_number == number)
    return db.session.scalar(select(Shipment).where(or_(Shipment.tracking_number == number,
                                                        Shipment.id.in_(package_of)))
                             .order_by((Shipment.status == "cancelled").asc(), Shipment.id.desc()).limit(1))


def scan_parcel(manifest_id: int, scan: str, *, user_id: int | None = None) -> Shipment:
    """Put the scanned parcel on the handover.

    Locks: the manifest row, then the shipment row. Refused (nothing changed) when the number is
    unknown, the parcel is another carrier's or warehouse's, cancelled, shipped, already on this or
    another handover, or its order was intercepted or cancelled."""
    with atomic():
        manifest = _lock_open(manifest_id)
        found = find_parcel(scan)
        if found is None:
            raise NotFound(f"no parcel has tracking number {scan}", code="manifest_parcel_unknown", number=scan)
        shipment = lock_shipment(found.id)
        number, reference = shipment.tracking_number, shipment.reference
        if shipment.carrier_id != manifest.carrier_id or shipment.warehouse_id != manifest.warehouse_id:
            raise Conflict(f"parcel {shipment.tracking_number} is not for this courier or warehouse",
                           code="manifest_wrong_carrier", carrier=manifest.carrier.code, number=number,
                           reference=reference)
        if shipment.status == "cancelled":
            raise Conflict(f"parcel {number} was cancelled", code="manifest_parcel_cancelled", number=number,
                           reference=reference)
        if shipment.status == "shipped":
            raise Conflict(f"parcel {number} has shipped already", code="manifest_parcel_shipped", number=number,
                           reference=reference)
        if shipment.manifest_id == manifest.id:
            raise Conflict(f"parcel {shipment.tracking_number} is on this handover already",
                           code="manifest_parcel_scanned_twice", number=number, reference=reference)
        if shipment.manifest_id is not None:
            other = db.session.get(Manifest, shipment.manifest_id)
            raise Conflict(f"parcel {shipment.tracking_number} is on handover {other.reference}",
                           code="manifest_parcel_on_other", manifest=other.reference, number=number,
                           reference=reference)
        order = db.session.get(Order, shipment.order_id)
        if order.status in STOPPED_ORDERS:
            raise Conflict(f"order {order.external_id} is {order.status}: do not hand its parcel over",
                           code="manifest_order_stopped", order=order.external_id, order_status=order.status,
                           number=number, reference=reference)
        compare_and_set(shipment, "manifested", SHIPMENT_TRANSITIONS, what=f"shipment {shipment.reference}",
                        code="manifest_parcel_on_other", details={"number": number, "reference": reference},
                        manifest_id=manifest.id)
        record_event(order, "manifested", f"{shipment.reference}: {manifest.reference}", user_id)
        return shipment


def remove_parcel(manifest_id: int, shipment_id: int, *, user_id: int | None = None) -> Shipment:
    """Take a parcel scanned by mistake off an open handover (it is packed again).

    Locks: the manifest row, then the shipment row."""
    with atomic():
        manifest = _lock_open(manifest_id)
        shipment = lock_shipment(shipment_id)
        if shipment.manifest_id != manifest.id or shipment.status != "manifested":
            raise Conflict(f"shipment {shipment.reference} is not on handover {manifest.reference}",
                           code="manifest_parcel_not_on", reference=shipment.reference)
        compare_and_set(shipment, "packed", SHIPMENT_TRANSITIONS, what=f"shipment {shipment.reference}",
                        code="manifest_parcel_not_on", details={"reference": shipment.reference}, manifest_id=None)
        record_event(shipment.order, "manifest_removed", f"{shipment.reference}: {manifest.reference}", user_id)
        return shipment


def close_manifest(manifest_id: int, *, courier_name: str = "", user_id: int | None = None) -> Manifest:
    """The courier signed: close the handover and ship every parcel on it, all or nothing.

    Locks: the manifest row (a second desk closing it at once is refused `manifest_not_open` or
    `changed_meanwhile` and ships nothing), then per parcel in id order what ship_shipment locks
    (shipment, order, packing quants). Refused when the handover is empty or a parcel's order was
    intercepted or cancelled meanwhile (`manifest_order_stopped`: take it off first)."""
    with atomic():
        manifest = _lock_open(manifest_id)
        shipments = list(db.session.scalars(select(Shipment).where(Shipment.manifest_id == manifest.id)
                                            .order_by(Shipment.id)))
        if not shipments:
            raise ValidationFailed(f"handover {manifest.reference} has no parcels", code="manifest_empty",
                                   reference=manifest.reference)
        compare_and_set(manifest, "closed", MANIFEST_TRANSITIONS, what=f"handover {manifest.reference}",
                        code="manifest_not_open", details={"reference": manifest.reference}, closed_at=utcnow(),
                        closed_by_id=user_id, courier_name=courier_name.strip()[:80])
        for shipment in shipments:
            order = db.session.get(Order, shipment.order_id)
            if order.status in STOPPED_ORDERS:
                raise Conflict(f"order {order.external_id} is {order.status}: take parcel "
                               f"{shipment.tracking_number} off the handover", code="manifest_order_stopped",
                               order=order.external_id, order_status=order.status, reference=shipment.reference,
                               number=shipment.tracking_number)
            ship_shipment(shipment.id, user_id=user_id)
        return manifest


@dataclass
class Progress:
    """Expected vs scanned: the parcels on the handover and the packed ones of its carrier not yet on one."""

    scanned: list[Shipment]
    missing: list[Shipment]

    @property
    def expected(self) -> int:
        return len(self.scanned) + len(self.missing)


def progress(manifest: Manifest) -> Progress:
    scanned = list(db.session.scalars(select(Shipment).where(Shipment.manifest_id == manifest.id)
                                      .order_by(Shipment.id)))
    missing = []
    if manifest.status == "open":
        missing = list(db.session.scalars(select(Shipment).where(
            Shipment.carrier_id == manifest.carrier_id, Shipment.warehouse_id == manifest.warehouse_id,
            Shipment.status == "packed", Shipment.manifest_id.is_(None)).order_by(Shipment.id)))
    return Progress(scanned=scanned, missing=missing)


def manifest_pdf(manifest_id: int, *, lang: str = "en") -> bytes:
    """The handover sheet (A4): its barcode (the reference), the parcels, the courier's signature line."""
    manifest = get_manifest(manifest_id)
    rows = progress(manifest).scanned
    warehouse = db.session.get(Warehouse, manifest.warehouse_id)
    parcels = [{"number": s.tracking_number, "order": s.order.external_id, "reference": s.reference,
                "packages": len(s.packages), "weight_kg": f"{s.measured_weight_g / 1000:.2f}"} for s in rows]
    return render_pdf("manifest.html", {
        "manifest": manifest, "carrier": manifest.carrier.display_name(lang), "carrier_code": manifest.carrier.code,
        "warehouse": f"{warehouse.code} {warehouse.display_name(lang)}", "parcels": parcels,
        "total_packages": sum(p["packages"] for p in parcels),
        "total_kg": f"{sum(s.measured_weight_g for s in rows) / 1000:.2f}",
        "barcode": code128_svg(manifest.reference, module_dots=3, height_dots=120),
        "created_at": _local(manifest.created_at), "closed_at": _local(manifest.closed_at)}, lang=lang)


def _local(moment: datetime | None) -> str:
    """A time as the warehouse reads it (WMS_TIMEZONE), with its UTC offset."""
    if moment is None:
        return ""
    zone = ZoneInfo(current_app.config.get("WMS_DISPLAY_TIMEZONE", "Asia/Shanghai"))
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M (UTC%z)")
