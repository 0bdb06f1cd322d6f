"""The CSV and XLSX writers: formula neutralisation with hostile cells, numbers kept numbers,
the UTF-8 byte-order mark, Korean text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from doum.reports import exports

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C notepad'!'A1'",
]
SAFE = ["환불 요청", "plain text", "a=b", " =leading space", "", "1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_dangerous_text_gets_a_quote(text: str) -> None:
    assert exports.neutralise(text) == "'" + text


@pytest.mark.parametrize("text", SAFE)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert exports.neutralise(text) == text


def _row() -> list[exports.Cell]:
    return [*HOSTILE, 42, -7, 3.5, Decimal("-1.25"), None, "환불 요청", date(2025, 6, 2)]


def test_csv_has_bom_neutralised_text_and_plain_numbers() -> None:
    data = exports.csv_bytes(["a"] * 14, [_row()])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert len(rows) == 2
    cells = rows[1]
    for text, written in zip(HOSTILE, cells[: len(HOSTILE)], strict=True):
        assert written == "'" + text
    assert cells[7:] == ["42", "-7", "3.5", "-1.25", "", "환불 요청", "2025-06-02"]


def test_csv_datetimes_are_iso_in_the_active_zone(settings: object) -> None:
    from django.utils import timezone

    with timezone.override("Asia/Seoul"):
        data = exports.csv_bytes(["at"], [[datetime(2025, 6, 2, 0, 30, tzinfo=UTC)]])
    assert "2025-06-02T09:30:00+09:00" in data.decode("utf-8-sig")


def test_hostile_header_cells_are_neutralised_too() -> None:
    data = exports.csv_bytes(["=1+1"], [])
    assert data.decode("utf-8-sig").strip() == "'=1+1"


def test_xlsx_stores_hostile_text_as_strings_never_formulas() -> None:
    data = exports.xlsx_bytes(["=evil()", *["h"] * 13], [_row()], title="Tickets")
    book = load_workbook(io.BytesIO(data))
    sheet = book["Tickets"]
    header = [c for c in next(sheet.iter_rows(min_row=1, max_row=1))]
    assert header[0].value == "'=evil()" and header[0].data_type == "s"
    cells = list(next(sheet.iter_rows(min_row=2, max_row=2)))
    for text, cell in zip(HOSTILE, cells, strict=False):
        assert cell.data_type == "s", (text, cell.data_type)
        # (XML reads a stored CR back as LF; the quote in front is what matters)
        assert cell.value.replace("\n", "\r") == ("'" + text).replace("\n", "\r")
    numbers = cells[len(HOSTILE) : len(HOSTILE) + 4]
    assert [c.value for c in numbers] == [42, -7, 3.5, -1.25]
    assert all(c.data_type == "n" for c in numbers)
    assert cells[len(HOSTILE) + 5].value == "환불 요청"
    # No formula anywhere in the sheet's XML.
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml


def test_writers_count_rows_from_a_generator() -> None:
    rows = ([i, f"row {i}"] for i in range(2500))
    out = io.BytesIO()
    assert exports.write_csv(out, ["n", "text"], rows) == 2500
    out = io.BytesIO()
    assert exports.write_xlsx(out, ["n"], ([i] for i in range(10))) == 10
