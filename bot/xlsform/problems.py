"""What can be wrong with an uploaded form, and the limits it is held to."""

from __future__ import annotations

from dataclasses import dataclass

MAX_FILE_BYTES = 1024 * 1024
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_ZIP_ENTRIES = 200
MAX_QUESTION_ROWS = 300  # filled rows below the header of the survey sheet
MAX_CHOICE_ROWS = 1000  # ... of the choices and settings sheets
MAX_COLUMNS = 60  # filled columns of a sheet
# A label or note is shown to members over as many messages as it needs; past this it is a document, not a
# question. No cell of a real form is longer than a label; past twice that, it is not read at all.
MAX_LABEL = 10_000
MAX_CELL = 2 * MAX_LABEL
MAX_HINT = 1000
MAX_CHOICE_LABEL = 100  # a button
MAX_ALERT = 200  # a pop-up (a select_multiple's constraint message is shown in one)
MAX_QUESTIONS = 100
MAX_CHOICES = 30
MAX_RATING_BUTTONS = 11
MAX_PROBLEMS = 100

# The order problems are listed in: the file, then the sheets as a coordinator reads them.
SHEET_ORDER = {"": 0, "survey": 1, "choices": 2, "settings": 3}


@dataclass(frozen=True)
class Problem:
    """Why the form can't be used: on which sheet and row, a reason code and the values the message needs."""

    reason: str
    row: int | None = None
    sheet: str = "survey"
    values: tuple[tuple[str, str], ...] = ()

    @property
    def params(self) -> dict[str, str]:
        return dict(self.values)


class InvalidForm(ValueError):
    """The workbook can't be used as it is; `problems` says why, row by row."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def problem(reason: str, row: int | None = None, sheet: str = "survey", **values: object) -> Problem:
    return Problem(reason, row, sheet, tuple((k, str(v)) for k, v in values.items()))


def ordered(problems: list[Problem]) -> list[Problem]:
    """Each problem once, file first, then sheet by sheet and row by row (as found within a row)."""
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (SHEET_ORDER.get(p.sheet, 9), p.sheet, p.row or 0))
