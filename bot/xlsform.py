"""Reading an XLSForm (.xlsx) into the survey the bot can ask in a chat, or the list of rows it can't use.

The workbook is first checked as a file (size, unpacked size, sheets, rows, formulas, huge cells), then
read by pyxform, the XLSForm reference library, then every question is checked against what a chat
can ask. Nothing unsupported is dropped quietly: each problem comes back with its row and a reason code
(the handler words it in the coordinator's language).

A question, as stored with the survey (JSON):
    {"name", "type": select_one | select_multiple | integer | decimal | text | date | note | rating,
     "label": {"en", "km"}, "hint": {"en", "km"}, "required": bool, "relevant": [expr, ...] (all must hold),
     "constraint": expr | None, "constraint_message": {"en", "km"}, "choices": [{"name", "label"}],
     "range": {"start", "end", "step"}, "row": spreadsheet row,
     and what its appearance column asks for: "layout": likert | columns | pack and "per_row": n (choice
     buttons several to a row), "digits": true (text typed as digits only), "grouped": true (a number shown
     with thousands separators), "precision": month | year (a date typed as month/year or a year)}

The appearance column is read name by name (ODK separates them with spaces): a name that means something
in a chat is kept as above, or accepted when the chat already behaves that way (e.g. `minimal`, `multiline`,
`no-calendar`); any other is refused with its row and the reason. examples/README.md lists them.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook

from bot import skiplogic
from bot.skiplogic import Current, ExpressionError, Ref

MAX_FILE_BYTES = 1024 * 1024
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_ZIP_ENTRIES = 200
MAX_SHEET_ROWS = 2000  # rows read at most, empty ones included
MAX_QUESTION_ROWS = 300
MAX_CHOICE_ROWS = 1000
MAX_COLUMNS = 60
MAX_CELL = 2000
MAX_QUESTIONS = 100
MAX_CHOICES = 30
MAX_RATING_BUTTONS = 11
MAX_LABEL = 1000
MAX_CHOICE_LABEL = 100
MAX_PROBLEMS = 50

QUESTION_TYPES = ("select_one", "select_multiple", "integer", "decimal", "text", "date", "note", "rating")
TYPED = ("integer", "decimal", "text", "date")
CHOICE_TYPES = ("select_one", "select_multiple")
# Filled in by the bot itself, as Kobo does: when the member started and finished, and the day.
META_TYPES = ("start", "end", "today")
_PYXFORM_TYPES = {"select one": "select_one", "select all that apply": "select_multiple", "integer": "integer",
                  "decimal": "decimal", "text": "text", "date": "date", "note": "note", "range": "rating"}
_READ_SHEETS = ("survey", "choices", "settings")
# Keys of a pyxform question we understand; anything else is a column we don't support.
_KNOWN_KEYS = {"type", "name", "label", "hint", "bind", "parameters", "control", "choices", "itemset", "list_name",
               "children"}
_KNOWN_BIND = {"required", "relevant", "constraint", "jr:constraintMsg"}
_KNOWN_CONTROL = {"appearance", "start", "end", "step"}
_COLUMN_NAMES = {"jr:requiredMsg": "required_message", "readonly": "read_only", "calculate": "calculation",
                 "jr:constraintMsg": "constraint_message", "media": "media", "choice_filter": "choice_filter",
                 "default": "default", "trigger": "trigger", "guidance_hint": "guidance_hint"}
_ROW = re.compile(r"^\[row : (\d+)\]\s*")
_LANGUAGE_CODE = re.compile(r"\((\w{2,3})\)\s*$")
_TRUE = {"yes", "true", "true()", "1"}


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


class InvalidForm(ValueError):
    """The workbook can't be used as it is; `problems` says why, row by row."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _problem(reason: str, row: int | None = None, sheet: str = "survey", **values: object) -> Problem:
    return Problem(reason, row, sheet, tuple((k, str(v)) for k, v in values.items()))


# ---------------------------------------------------------------- the file itself


def check_file(data: bytes) -> list[Problem]:
    """Problems with the workbook as a file: too large, not an .xlsx, or a zip that unpacks to far more."""
    if len(data) > MAX_FILE_BYTES:
        return [_problem("file_size", sheet="", limit=MAX_FILE_BYTES // 1024)]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        return [_problem("not_xlsx", sheet="")]
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
        return [_problem("unpacked_size", sheet="", limit=MAX_UNPACKED_BYTES // (1024 * 1024))]
    return []


def _cell_name(column: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


def check_sheets(data: bytes) -> list[Problem]:
    """Problems visible in the raw cells: sheet names, too many rows or columns, formulas and huge cells."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds on a damaged file; all mean the same to the coordinator
        return [_problem("not_xlsx", sheet="")]
    problems: list[Problem] = []
    try:
        names = {name.strip().lower(): name for name in book.sheetnames}
        if "survey" not in names:
            return [_problem("no_survey_sheet", sheet="", sheets=", ".join(book.sheetnames[:10]))]
        for sheet_name in _READ_SHEETS:
            if sheet_name in names:
                problems += _check_sheet(book[names[sheet_name]], sheet_name)
    finally:
        book.close()
    return problems


def _check_sheet(sheet, name: str) -> list[Problem]:
    problems: list[Problem] = []
    filled = 0
    limit = MAX_QUESTION_ROWS if name == "survey" else MAX_CHOICE_ROWS
    for number, row in enumerate(sheet.iter_rows(), start=1):
        if number > MAX_SHEET_ROWS:
            return [_problem("too_many_rows", sheet=name, limit=limit)]
        if len(row) > MAX_COLUMNS and any(c.value not in (None, "") for c in row[MAX_COLUMNS:]):
            return [_problem("too_many_columns", sheet=name, limit=MAX_COLUMNS)]
        values = [c for c in row[:MAX_COLUMNS] if c.value not in (None, "")]
        if not values:
            continue
        filled += 1
        if filled > limit + 1:  # the header row, then at most `limit` rows
            return [_problem("too_many_rows", sheet=name, limit=limit)]
        for column, cell in enumerate(row[:MAX_COLUMNS], start=1):
            value = cell.value
            if value in (None, ""):
                continue
            if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
                problems.append(_problem("formula", number, name, cell=_cell_name(column, number)))
            elif isinstance(value, str) and len(value) > MAX_CELL:
                problems.append(_problem("huge_cell", number, name, cell=_cell_name(column, number),
                                         length=len(value), limit=MAX_CELL))
    return problems


# ---------------------------------------------------------------- pyxform


def _read_with_pyxform(data: bytes):
    """pyxform's reading of the workbook: (its JSON form, the raw rows); raises InvalidForm with its message."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json
    from pyxform.xls2json_backends import get_xlsform

    try:
        workbook = get_xlsform(data, file_type=".xlsx")
        form = workbook_to_json(workbook, form_name="data", warnings=[])
    except PyXFormError as exc:
        message = str(exc).strip()
        match = _ROW.match(message)
        row = int(match.group(1)) if match else None
        raise InvalidForm([_problem("pyxform", row, detail=_ROW.sub("", message)[:500])]) from None
    except Exception as exc:  # a workbook pyxform trips over is unusable all the same
        raise InvalidForm([_problem("pyxform", detail=f"{type(exc).__name__}: {exc}"[:500])]) from None
    return form, workbook


def _language(key: str) -> str | None:
    """'English (en)' -> en, 'Khmer (km)' -> km, 'default' -> default; None for other languages."""
    if key == "default":
        return "default"
    match = _LANGUAGE_CODE.search(key)
    code = match.group(1).lower() if match else key.strip().lower()
    return {"en": "en", "english": "en", "km": "km", "khmer": "km", "ខ្មែរ": "km"}.get(code)


def _texts(value, unused: set[str]) -> dict[str, str]:
    """A label, hint or message in English and Khmer; a missing language borrows the other."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"en": value.strip(), "km": value.strip()} if value.strip() else {}
    texts: dict[str, str] = {}
    for key, text in value.items():
        language = _language(key)
        if language is None:
            unused.add(key)
            continue
        if isinstance(text, str) and text.strip():
            texts[language] = text.strip()
    default = texts.pop("default", None)
    if default:
        texts.setdefault("en", default)
        texts.setdefault("km", default)
    if texts:
        texts.setdefault("en", texts.get("km", ""))
        texts.setdefault("km", texts.get("en", ""))
    return texts


def _own_languages(value) -> set[str]:
    """Which of en/km a label really has (before one borrows the other)."""
    if isinstance(value, str):
        return {"en", "km"}
    if isinstance(value, dict):
        found = {_language(k) for k, v in value.items() if isinstance(v, str) and v.strip()}
        return {"en", "km"} if "default" in found else found & {"en", "km"}
    return set()


def _rows(workbook) -> dict[str, int]:
    """Question name -> its row on the survey sheet (the header is row 1)."""
    rows: dict[str, int] = {}
    for index, row in enumerate(workbook.survey or [], start=2):
        name = (row.get("name") or "").strip()
        if name and name not in rows:
            rows[name] = index
    return rows


def _raw_types(workbook) -> dict[int, str]:
    return {index: (row.get("type") or "").strip() for index, row in enumerate(workbook.survey or [], start=2)}


def parse(data: bytes) -> Form:
    """Reads an XLSForm workbook into a Form; raises InvalidForm listing every problem found."""
    problems = check_file(data) or check_sheets(data)
    if problems:
        raise InvalidForm(problems[:MAX_PROBLEMS])
    raw, workbook = _read_with_pyxform(data)
    rows = _rows(workbook)
    problems = [_problem("or_other", row) for row, kind in _raw_types(workbook).items() if "or_other" in kind]
    unused: set[str] = set()
    questions: list[dict] = []
    meta: list[str] = []
    missing = {"en": 0, "km": 0}
    noted: list[Problem] = []
    for child, relevant in _flatten(raw.get("children", []), [], rows, problems, noted):
        kind = child.get("type", "")
        row = rows.get(child.get("name", ""))
        if kind in META_TYPES:
            meta.append(kind)
            continue
        question = _question(child, row, relevant, problems, unused, noted)
        if question is not None:
            questions.append(question)
            for language in ("en", "km"):
                if language not in _own_languages(child.get("label")):
                    missing[language] += 1
    if not questions and not problems:
        problems.append(_problem("no_questions"))
    if len(questions) > MAX_QUESTIONS:
        problems.append(_problem("too_many_questions", limit=MAX_QUESTIONS))
    problems += check_logic(questions)
    if problems:
        raise InvalidForm(sorted(problems, key=lambda p: (p.row or 0))[:MAX_PROBLEMS])
    title = _texts(raw.get("title"), unused) or {"en": raw.get("id_string", ""), "km": raw.get("id_string", "")}
    warnings = [_problem("missing_language", sheet="", language=language, count=count)
                for language, count in missing.items() if count]
    warnings += [_problem("unused_language", sheet="", language=name) for name in sorted(unused)]
    warnings += noted
    return Form(title={k: v[:200] for k, v in title.items()}, form_id=str(raw.get("id_string", ""))[:100],
                version=str(raw.get("version", ""))[:50], questions=questions, meta=list(dict.fromkeys(meta)),
                warnings=warnings)


def _flatten(children: list[dict], relevant: list[str], rows: dict[str, int], problems: list[Problem],
             warnings: list[Problem]):
    """(question, the relevance of its groups and itself) for every question, groups opened up in order."""
    for child in children:
        kind = child.get("type")
        if kind == "group":
            if child.get("name") == "meta" and (child.get("control") or {}).get("bodyless"):
                continue  # pyxform's own instanceID, not a row of the form
            _group_appearance(child, rows.get(child.get("name", "")), problems, warnings)
            group_relevant = (child.get("bind") or {}).get("relevant")
            inner = relevant + ([group_relevant] if group_relevant else [])
            yield from _flatten(child.get("children", []), inner, rows, problems, warnings)
        elif kind == "repeat":
            problems.append(_problem("repeat", rows.get(child.get("name", ""))))
        else:
            own = (child.get("bind") or {}).get("relevant")
            yield child, relevant + ([own] if own else [])


# ---------------------------------------------------------------- appearance

# Choice buttons several to a row: likert (a scale in one row when it fits), columns (equal columns, as
# many as fit), pack (as many as fit in each row); `columns-N` asks for N to a row. horizontal and the
# compact names are ODK's older names for the columns ones.
_LAYOUTS = {"likert": "likert", "columns": "columns", "horizontal": "columns", "columns-pack": "pack",
            "horizontal-compact": "pack", "compact": "pack"}
_COLUMNS_N = re.compile(r"(?:columns|compact)-(\d{1,2})")
MAX_PER_ROW = 8  # Telegram's limit of buttons in a row of an inline keyboard
# Appearances a chat already honours as it is: a select is always a list of buttons and a select_one
# moves on at the press (minimal, quick); free text takes several lines; no calendar is ever drawn;
# a range is always a row of numbered buttons.
_AS_IS = {
    "select_one": {"minimal", "quick"},
    "select_multiple": {"minimal"},
    "text": {"multiline"},
    "date": {"no-calendar"},
    "rating": {"rating", "vertical", "picker", "no-ticks"},
}
_EFFECTS = {
    ("text", "numbers"): {"digits": True},
    ("integer", "thousands-sep"): {"grouped": True},
    ("decimal", "thousands-sep"): {"grouped": True},
    ("date", "month-year"): {"precision": "month"},
    ("date", "year"): {"precision": "year"},
}
_CALENDARS = {"ethiopian", "coptic", "islamic", "bikram-sambat", "myanmar", "persian"}
# ODK appearances that need a form screen, a map, a camera, a printer or another app.
_FORM_ONLY = {"autocomplete", "search", "map", "image-map", "label", "list-nolabel", "list", "no-buttons", "url",
              "masked", "counter", "bearing", "distress", "hidden-answer", "signature", "draw", "annotate", "new",
              "new-front", "selfie", "placement-map", "maps", "quickcompact", "printer", "field-list", "table-list"}
_FORM_ONLY_PATTERN = re.compile(r"(ex:|printer:|search\(|quickcompact-).*", re.DOTALL)
# Column widths on Enketo's grid theme, and a group drawn as one screen or a table: they only arrange a form
# on a screen, and the chat asks one question at a time anyway (accepted, with a warning).
_SCREEN_LAYOUT = re.compile(r"w\d{1,2}")
_GROUP_AS_IS = {"field-list", "table-list"}
_XLSFORM_TYPE = {"rating": "range"}
_FOR_OTHER_TYPES = set().union(*_AS_IS.values(), (name for _kind, name in _EFFECTS), _LAYOUTS, _CALENDARS)


def appearance_names(text: str) -> list[str]:
    """The names in an appearance cell: separated by spaces, except inside `search('a b', ...)`."""
    names: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in str(text or ""):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif ch.isspace() and depth == 0:
            if current:
                names.append("".join(current))
                current = []
            continue
        current.append(ch)
    if current:
        names.append("".join(current))
    return list(dict.fromkeys(names))


def _effect(kind: str, name: str) -> dict | str:
    """What one appearance name does to a question of this kind, as stored keys; or why it can't be used."""
    word = name.lower()
    if word in _AS_IS.get(kind, ()):
        return {}
    if (kind, word) in _EFFECTS:
        return dict(_EFFECTS[kind, word])
    columns = _COLUMNS_N.fullmatch(word)
    if kind in CHOICE_TYPES and (word in _LAYOUTS or columns):
        if word == "likert" and kind != "select_one":
            return "appearance_wrong_type"
        if columns:
            per_row = int(columns.group(1))
            return {"layout": "columns", "per_row": per_row} if 1 <= per_row <= MAX_PER_ROW else "appearance_columns"
        return {"layout": _LAYOUTS[word]}
    if kind == "date" and word in _CALENDARS:
        return "appearance_calendar"
    if word in _FORM_ONLY or _FORM_ONLY_PATTERN.fullmatch(word):
        return "appearance_form_only"
    if _SCREEN_LAYOUT.fullmatch(word):
        return "appearance_screen_layout"
    if columns or word in _FOR_OTHER_TYPES:
        return "appearance_wrong_type"
    return "appearance_unknown"


def _appearance(child: dict, kind: str, row: int | None, problems: list[Problem],
                warnings: list[Problem]) -> dict:
    """The stored keys the question's appearance column asks for; a problem for each name that can't apply."""
    found: dict = {}
    chosen: dict[str, str] = {}  # stored key -> the name that set it, to refuse two layouts at once
    for name in appearance_names((child.get("control") or {}).get("appearance")):
        shown = name[:60]
        effect = _effect(kind, name)
        if effect == "appearance_screen_layout":
            warnings.append(_problem("appearance_ignored", row, appearance=shown))
        elif effect == "appearance_columns":
            problems.append(_problem(effect, row, appearance=shown, limit=MAX_PER_ROW))
        elif isinstance(effect, str):
            problems.append(_problem(effect, row, appearance=shown, type=_XLSFORM_TYPE.get(kind, kind)))
        else:
            for key in effect.keys() & chosen.keys() - {"per_row"}:
                problems.append(_problem("appearance_conflict", row, first=chosen[key], second=shown))
            chosen.update(dict.fromkeys(effect, shown))
            found.update(effect)
    return found


def _group_appearance(child: dict, row: int | None, problems: list[Problem], warnings: list[Problem]) -> None:
    """A group's appearance: one screen or a table (field-list, table-list) only says how a form draws it,
    and the chat asks its questions one at a time anyway; anything else is refused."""
    for name in appearance_names((child.get("control") or {}).get("appearance")):
        shown = name[:60]
        if name.lower() in _GROUP_AS_IS or _SCREEN_LAYOUT.fullmatch(name.lower()):
            warnings.append(_problem("appearance_ignored", row, appearance=shown))
        else:
            problems.append(_problem("appearance_group", row, appearance=shown))


def _question(child: dict, row: int | None, relevant: list[str], problems: list[Problem],
              unused: set[str], warnings: list[Problem]) -> dict | None:
    """One question in the stored shape, or None (with the problems recorded) if it can't be asked."""
    before = len(problems)
    kind = _PYXFORM_TYPES.get(child.get("type", ""))
    if kind is None:
        problems.append(_problem("unsupported_type", row, type=child.get("type", "")))
        return None
    for key in sorted(set(child) - _KNOWN_KEYS):
        problems.append(_problem("unsupported_column", row, column=_COLUMN_NAMES.get(key, key)))
    bind = child.get("bind") or {}
    for key in sorted(set(bind) - _KNOWN_BIND):
        problems.append(_problem("unsupported_column", row, column=_COLUMN_NAMES.get(key, key)))
    for key in sorted(set(child.get("control") or {}) - _KNOWN_CONTROL):
        problems.append(_problem("unsupported_column", row, column=key))
    label = _texts(child.get("label"), unused)
    if not label:
        problems.append(_problem("no_label", row))
    elif max(len(text) for text in label.values()) > MAX_LABEL:
        problems.append(_problem("label_too_long", row, limit=MAX_LABEL))
    question = {"name": child["name"], "type": kind, "label": label, "row": row,
                "required": str(bind.get("required", "")).strip().lower() in _TRUE,
                "relevant": relevant, "constraint": (bind.get("constraint") or "").strip() or None}
    hint = _texts(child.get("hint"), unused)
    if hint:
        question["hint"] = {k: v[:MAX_LABEL] for k, v in hint.items()}
    message = _texts(bind.get("jr:constraintMsg"), unused)
    if message:
        question["constraint_message"] = {k: v[:MAX_LABEL] for k, v in message.items()}
    if kind in CHOICE_TYPES:
        question["choices"] = _choices(child, row, problems, unused)
    if kind == "rating":
        question["range"] = _range(child, row, problems)
    if kind == "note":
        question["required"] = False
    question.update(_appearance(child, kind, row, problems, warnings))
    return question if len(problems) == before else None


def _choices(child: dict, row: int | None, problems: list[Problem], unused: set[str]) -> list[dict]:
    choices = []
    for choice in child.get("choices") or []:
        label = _texts(choice.get("label"), unused)
        if any(key != "name" and key != "label" for key in choice):
            problems.append(_problem("choice_column", row, list=child.get("list_name", ""),
                                     column=next(k for k in choice if k not in ("name", "label"))))
        if not label:
            problems.append(_problem("choice_no_label", row, list=child.get("list_name", ""),
                                     choice=choice.get("name", "")))
        elif max(len(text) for text in label.values()) > MAX_CHOICE_LABEL:
            problems.append(_problem("choice_label_too_long", row, list=child.get("list_name", ""),
                                     choice=choice.get("name", ""), limit=MAX_CHOICE_LABEL))
        choices.append({"name": str(choice.get("name", "")), "label": label})
    if len(choices) > MAX_CHOICES:
        problems.append(_problem("too_many_choices", row, list=child.get("list_name", ""), limit=MAX_CHOICES))
    elif not choices:
        problems.append(_problem("no_choices", row, list=child.get("list_name", "")))
    return choices


def _range(child: dict, row: int | None, problems: list[Problem]) -> dict:
    """A range as a row of rating buttons: whole numbers only, few enough to fit on a phone."""
    parameters = {**(child.get("parameters") or {}), **(child.get("control") or {})}
    try:
        start, end, step = (int(str(parameters.get(k, d)).strip()) for k, d in (("start", 1), ("end", 10), ("step", 1)))
    except ValueError:
        start = end = step = 0
    if step <= 0 or end <= start or len(range(start, end + 1, step)) > MAX_RATING_BUTTONS:
        problems.append(_problem("range", row, limit=MAX_RATING_BUTTONS))
        return {"start": 1, "end": 5, "step": 1}
    return {"start": start, "end": end, "step": step}


def rating_values(question: dict) -> list[int]:
    bounds = question["range"]
    return list(range(bounds["start"], bounds["end"] + 1, bounds["step"]))


# ---------------------------------------------------------------- skip logic and constraints


def check_logic(questions: list[dict]) -> list[Problem]:
    """Every relevant and constraint parses, reads only questions asked before it, and compares with real choices."""
    problems: list[Problem] = []
    position = {q["name"]: i for i, q in enumerate(questions)}
    for index, question in enumerate(questions):
        expressions = [("relevant", text) for text in question["relevant"]]
        if question["constraint"]:
            expressions.append(("constraint", question["constraint"]))
        for column, text in expressions:
            problems += _check_expression(column, text, index, question, questions, position)
    return problems


def _check_expression(column: str, text: str, index: int, question: dict, questions: list[dict],
                      position: dict[str, int]) -> list[Problem]:
    row = question["row"]
    try:
        node = skiplogic.parse(text)
    except ExpressionError as exc:
        return [_problem("expression", row, column=column, error=exc.reason, detail=exc.detail)]
    problems = []
    if column == "relevant" and skiplogic.uses_current(node):
        problems.append(_problem("dot_in_relevant", row))
    for name in skiplogic.references(node):
        if name not in position:
            problems.append(_problem("unknown_reference", row, column=column, name=name))
        elif column == "constraint" and name == question["name"]:
            continue
        elif position[name] >= index:
            # Questions are asked in order: a later one (or this one) can't be known in time. This also
            # rules out every cycle, since a cycle needs a reference forward.
            problems.append(_problem("forward_reference", row, column=column, name=name))
        elif questions[position[name]]["type"] == "note":
            problems.append(_problem("note_reference", row, column=column, name=name))
    for target, value in skiplogic.compared_values(node):
        subject = question if isinstance(target, Current) else (
            questions[position[target.name]] if isinstance(target, Ref) and target.name in position else None)
        if subject is None or subject["type"] not in CHOICE_TYPES:
            if isinstance(target, Ref) and subject is not None and value and _is_selected_call(node, target):
                problems.append(_problem("selected_needs_select", row, column=column, name=target.name))
            continue
        if value not in {c["name"] for c in subject["choices"]}:
            problems.append(_problem("not_a_choice", row, column=column, name=subject["name"], value=value))
    return problems


def _is_selected_call(node, target: Ref) -> bool:
    return any(isinstance(n, skiplogic.Call) and n.name == "selected" and n.args[0] == target
               for n in skiplogic.walk(node))
