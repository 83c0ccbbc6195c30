"""Rows of a report as cells: amounts as analysts write them, CSV and XLSX writers."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

Cell = str | int | float | None
# Excel refuses longer cells; longer text is cut with a visible mark (exchange.py counts them).
XLSX_CELL_LIMIT = 32767


def format_amount(value: float, unit: str) -> str:
    """Return an amount as analysts write it: 2500亿元, 1.8万亿元, 200万元, 15, 25%."""
    if unit == "CNY":
        for scale, name in ((1e12, "万亿元"), (1e8, "亿元"), (1e4, "万元")):
            if value >= scale:
                return f"{value / scale:g}{name}"
        return f"{value:g}元"
    return f"{value:g}{'%' if unit == 'percent' else ''}"


def format_range(low: float, high: float, unit: str) -> str:
    """Return a value or a range: 2500亿元, 2–3."""
    if low == high:
        return format_amount(low, unit)
    return f"{format_amount(low, unit)}–{format_amount(high, unit)}"


def short_name(source: str) -> str:
    """Return a document's source as cited: a file's name, or the URL itself."""
    return source if "://" in source else source.replace("\\", "/").rsplit("/", 1)[-1]


def cell_text(value: Cell) -> str:
    """Return a cell as CSV text: integral floats without ``.0``, None as empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv(columns: Sequence[str], rows: Sequence[Sequence[Cell]], stream: IO[str]) -> None:
    """Write a header and rows as CSV."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([cell_text(cell) for cell in row] for row in rows)


def xlsx_value(value: Any) -> tuple[Any, bool]:
    """Return a value Excel accepts and whether it had to be cut to the cell limit."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if not isinstance(value, str):
        return value, False
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(value) <= XLSX_CELL_LIMIT:
        return value, False
    mark = f"…[cut: {len(value)} characters]"
    return value[: XLSX_CELL_LIMIT - len(mark)] + mark, True


def write_xlsx(
    sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]], path: Path
) -> int:
    """Write (sheet title, columns, rows) triples to a workbook; return how many cells were cut."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    cut = 0
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title[:31])  # Excel's limit on sheet names
        sheet.append(list(columns))
        for row in rows:
            values = [xlsx_value(cell) for cell in row]
            cut += sum(was_cut for _, was_cut in values)
            sheet.append([value for value, _ in values])
    book.save(path)
    return cut


def read_xlsx(path: Path) -> dict[str, list[list[Any]]]:
    """Return every sheet of a workbook as rows of values (header first); for tests and checks."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return {
            sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets
        }
    finally:
        book.close()
