"""CSV and XLSX writers that stream rows and neutralise spreadsheet formulas.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
run as a formula by Excel, LibreOffice or Google Sheets (CSV injection, OWASP). Such text is
written with a leading single quote, and in XLSX it is always a string cell, never a formula.
Numbers (int, float, Decimal) stay numbers; dates and datetimes are written in ISO 8601 (CSV)
or as date cells (XLSX, naive in the reader's zone since Excel has no time zones).

CSV starts with a UTF-8 byte-order mark so that Excel (Korean Windows included) reads UTF-8
instead of the ANSI code page.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

Cell = str | int | float | Decimal | date | datetime | bool | None
Row = Sequence[Cell]

BOM = "\ufeff"
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CELL_MAX = 32767  # Excel's limit on one cell's text


def neutralise(text: str) -> str:
    """Text a spreadsheet will not run as a formula."""
    if text.startswith(DANGEROUS_FIRST):
        return "'" + text
    return text


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def csv_value(value: Cell) -> str | int | float | Decimal:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return _local(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


class _Echo:
    """A file-like object whose write() returns what it was given (for streaming CSV)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Row, rows: Iterable[Row]) -> Iterator[str]:
    """The CSV as text chunks, BOM first; nothing is held but the current row."""
    writer = csv.writer(_Echo())
    yield BOM + str(writer.writerow([csv_value(c) for c in header]))
    for row in rows:
        yield str(writer.writerow([csv_value(c) for c in row]))


def write_csv(out: IO[bytes], header: Row, rows: Iterable[Row]) -> int:
    """Write the CSV (UTF-8 with BOM) to a binary file; returns the number of data rows."""
    lines = 0
    buffer: list[str] = []
    for line in csv_lines(header, rows):
        lines += 1
        buffer.append(line)
        if len(buffer) >= 500:
            out.write("".join(buffer).encode("utf-8"))
            buffer.clear()
    out.write("".join(buffer).encode("utf-8"))
    return lines - 1


def xlsx_cell(sheet: WriteOnlyWorksheet, value: Cell) -> WriteOnlyCell:
    if value is None:
        return WriteOnlyCell(sheet, value=None)
    if isinstance(value, (bool, int, float, Decimal)):
        return WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=_local(value).replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    text = neutralise(str(value))[:XLSX_CELL_MAX]
    # Set the value first (openpyxl guesses the type), then force a string cell: text that
    # starts with "=" is never stored as a formula.
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def write_xlsx(out: IO[bytes], header: Row, rows: Iterable[Row], *, title: str = "Export") -> int:
    """Write an XLSX workbook (openpyxl write-only mode: rows go to a temporary file as they
    come) to ``out``; returns the number of data rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_title(title))
    sheet.append([xlsx_cell(sheet, c) for c in header])
    count = 0
    for row in rows:
        sheet.append([xlsx_cell(sheet, c) for c in row])
        count += 1
    book.save(out)
    return count


def sheet_title(title: str) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
    return clean or "Export"


def xlsx_bytes(header: Row, rows: Iterable[Row], *, title: str = "Export") -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, header, rows, title=title)
    return buffer.getvalue()


def csv_bytes(header: Row, rows: Iterable[Row]) -> bytes:
    buffer = io.BytesIO()
    write_csv(buffer, header, rows)
    return buffer.getvalue()


def spooled() -> IO[bytes]:
    """A temporary file that stays in memory up to 8 MB, then moves to disk."""
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
