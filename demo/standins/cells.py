"""Spreadsheet cells as the Sheets API reads them: A1 ranges, trimmed rows, unformatted values."""

from __future__ import annotations

import re
from datetime import date
from typing import Any


def trim(row: list[str]) -> list[str]:
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    return list(row[:end])


_SERIAL_EPOCH = date(1899, 12, 30)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def unformatted(cell: str, date_option: str) -> Any:
    """What Sheets stored behind a typed-in cell: numbers as numbers, ISO dates as dates (serial
    day numbers unless asked as strings), anything else (`8O`, `31/02/2024`) as text."""
    if not isinstance(cell, str):
        return cell  # a test set a typed value (a number, a serial date) directly
    if _NUMBER.match(cell):
        number = float(cell)
        return int(number) if number.is_integer() and "." not in cell else number
    try:
        day = date.fromisoformat(cell) if len(cell) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return cell
    return (day - _SERIAL_EPOCH).days if date_option == "SERIAL_NUMBER" else cell


def column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def column_index(letters: str) -> int:
    value = 0
    for ch in letters.upper():
        value = value * 26 + (ord(ch) - ord("A") + 1)
    return value - 1


def quote_title(title: str) -> str:
    return title if title.replace("_", "").isalnum() else "'" + title.replace("'", "''") + "'"


def parse_a1(text: str, title: str, grid_rows: int) -> tuple[str, int, int, int, int]:
    """`Log!A1:E`, `Log!A:E`, `'Log'!B2:C10`, `Log`, `A1:E` -> (title, col0, row0, col1, row1),
    columns from 0, rows from 1; ValueError for anything else or another sheet."""
    sheet, _, cells = text.rpartition("!") if "!" in text else ("", "", text)
    if not sheet and re.fullmatch(r"[A-Za-z]+\d*(:[A-Za-z]*\d*)?", cells) is None:
        sheet, cells = cells, ""
    sheet = sheet.strip()
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    if sheet and sheet != title:
        raise ValueError(text)
    if not cells:
        return title, 0, 1, 25, grid_rows
    match = re.fullmatch(r"([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?", cells)
    if match is None or not (match.group(1) or match.group(2)):
        raise ValueError(text)
    c0, r0, c1, r1 = match.groups()
    col0 = column_index(c0) if c0 else 0
    row0 = int(r0) if r0 else 1
    if match.group(0).find(":") < 0:
        c1, r1 = c0, r0
    col1 = column_index(c1) if c1 else 25
    row1 = min(int(r1), grid_rows) if r1 else grid_rows
    if col1 < col0 or row1 < row0:
        raise ValueError(text)
    return title, col0, row0, col1, row1
