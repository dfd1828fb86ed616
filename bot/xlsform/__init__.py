"""Reading an XLSForm (.xlsx or .xls) into the survey the bot can ask in a chat, or the list of every problem
that stops it, each with its sheet, row and a reason code (the handler words it in the coordinator's language).

The reading goes in steps, and every step says all it finds before the next one runs: the file (size, kind,
sheets, filled rows and columns, formulas without a stored value, huge cells: bot.xlsform.workbook); its rows
as XLSForm rows (names, types, choice lists, choices: bot.xlsform.rows); pyxform, the XLSForm reference
library, reading them into a form; every question against what a chat can ask (bot.xlsform.questions, and
bot.xlsform.appearance for the appearance column); skip logic and constraints (bot.xlsform.logic). Nothing
unsupported is dropped quietly.

A question, as stored with the survey (JSON):
    {"name", "type": select_one | select_multiple | integer | decimal | text | date | note | rating,
     "label": {"en", "km"}, "hint": {"en", "km"}, "required": bool, "relevant": [expr, ...] (all must hold),
     "constraint": expr | None, "constraint_message": {"en", "km"}, "choices": [{"name", "label"}],
     "range": {"start", "end", "step"}, "row": spreadsheet row,
     and what its appearance column asks for: "layout": likert | columns | pack and "per_row": n (choice
     buttons several to a row), "digits": true (text typed as digits only), "grouped": true (a number shown
     with thousands separators), "precision": month | year (a date typed as month/year or a year)}
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from bot.xlsform import questions as _questions
from bot.xlsform import rows as _rows
from bot.xlsform import workbook as _workbook
from bot.xlsform.appearance import CHOICE_TYPES, MAX_PER_ROW, appearance_names
from bot.xlsform.logic import check_logic
from bot.xlsform.problems import (
    MAX_ALERT,
    MAX_CELL,
    MAX_CHOICE_LABEL,
    MAX_CHOICES,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_HINT,
    MAX_LABEL,
    MAX_PROBLEMS,
    MAX_QUESTIONS,
    MAX_RATING_BUTTONS,
    InvalidForm,
    Problem,
    ordered,
    problem,
)
from bot.xlsform.questions import META_TYPES, rating_values

__all__ = [
    "CHOICE_TYPES", "MAX_ALERT", "MAX_CELL", "MAX_CHOICES", "MAX_CHOICE_LABEL", "MAX_COLUMNS", "MAX_FILE_BYTES",
    "MAX_HINT", "MAX_LABEL", "MAX_PER_ROW", "MAX_QUESTIONS", "MAX_RATING_BUTTONS", "META_TYPES", "QUESTION_TYPES",
    "TYPED", "EXTENSIONS", "Form", "InvalidForm", "Problem", "appearance_names", "check_logic", "parse", "problem",
    "rating_values",
]

QUESTION_TYPES = ("select_one", "select_multiple", "integer", "decimal", "text", "date", "note", "rating")
TYPED = ("integer", "decimal", "text", "date")
EXTENSIONS = (".xlsx", ".xlsm", ".xls")  # what pyxform reads as a workbook
_NOT_ID = re.compile(r"[^A-Za-z0-9_]+")


@dataclass
class Form:
    """A survey read from an XLSForm, ready to be stored and asked."""

    title: dict[str, str]
    form_id: str
    version: str
    questions: list[dict]
    meta: list[str] = field(default_factory=list)
    # Not problems, but worth telling the coordinator (e.g. questions without a Khmer label).
    warnings: list[Problem] = field(default_factory=list)


def parse(data: bytes, filename: str = "") -> Form:
    """Reads an XLSForm workbook into a Form; raises InvalidForm listing every problem found.

    `filename` names the survey when the form has no form_title (rather than pyxform's 'data')."""
    book = _workbook.read(data)
    rows = _rows.read(data, book.kind)
    raw = _rows.to_json(rows)
    problems = book.problems + rows.problems
    if raw is None:
        raise InvalidForm(_listed(problems, book.sheets))
    reading = _questions.read(raw, rows)
    problems += reading.problems
    if not reading.questions and not problems:
        problems.append(problem("no_questions"))
    if len(reading.questions) > MAX_QUESTIONS:
        problems.append(problem("too_many_questions", count=len(reading.questions), limit=MAX_QUESTIONS))
    problems += check_logic(reading.checked)
    if problems:
        raise InvalidForm(_listed(problems, book.sheets))
    title = _title(raw, rows, filename, reading.unused)
    warnings = [problem("missing_language", sheet="", language=code, count=count)
                for code, count in reading.missing.items() if count]
    warnings += [problem("unused_language", sheet="", language=name) for name in sorted(reading.unused)]
    warnings += reading.warnings
    return Form(title={k: v[:200] for k, v in title.items()}, form_id=_form_id(raw, rows, filename),
                version=str(raw.get("version") or "")[:50], questions=reading.questions, meta=reading.meta,
                warnings=_listed(warnings, book.sheets))


# What a huge cell in the row already says.
_TOO_LONG = {"label_too_long", "hint_too_long", "constraint_message_too_long", "choice_label_too_long"}


def _listed(problems: list[Problem], sheets: dict[str, str]) -> list[Problem]:
    """Each problem once, in reading order, on the sheet as the coordinator named it."""
    huge = {(p.sheet, p.row) for p in problems if p.reason == "huge_cell"}
    kept = [p for p in ordered(problems) if not (p.reason in _TOO_LONG and (p.sheet, p.row) in huge)]
    return [dataclasses.replace(p, sheet=sheets.get(p.sheet, p.sheet)) for p in kept][:MAX_PROBLEMS]


def _file_title(filename: str) -> str:
    """'Household survey 2024.xlsx' -> 'Household survey 2024'."""
    return " ".join(PurePath(filename or "").stem.split())


def _title(raw: dict, rows: _rows.Rows, filename: str, unused: set[str]) -> dict[str, str]:
    """The form_title in English and Khmer; without one, the file's name (then the form_id)."""
    title = _questions.texts(raw.get("title"), unused) if rows.title_set else {}
    name = _file_title(filename) or str(raw.get("id_string") or "")
    return title or {"en": name, "km": name}


def _form_id(raw: dict, rows: _rows.Rows, filename: str) -> str:
    """The form_id, or one made from the file's name (Kobo's exports are named after it)."""
    if rows.form_id_set:
        return str(raw.get("id_string", ""))[:100]
    return _NOT_ID.sub("_", _file_title(filename)).strip("_").lower()[:100] or "data"
