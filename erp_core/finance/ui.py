"""The books in the office's navigation and on the finance home: the Finance menu's links and the
"margin today" panel (registered at app start, so the menu and the home know nothing of finance)."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l

from ..navigation import register_nav_link
from ..reports.home import register_home_panel
from .margins import today_margin

FINANCE_LINKS = (
    ("finance.journal_page", _l("Journal")),
    ("finance.statements_page", _l("Statements")),
    ("finance.margin_page", _l("Margins")),
    ("finance.valuation_page", _l("Inventory valuation")),
    ("finance.accounts_page", _l("Chart of accounts")),
    ("finance.periods_page", _l("Periods")),
    ("finance.rates_page", _l("Currency rates")),
    ("finance.supplier_payments_page", _l("Supplier payments")),
    ("finance.posting_errors_page", _l("Posting errors")),
)


def margin_today_panel(user) -> str:
    """Today's revenue, cost of goods, gross margin and margin % (finance home)."""
    if not user.can("finance.view"):
        return ""
    return render_template("finance/_home_margin.html", margin=today_margin())


def register_finance_ui() -> None:
    for endpoint, label in FINANCE_LINKS:
        register_nav_link("finance", endpoint, label, "finance.view")
    for role in ("finance", "admin"):
        register_home_panel(role, margin_today_panel)
