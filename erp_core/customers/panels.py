"""Sections other areas add to the customer page's history (after-sales cases, ...), without this
package importing them: at app start the integrator calls, e.g.,

    register_history_panel(lambda customer: render_template("aftersales/_customer_cases.html",
                                                            cases=cases_for_customer(customer.id)))

Each function gets the Customer and returns rendered HTML (an empty string leaves the section out)."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

from ..panels import PanelRegistry
from .models import Customer

HistoryPanel = Callable[[Customer], str]
_PANELS: PanelRegistry[Customer] = PanelRegistry()


def register_history_panel(panel: HistoryPanel) -> None:
    _PANELS.register(panel)


def history_panels(customer: Customer) -> list[Markup]:
    return _PANELS.render(customer)
