"""The office's main navigation: groups of links, each link with the permission that shows it.

base.html renders `visible_nav(current_user)`. Endpoints are names only (erp_core never imports
wms): a link whose endpoint the app has not registered is left out, so a test app with fewer
blueprints still renders. Another area adds its links at app start with `register_nav_link`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, request
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: object  # a lazy string: translated when the page renders
    permission: str | None = None  # None: every signed-in user (as the one-line bar had it)


@dataclass
class NavGroup:
    key: str
    label: object
    links: list[NavLink] = field(default_factory=list)


def _group(key: str, label: object, *links: tuple) -> NavGroup:
    return NavGroup(key, label, [NavLink(*link) for link in links])


# The links of the former one-line bar, every one with the guard it had, in groups.
NAV_GROUPS: list[NavGroup] = [
    _group("orders", _l("Orders"),
           ("orders.index", _l("Orders"), "orders.view"),
           ("intake.imports", _l("Import orders"), "orders.create"),
           ("intake.new_order", _l("Enter an order"), "orders.create"),
           ("feeds.index", _l("Channel feeds"), "orders.view"),
           ("exceptions.index", _l("Exceptions"), "exceptions.work")),
    _group("stock", _l("Stock"),
           ("stock.index", _l("Stock"), None),
           ("catalog.index", _l("Catalog"), None),
           ("locations.index", _l("Locations"), None),
           ("floor_tasks.replenishment_list", _l("Replenishment"), "replenish.work"),
           ("floor_tasks.counts_list", _l("Cycle counts"), "counts.approve")),
    _group("floor", _l("Floor"),
           ("handheld.home", _l("Handheld"), "dashboard.view"),
           ("inbound.asn_list", _l("Inbound"), "inbound.work"),
           ("picking.waves", _l("Waves"), "picking.manage"),
           ("picking.board", _l("Live wave board"), "board.view"),
           ("picking.board_pickers", _l("Pickers this shift"), "board.view"),
           ("pack.station", _l("Pack station"), "packing.work"),
           ("printing.jobs", _l("Print jobs"), "packing.work"),
           ("manifests.index", _l("Handovers"), "shipping.work")),
    _group("purchasing", _l("Purchasing"),
           ("purchasing.orders", _l("Purchase orders"), "purchasing.orders"),
           ("purchasing.suppliers", _l("Suppliers"), "purchasing.view"),
           ("purchasing.suggestions_page", _l("Purchase suggestions"), "purchasing.view")),
    _group("aftersales", _l("After-sales"),
           ("aftersales.index", _l("After-sales"), "aftersales.view"),
           ("returns_station.station", _l("Returns station"), "returns.work")),
    _group("customers", _l("Customers"),
           ("customers.index", _l("Customers"), "customers.view")),
    _group("finance", _l("Finance"),
           ("home.index", _l("Revenue today"), "finance.view")),
    _group("reports", _l("Reports"),
           ("reports.sales", _l("Sales"), "reports.view"),
           ("reports.customers", _l("Customers"), "reports.view"),
           ("reports.products", _l("Products"), "reports.view"),
           ("reports_ops.operations", _l("Operations"), "reports.view")),
    _group("settings", _l("Settings"),
           ("carriers.index", _l("Carriers"), "shipping.manage"),
           ("labels.templates", _l("Label templates"), "shipping.manage"),
           ("admin.users", _l("Users"), "admin.users"),
           ("admin.warehouses", _l("Warehouses"), "admin.users"),
           ("admin.tokens", _l("API tokens"), "admin.users")),
]


def register_nav_link(group_key: str, endpoint: str, label: object, permission: str | None) -> None:
    """Add a link to a group (at app start); adding the same endpoint twice keeps one."""
    group = next(g for g in NAV_GROUPS if g.key == group_key)
    if all(link.endpoint != endpoint for link in group.links):
        group.links.append(NavLink(endpoint, label, permission))


@dataclass(frozen=True)
class VisibleGroup:
    key: str
    label: object
    links: list[NavLink]
    current: bool  # the page shown is one of its links


def visible_nav(user) -> list[VisibleGroup]:
    """The groups with at least one link this user may open, in order."""
    endpoints = current_app.view_functions
    here = request.endpoint
    shown = []
    for group in NAV_GROUPS:
        links = [link for link in group.links
                 if link.endpoint in endpoints and (link.permission is None or user.can(link.permission))]
        if links:
            shown.append(VisibleGroup(group.key, group.label, links, any(li.endpoint == here for li in links)))
    return shown
