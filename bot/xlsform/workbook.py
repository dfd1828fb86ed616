"""The workbook as a file, before any of it is read as a form: its size and kind (.xlsx or .xls), the sheet
that holds the survey, and its cells: how many rows and columns are filled, formulas, huge cells.

Only filled cells count: a sheet formatted down to its last row, or a header typed far to the right, is as
long and as wide as what is written in it. A formula is read as Excel and LibreOffice stored its value,
as pyxform and Kobo read it; only a formula without a stored value is a problem.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.xlsform.problems import (
    MAX_CELL,
    MAX_CHOICE_ROWS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_QUESTION_ROWS,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_ENTRIES,
    InvalidForm,
    Problem,
    problem,
)

XLSX, XLS = ".xlsx", ".xls"
FORM_SHEETS = ("survey", "choices", "settings")
ROW_LIMITS = {"survey": MAX_QUESTION_ROWS, "choices": MAX_CHOICE_ROWS, "settings": MAX_CHOICE_ROWS}
# Sheets pyxform reads by name; a workbook's only sheet is read as the survey unless it is one of these.
_NAMED_SHEETS = {"survey", "choices", "settings", "external_choices", "osm", "entities"}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # how every .xls file begins
_SPACES = re.compile(r"\s+")


@dataclass
class Book:
    """What the file is, where its form sheets are, and what is wrong with its cells (reading can go on)."""

    kind: str
    sheets: dict[str, str]  # survey / choices / settings -> the sheet's name in the file
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Cell:
    row: int
    column: int
    value: object
    formula: bool = False


def check_file(data: bytes) -> tuple[str | None, list[Problem]]:
    """The kind of workbook (.xlsx or .xls), or the problems with it as a file: too large, not a workbook,
    or a zip that unpacks to far more."""
    if len(data) > MAX_FILE_BYTES:
        return None, [problem("file_size", sheet="", limit=MAX_FILE_BYTES // 1024)]
    if data.startswith(_OLE2):
        return XLS, []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        return None, [problem("not_workbook", sheet="")]
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
        return None, [problem("unpacked_size", sheet="", limit=MAX_UNPACKED_BYTES // (1024 * 1024))]
    return XLSX, []


def read(data: bytes) -> Book:
    """The workbook's kind, form sheets and cell problems; raises InvalidForm when it can't be read as a form."""
    kind, problems = check_file(data)
    if problems:
        raise InvalidForm(problems)
    try:
        names, cells = (_xlsx if kind == XLSX else _xls)(data)
        sheets = form_sheets(names)
        if "survey" not in sheets:
            raise InvalidForm([problem("no_survey_sheet", sheet="", sheets=", ".join(names[:10]))])
        found = [p for key, name in sheets.items() for p in _check_sheet(key, cells(name))]
    except InvalidForm:
        raise
    except Exception:  # openpyxl and xlrd raise many kinds on a damaged file; all mean the same to the coordinator
        raise InvalidForm([problem("not_workbook", sheet="")]) from None
    if any(p.reason in _STOPS for p in found):
        raise InvalidForm(found)
    return Book(kind, sheets, found)


# Problems after which the sheets are not read as a form: too much to read, or columns that can't be told apart.
_STOPS = {"too_many_rows", "too_many_columns", "duplicate_column"}


def form_sheets(names: list[str]) -> dict[str, str]:
    """survey / choices / settings -> the sheet's name, matched as pyxform matches them (case aside); a lone
    sheet with another name is the survey."""
    sheets = {}
    for name in names:
        key = name.lower()
        if key in FORM_SHEETS and key not in sheets:
            sheets[key] = name
    if not sheets and len(names) == 1 and names[0].lower() not in _NAMED_SHEETS:
        sheets["survey"] = names[0]
    return sheets


def _check_sheet(key: str, cells: Iterator[list[_Cell]]) -> list[Problem]:
    """Too many filled rows or columns, a column header used twice, formulas without a value, huge cells."""
    problems: list[Problem] = []
    rows, columns, formulas = 0, set(), {}
    for row in cells:
        if not row:
            continue
        if row[0].row == 1:
            problems += _duplicate_headers(key, row)
        else:
            rows += 1
        columns.update(cell.column for cell in row)
        if rows > ROW_LIMITS[key]:
            continue  # counted only: the sheet won't be read
        for cell in row:
            if cell.formula:
                formulas.setdefault(cell.row, []).append(cell)
            elif isinstance(cell.value, str) and len(cell.value) > MAX_CELL:
                problems.append(problem("huge_cell", cell.row, key, cell=_cell_name(cell), length=len(cell.value),
                                        limit=MAX_CELL))
    if rows > ROW_LIMITS[key]:
        problems.append(problem("too_many_rows", None, key, count=rows, limit=ROW_LIMITS[key]))
    if len(columns) > MAX_COLUMNS:
        problems.append(problem("too_many_columns", None, key, count=len(columns), limit=MAX_COLUMNS))
    for number, found in formulas.items():
        empty = [cell for cell in found if _blank(cell.value)]
        if empty:
            problems.append(problem("formula_without_value", number, key,
                                    cells=", ".join(_cell_name(c) for c in empty)))
    return problems


def _duplicate_headers(key: str, row: list[_Cell]) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for cell in row:
        header = _SPACES.sub(" ", str(cell.value).strip())
        if header in seen:
            problems.append(problem("duplicate_column", 1, key, column=header))
        seen.add(header)
    return problems


def _cell_name(cell: _Cell) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(cell.column)}{cell.row}"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _xlsx(data: bytes):
    """The sheet names, and the filled cells of a sheet row by row (a formula with its stored value)."""
    from openpyxl import load_workbook

    def cells(name: str) -> Iterator[list[_Cell]]:
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        stored = None
        try:
            sheet = formulas[name]
            sheet.reset_dimensions()  # the stored size counts formatted cells too
            for row in sheet.iter_rows():
                filled = [_Cell(c.row, c.column, c.value, c.data_type == "f") for c in row if not _blank(c.value)]
                if any(cell.formula for cell in filled):
                    stored = stored or _stored_values(data, name)
                    for cell in filled:
                        if cell.formula:
                            cell.value = stored.get((cell.row, cell.column))
                yield filled
        finally:
            formulas.close()

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        names = list(book.sheetnames)
    finally:
        book.close()
    return names, cells


def _stored_values(data: bytes, name: str) -> dict[tuple[int, int], object]:
    """The values Excel or LibreOffice stored for the sheet's cells (what its formulas last gave)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book[name]
        sheet.reset_dimensions()
        return {(c.row, c.column): c.value for row in sheet.iter_rows() for c in row if not _blank(c.value)}
    finally:
        book.close()


def _xls(data: bytes):
    """The sheet names, and the filled cells of a sheet row by row (.xls keeps the values formulas gave)."""
    import xlrd

    book = xlrd.open_workbook(file_contents=data, on_demand=True)
    names = list(book.sheet_names())

    def cells(name: str) -> Iterator[list[_Cell]]:
        sheet = book.sheet_by_name(name)
        for index in range(sheet.nrows):
            yield [_Cell(index + 1, column + 1, cell.value) for column, cell in enumerate(sheet.row(index))
                   if cell.ctype not in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) and not _blank(cell.value)]

    return names, cells
