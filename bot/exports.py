"""Spreadsheets for coordinators."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


# Dates in cells are real dates (sortable, filterable), shown day first as coordinators write them.
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


def _cell_value(value: object) -> object:
    """What openpyxl can store: a moment as the wall-clock time it was given in (it refuses time zones)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def workbook(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """One sheet with a bold, frozen header row and columns sized to their content; numbers and dates stay
    numbers and dates (pass datetimes already in the zone they should read in)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell_value(value) for value in row])
        for cell in sheet[sheet.max_row]:
            # openpyxl would store text starting with "=" as a formula; a member's text stays text.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
            elif isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        width = max([len(str(header))] + [_shown_width(r[index - 1]) for r in rows[:500]])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 50)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _shown_width(value: object) -> int:
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    return len(str(value if value is not None else ""))
