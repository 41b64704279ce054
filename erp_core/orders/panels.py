"""Sections the floor adds to the order page (erp_core never imports wms): the WMS registers a
function per section at app start; each renders its own fragment (autoescaped) for one order."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

from ..panels import PanelRegistry
from .models import Order

OrderPanel = Callable[[Order], str]
_PANELS: PanelRegistry[Order] = PanelRegistry()


def register_order_panel(panel: OrderPanel) -> None:
    _PANELS.register(panel)


def order_panels(order: Order) -> list[Markup]:
    """The registered sections for this order, rendered (an empty string leaves a section out)."""
    return _PANELS.render(order)
