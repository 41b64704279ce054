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
    """What every carrier adapter does; `factory(carrier)` builds one for a Carrier row.

    To add a platform e-waybill service (菜鸟, 拼多多, 抖音, 京东) or a carrier's API: write a class with
    these three methods in a module of this package, call ``register_adapter("<name>", TheClass)`` at
    its end, import the module in `_load_built_in`, and set the carrier's kind to "api" and adapter to
    "<name>". `http_json.HttpJsonAdapter` is the reference for HTTP services.
    """

    def issue_tracking_number(self, shipment) -> LabelData:
        """The waybill of a packed shipment: its tracking number and routing (大头笔 / 三段码, 集包地).

        Called inside pack-out's transaction (the shipment has its packages and lines, not yet its
        number) and once more per further parcel of a multi-package shipment. Raise a DomainError
        (`carrier_unavailable`, `pool_empty`) to refuse the pack-out: nothing is then changed."""
        ...

    def cancel(self, shipment) -> None:
        """Cancel the shipment's waybill with the carrier (or void its pool number). Raise
        `carrier_unavailable` when the carrier cannot be told: the shipment then stays as it was."""
        ...

    def track(self, shipment) -> list[TrackingUpdate]:
        """The carrier's events for a shipped parcel (all it knows; duplicates are dropped by the
        caller through TrackingUpdate.external_id). Raise `carrier_unavailable` on a failure."""
        ...


_ADAPTERS: dict[str, Callable[..., CarrierAdapter]] = {}


def register_adapter(name: str, factory: Callable[..., CarrierAdapter]) -> None:
    _ADAPTERS[name] = factory


def known_adapters() -> list[str]:
    """The names an API carrier may use (the registered adapters other than the built-in kinds)."""
    _load_built_in()
    return sorted(name for name in _ADAPTERS if name not in ("pool", "manual"))


def _load_built_in() -> None:
    from . import http_json, manual, pool  # noqa: F401  (they register themselves)


def adapter_for(carrier) -> CarrierAdapter:
    """The adapter of a carrier: by kind (pool, manual) or, for kind "api", by its adapter name."""
    _load_built_in()

    name = carrier.adapter if carrier.kind == "api" else carrier.kind
    factory = _ADAPTERS.get(name)
    if factory is None:
        raise ValidationFailed(f"carrier {carrier.code} has no adapter {name!r}", code="carrier_adapter_unknown",
                               carrier=carrier.code, adapter=name)
    return factory(carrier)
