"""Sections the floor adds to the order page (erp_core never imports wms): the WMS registers a
function per section at app start; each renders its own fragment (autoescaped) for one order."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

from .models import Order

OrderPanel = Callable[[Order], str]
_PANELS: list[OrderPanel] = []


def register_order_panel(panel: OrderPanel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def order_panels(order: Order) -> list[Markup]:
    """The registered sections for this order, rendered (an empty string leaves a section out)."""
    rendered = (panel(order) for panel in _PANELS)
    return [Markup(html) for html in rendered if html]  # noqa: S704  (rendered by Jinja with autoescape)
