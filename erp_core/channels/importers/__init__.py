"""Order file importers: channel exports (CSV/XLSX) in, plain ``ParsedOrder`` data and row errors out.

Pure code: no Flask, no database. The ``import_orders`` service calls ``parse_orders`` and stores
what it returns; ``errors_to_csv`` builds the error report users download.
"""

from erp_core.channels.importers.address import CnAddress, split_cn_address
from erp_core.channels.importers.dispatch import detect_format, parse_orders
from erp_core.channels.importers.model import REASONS, ImportResult, ParsedLine, ParsedOrder, RowError
from erp_core.channels.importers.report import errors_to_csv
from erp_core.channels.importers.template import TEMPLATE_COLUMNS

__all__ = [
    "REASONS",
    "TEMPLATE_COLUMNS",
    "CnAddress",
    "ImportResult",
    "ParsedLine",
    "ParsedOrder",
    "RowError",
    "detect_format",
    "errors_to_csv",
    "parse_orders",
    "split_cn_address",
]
