"""Plain data produced by the order importers: parsed orders and their lines, and the importers' error codes.

Nothing here knows about the database; the ``import_orders`` service turns a ``ParsedOrder`` into an
``Order(pending)`` and deduplicates it by (channel, external id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from erp_core.fileimport.errors import COMMON_REASONS, RowError, row_error

#: A way to ask "does this SKU exist?": a set of known SKUs or a predicate. ``None`` skips the check.
SkuCheck = Callable[[str], bool] | set[str] | frozenset[str] | None

#: Stable error codes of the order importers and their short English reason: the ones every file
#: import shares, then the order files' own. The reason text is part of the contract (it is shown in
#: the downloadable error report), so change it only together with the docs.
REASONS: dict[str, str] = {
    **COMMON_REASONS,
    "unknown_format": "file is not a known order export",
    "missing_pair_file": "Taobao orders and items reports must be imported together",
    "missing_order_number": "order number is empty",
    "mangled_order_number": "order number was rounded by Excel (scientific notation); export it again",
    "duplicate_order_in_file": "order number appears in two separate places in the file",
    "duplicate_order_in_batch": "order already read from an earlier file of this import; skipped",
    "conflicting_order_value": "value differs from an earlier row of the same order",
    "order_without_lines": "order has no item lines in the items report",
    "lines_without_order": "item line has no order in the orders report",
    "quantity_mismatch": "item quantities do not add up to the order's total quantity",
    "missing_recipient": "recipient name is empty",
    "missing_phone": "recipient phone is empty",
    "missing_address": "shipping address is incomplete",
}


def order_error(file: str, line: int | None, column: str, code: str, value: str = "") -> RowError:
    """A ``RowError`` of the order importers, with the stable reason of ``code`` from ``REASONS``."""
    return row_error(file, line, column, code, value, reasons=REASONS)


@dataclass(slots=True)
class ParsedLine:
    """One order line as read from a file: SKU (our merchant code), quantity and unit price."""

    sku: str
    quantity: int
    unit_price: Decimal
    title: str = ""
    source_line: int = 0
    source_file: str = ""


@dataclass(slots=True)
class ParsedOrder:
    """One order as read from a channel export, before it becomes an ``Order(pending)``.

    Times are timezone-aware UTC. ``platform`` says which export it came from (``template``,
    ``shopify``, ``taobao``); the channel/shop itself is chosen by whoever runs the import.
    ``source_line`` is the first line of the order in ``source_file``.
    """

    external_id: str
    platform: str
    buyer_id: str = ""
    buyer_nick: str = ""
    name: str = ""
    phone: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    address: str = ""
    postcode: str = ""
    country: str = "CN"
    buyer_note: str = ""
    seller_note: str = ""
    created_at: datetime | None = None
    paid_at: datetime | None = None
    total: Decimal = Decimal("0")
    shipping_fee: Decimal = Decimal("0")
    currency: str = "CNY"
    status: str = ""
    cancelled: bool = False
    lines: list[ParsedLine] = field(default_factory=list)
    source_file: str = ""
    source_line: int = 0

    @property
    def paid(self) -> bool:
        """Whether the export says the buyer has paid."""
        return self.paid_at is not None


@dataclass(slots=True)
class ImportResult:
    """What one import produced: the good orders, and every error found.

    ``format`` is the format of the batch (``template``, ``shopify``, ``taobao``, ``mixed`` or
    ``unknown``); ``files`` maps each file name to its detected format. ``rejected`` lists the
    external ids of orders dropped because of errors; ``skipped`` lists Shopify orders with nothing
    to ship (gift cards, tips, digital goods only), which are not errors.
    """

    format: str
    orders: list[ParsedOrder] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the files produced no errors at all."""
        return not self.errors


def sku_predicate(known_skus: SkuCheck) -> Callable[[str], bool] | None:
    """Turn the ``known_skus`` argument into a predicate (or ``None`` when no check is wanted)."""
    if known_skus is None:
        return None
    if isinstance(known_skus, set | frozenset):
        return known_skus.__contains__
    return known_skus
