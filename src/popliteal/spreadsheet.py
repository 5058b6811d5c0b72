"""Cells a spreadsheet will not run: every CSV the product writes (`popliteal score`'s batch
file, the audit trail's export) passes its text cells through `formula_safe`."""

from __future__ import annotations

# A cell starting with one of these runs as a formula in Excel, LibreOffice and Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP CSV injection): a leading
    =, +, -, @, tab or carriage return gets a quote in front."""
    return "'" + value if value.startswith(FORMULA_START) else value
