"""Manual carriers: the number is typed or scanned at the desk from a pre-printed waybill."""

from __future__ import annotations

from .base import LabelData, TrackingUpdate, register_adapter


class ManualAdapter:
    def __init__(self, carrier) -> None:
        self.carrier = carrier

    def issue_tracking_number(self, shipment) -> LabelData:
        return LabelData(tracking_number="")  # the desk enters it (set_tracking_number)

    def cancel(self, shipment) -> None:
        return None

    def track(self, shipment) -> list[TrackingUpdate]:
        return []


register_adapter("manual", ManualAdapter)
