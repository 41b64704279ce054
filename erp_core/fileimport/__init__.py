"""The file-import toolkit every import shares: read an uploaded CSV or XLSX into text cells (any of
the encodings Chinese spreadsheets use), find columns by header aliases, parse cells (codes, money,
quantities, times), and report row errors as a downloadable CSV.

Pure code: no Flask, no database. The order-file parsers (``erp_core.channels.importers``), the
catalog import, the ASN import and the bin import are built on it.
"""

from erp_core.fileimport.columns import Columns, header_key
from erp_core.fileimport.errors import COMMON_REASONS, LIMIT_CODES, RowError, UnreadableFile, row_error
from erp_core.fileimport.limits import UploadLimits, current_limits
from erp_core.fileimport.report import errors_to_csv
from erp_core.fileimport.tables import Table, read_table

__all__ = [
    "COMMON_REASONS",
    "LIMIT_CODES",
    "Columns",
    "RowError",
    "Table",
    "UnreadableFile",
    "UploadLimits",
    "current_limits",
    "errors_to_csv",
    "header_key",
    "read_table",
    "row_error",
]
