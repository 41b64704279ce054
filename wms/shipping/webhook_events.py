"""The floor's webhook events (erp_core.webhooks): a shipment shipped, a parcel's tracking exception.
Each is written in the transaction that ships the parcel or opens the exception (see erp_core/webhooks)."""

from __future__ import annotations

from erp_core.webhooks.events import emit


def announce_shipped(shipment, order) -> int:
    """shipment.shipped, from `_publish_shipped` (ship_shipment's transaction)."""
    return emit("shipment.shipped", lambda: {
        "shipment": shipment.reference, "order_id": order.id, "order_number": order.external_id,
        "channel": order.channel.code, "warehouse_id": shipment.warehouse_id,
        "carrier_code": shipment.carrier.code if shipment.carrier else "",
        "tracking_number": shipment.tracking_number, "packages": [p.tracking_number for p in shipment.packages],
        "shipped_at": shipment.shipped_at.isoformat() if shipment.shipped_at else None},
        key=f"ship:{shipment.reference}")


def announce_tracking_exception(shipment, details: dict) -> int:
    """tracking.exception, from the one place a tracking exception is opened (tracking._open_once):
    reason `returned` / `refused` (a carrier's event) or `stale` (no movement for the carrier's hours)."""
    return emit("tracking.exception", lambda: {
        "shipment": shipment.reference, "order_id": shipment.order_id,
        "order_number": shipment.order.external_id, "carrier_code": shipment.carrier.code if shipment.carrier else "",
        "tracking_number": shipment.tracking_number, "reason": details.get("reason"),
        "details": {k: v for k, v in details.items() if k != "reason"}},
        key=f"tracking:{shipment.reference}")
