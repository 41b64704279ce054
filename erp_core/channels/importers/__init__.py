"""Order file importers: channel exports (CSV/XLSX) in, plain ``ParsedOrder`` data and row errors out.

Pure code: no Flask, no database. Built on the file-import toolkit (``erp_core.fileimport``: reading
tables, cells, ``RowError`` and ``errors_to_csv`` for the error report users download). The
``import_orders`` service calls ``parse_orders`` and stores what it returns.
"""

from erp_core.channels.importers.address import CnAddress, split_cn_address
from erp_core.channels.importers.dispatch import detect_format, parse_orders
from erp_core.channels.importers.model import REASONS, ImportResult, ParsedLine, ParsedOrder
from erp_core.channels.importers.template import TEMPLATE_COLUMNS

__all__ = [
    "REASONS",
    "TEMPLATE_COLUMNS",
    "CnAddress",
    "ImportResult",
    "ParsedLine",
    "ParsedOrder",
    "detect_format",
    "parse_orders",
    "split_cn_address",
]
