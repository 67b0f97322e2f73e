"""Cells for CSV files that people open in spreadsheets.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before looking) is read as a formula by Excel, LibreOffice and Google Sheets:
an asker's text could then run a formula on the advisor's machine. As OWASP's "CSV Injection"
guidance recommends, such a cell is prefixed with a single quote, so it shows as the text it is.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """``value`` made safe to be a CSV cell: text that would start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
