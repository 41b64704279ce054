"""The carrier interface: get a tracking number, the label's data, cancel a waybill, track a parcel.

An adapter is a class with these four methods; it is constructed with its Carrier row. Adapters
never commit: they run inside the shipping service's unit of work, and a remote call that fails
raises a DomainError (`carrier_unavailable`) so the whole operation is refused and can be retried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from erp_core.errors import ValidationFailed


@dataclass(frozen=True)
class LabelData:
    """What a waybill prints besides the order: the routing text (大头笔 / 三段码) and hub (集包地)."""

    tracking_number: str
    routing_code: str = ""
    hub_code: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TrackingUpdate:
    """One tracking event as the carrier reports it."""

    external_id: str
    occurred_at: datetime
    code: str  # picked_up, in_transit, delivering, delivered, returned, refused, exception
    description: str = ""
    location: str = ""


class CarrierAdapter(Protocol):
    def issue_tracking_number(self, shipment) -> LabelData: ...

    def cancel(self, shipment) -> None: ...

    def track(self, shipment) -> list[TrackingUpdate]: ...


_ADAPTERS: dict[str, Callable[..., CarrierAdapter]] = {}


def register_adapter(name: str, factory: Callable[..., CarrierAdapter]) -> None:
    _ADAPTERS[name] = factory


def adapter_for(carrier) -> CarrierAdapter:
    """The adapter of a carrier: by kind (pool, manual) or, for kind "api", by its adapter name."""
    from . import manual, pool  # noqa: F401  (they register themselves)

    name = carrier.adapter if carrier.kind == "api" else carrier.kind
    factory = _ADAPTERS.get(name)
    if factory is None:
        raise ValidationFailed(f"carrier {carrier.code} has no adapter {name!r}", code="carrier_adapter_unknown",
                               carrier=carrier.code, adapter=name)
    return factory(carrier)
