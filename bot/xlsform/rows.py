"""The form's rows as pyxform reads them, checked before pyxform turns them into a form.

pyxform stops at the first problem it meets, in English. So the rows are first checked here, where every
problem can be found in one reading and said in the coordinator's language: names used twice (both rows),
choice lists that are missing, types Sahakor can't ask (by the name the coordinator wrote), `or_other`,
choices without a name or a label (once, on the choices sheet). Each problem row is then set aside in a copy
of the rows, and pyxform reads that copy; whatever pyxform still raises is recognised where it can be, set
aside the same way, and pyxform reads again, until it gets through.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cache

from bot.xlsform.problems import (
    MAX_CHOICE_LABEL,
    MAX_CHOICES,
    MAX_PROBLEMS,
    InvalidForm,
    Problem,
    problem,
)

# The question types a chat can ask, as the coordinator may write them, and what pyxform calls them.
SUPPORTED = {"text": "text", "string": "text", "integer": "integer", "int": "integer", "decimal": "decimal",
             "date": "date", "note": "note", "range": "range", "start": "start", "end": "end", "today": "today"}
_SELECT = re.compile(r"(?P<command>select_one|select_multiple|select one|select1|select all that apply)"
                     r"(?:\s+(?P<list>\S+))?(?P<other>\s+(?:or_other|or specify other|or other))?", re.IGNORECASE)
_CONTROL = re.compile(r"(?P<edge>begin|end)[\s_]+(?P<kind>group|repeat|lgroup|loop|looped group)(?:\s.*)?",
                      re.IGNORECASE)
_SELECTS_ELSEWHERE = ("select_one_from_file", "select_multiple_from_file", "select one from file",
                      "select multiple from file", "select_one_external", "rank")
# Headers pyxform knows under another name.
_ALIASES = {"relevance": "relevant", "command": "type", "caption": "label", "list_name": "list_name",
            "value": "name", "tag": "name", "set_form_title": "form_title", "title": "form_title",
            "set_form_id": "form_id", "id_string": "form_id"}
# Names pyxform gives rows it makes up itself (the labels row of a table-list group): never the coordinator's.
GENERATED = ("generated_table_list_label_", "reserved_name_for_field_list_labels_")
_SET_ASIDE = "sahakor_row_"  # the name given to a row set aside (its own is missing, wrong or taken)
_ROW = re.compile(r"^\[row : (\d+)\]\s*")


def column_of(header: str) -> str:
    """The XLSForm column a header names: 'LABEL::Khmer (km)' -> label, 'Relevance' -> relevant."""
    text = str(header)
    first = text.split("::")[0] if "::" in text else (text if text.startswith("jr:") else text.split(":")[0])
    name = "_".join(first.split()).lower()
    return _ALIASES.get(name, name)


@dataclass
class Rows:
    """The rows as pyxform read them, what is wrong with them, and a copy pyxform can read past those problems."""

    definition: object  # pyxform's DefinitionData, repaired
    problems: list[Problem] = field(default_factory=list)
    refused: set[int] = field(default_factory=set)  # survey rows already refused: not checked again as questions
    names: dict[str, int] = field(default_factory=dict)  # question or group name -> its survey row
    written: dict[int, str] = field(default_factory=dict)  # survey row -> its type as the coordinator wrote it
    group_appearance: dict[int, str] = field(default_factory=dict)  # begin_group row -> appearance as written
    or_other: set[int] = field(default_factory=set)  # select rows with or_other (a problem; read without it)
    title_set: bool = False
    form_id_set: bool = False


def read(data: bytes, kind: str) -> Rows:
    """pyxform's reading of the workbook's rows, checked; raises InvalidForm if it can't read them at all."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import get_xlsform

    try:
        definition = get_xlsform(data, file_type=kind)
    except PyXFormError as exc:
        raise InvalidForm([translate(str(exc))]) from None
    except Exception:  # a workbook pyxform trips over is unusable all the same
        raise InvalidForm([problem("not_workbook", sheet="")]) from None
    definition = copy.copy(definition)
    definition.survey = [dict(row) for row in definition.survey or []]
    definition.choices = [dict(row) for row in definition.choices or []]
    rows = Rows(definition)
    settings = _settings(definition)
    rows.title_set = bool(settings.get("form_title"))
    rows.form_id_set = bool(settings.get("form_id"))
    used = _check_survey(rows)
    _check_choices(rows, used, allow_duplicates=settings.get("allow_choice_duplicates", "").lower() in _YES)
    _name_rows(rows)
    return rows


_YES = {"yes", "true", "true()", "1"}


def _settings(definition) -> dict[str, str]:
    first = definition.settings[0] if definition.settings else {}
    return {column_of(k): str(v).strip() for k, v in first.items() if v is not None and str(v).strip()}


def _value(row: dict, column: str) -> str:
    for header, value in row.items():
        if value is not None and column_of(header) == column:
            return str(value).strip()
    return ""


def _header(headers, column: str) -> str | None:
    """The sheet's own header for a column, if it has one."""
    return next((h for h in headers if column_of(h) == column), None)


def _survey_headers(definition) -> list[str]:
    headers = list((definition.survey_header or [{}])[0]) if definition.survey_header else []
    for row in definition.survey:
        headers += [k for k in row if k not in headers]
    return headers


# ---------------------------------------------------------------- the survey sheet


@dataclass
class _Use:
    rows: list[int]
    multiple: bool = False


def _check_survey(rows: Rows) -> dict[str, _Use]:
    """Types, names and choice lists of the survey rows; returns the lists the selects use, and where."""
    headers = _survey_headers(rows.definition)
    type_header, name_header = _header(headers, "type"), _header(headers, "name")
    used: dict[str, _Use] = {}
    first_use: dict[str, int] = {}
    for number, row in enumerate(rows.definition.survey, start=2):
        written = _SPACES.sub(" ", _value(row, "type"))
        if not written:
            continue
        rows.written[number] = written
        control = _CONTROL.fullmatch(written)
        if control:
            _check_control(rows, number, row, control, name_header)
            continue
        name = _value(row, "name")
        _check_type(rows, number, row, written, type_header, used)
        if not name:
            if written.lower() != "note":
                _refuse(rows, number, "no_name")
        elif not _is_name(name):
            _refuse(rows, number, "bad_name", name=name[:60])
        elif name in first_use:
            _refuse(rows, number, "duplicate_name", name=name, first=first_use[name])
        else:
            first_use[name] = number
    return used


def _check_type(rows: Rows, number: int, row: dict, written: str, type_header: str | None,
                used: dict[str, _Use]) -> None:
    """A select (with its list, without or_other), a type a chat can ask, or the type as written, refused."""
    select = _SELECT.fullmatch(written)
    if select is None and written.lower() in SUPPORTED:
        if type_header:
            row[type_header] = written.lower()
        return
    if select is None and _known_type(written):
        _refuse(rows, number, "unsupported_type", type=written.split()[0][:60])
        return
    if select is None:
        _refuse(rows, number, "unknown_type", type=written[:60])
        return
    kind = written
    if select.group("other"):
        rows.problems.append(problem("or_other", number))
        rows.or_other.add(number)
        kind = written[:select.start("other")]
    if not select.group("list"):
        _refuse(rows, number, "select_no_list", type=select.group("command"))
        return
    if type_header:
        row[type_header] = select.group("command").lower() + kind[select.end("command"):]
    use = used.setdefault(select.group("list"), _Use([]))
    use.rows.append(number)
    use.multiple = use.multiple or select.group("command").lower() in ("select_multiple", "select all that apply")


_SPACES = re.compile(r"\s+")


def _known_type(written: str) -> bool:
    """Whether pyxform knows the type (a form-only one such as image or geopoint), as opposed to a misspelling."""
    word = written.lower()
    return word in _pyxform_types() or word.split()[0] in _pyxform_types() or word.startswith(_SELECTS_ELSEWHERE)


@cache
def _pyxform_types() -> frozenset[str]:
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

    return frozenset(k.lower() for k in QUESTION_TYPE_DICT)


def _is_name(name: str) -> bool:
    """A name a question or group may have: an XML name, as pyxform and ODK require."""
    from pyxform.parsing.expression import is_xml_tag

    return bool(name) and bool(is_xml_tag(name))


def _check_control(rows: Rows, number: int, row: dict, control: re.Match, name_header: str | None) -> None:
    """begin/end of a group (opened up in the chat) or a repeat (refused); a table-list group is read as one
    screen, as a form draws it, so that pyxform adds no rows of its own to it."""
    kind = control.group("kind").lower()
    if control.group("edge").lower() == "begin":
        if kind != "group":
            rows.problems.append(problem("repeat", number))
        name = _value(row, "name")
        if name_header and (not name or not _is_name(name)):
            rows.problems.append(problem("no_name", number) if not name else
                                 problem("bad_name", number, name=name[:60]))
            row[name_header] = f"{_SET_ASIDE}{number}"
        appearance = _value(row, "appearance")
        if "table-list" in appearance.split():
            rows.group_appearance[number] = appearance
            header = next(h for h in row if column_of(h) == "appearance")
            row[header] = " ".join("field-list" if a == "table-list" else a for a in appearance.split())


def _refuse(rows: Rows, number: int, reason: str, **values: object) -> None:
    """Records the problem, and leaves in the copy a plain text question of the same name (one that can be
    referred to, so no other row fails because of this one)."""
    rows.problems.append(problem(reason, number, **values))
    rows.refused.add(number)
    row = rows.definition.survey[number - 2]
    headers = _survey_headers(rows.definition)
    type_header, name_header = _header(headers, "type"), _header(headers, "name")
    if type_header is None or name_header is None:
        rows.definition.survey[number - 2] = {}
        return
    name = _value(row, "name")
    keep = {k: v for k, v in row.items() if column_of(k) in ("label", "relevant")}
    if reason in ("no_name", "bad_name", "duplicate_name") or not _is_name(name):
        name = f"{_SET_ASIDE}{number}"
    rows.definition.survey[number - 2] = {type_header: "text", name_header: name, **keep}


# ---------------------------------------------------------------- the choices sheet


def _check_choices(rows: Rows, used: dict[str, _Use], *, allow_duplicates: bool) -> None:
    """Each choice row once, on the choices sheet: no name, a name used twice, and for the lists the survey
    uses, no label, a label too long for a button and columns a chat can't use; then lists that are missing
    or too long."""
    choices = rows.definition.choices
    lists: dict[str, list[int]] = {}
    seen: dict[tuple[str, str], int] = {}
    columns_reported: set[tuple[str, str]] = set()
    for number, row in enumerate(choices, start=2):
        name_list = _value(row, "list_name")
        if not name_list:
            continue
        name = _value(row, "name")
        if not name:
            rows.problems.append(problem("choice_no_name", number, "choices", list=name_list))
            choices[number - 2] = {}
            continue
        if (name_list, name) in seen and not allow_duplicates:
            rows.problems.append(problem("choice_duplicate", number, "choices", list=name_list, choice=name,
                                         first=seen[name_list, name]))
            choices[number - 2] = {}
            continue
        seen.setdefault((name_list, name), number)
        lists.setdefault(name_list, []).append(number)
        if name_list in used:
            _check_choice(rows, number, row, name_list, name, used[name_list], columns_reported)
    for name_list, use in used.items():
        if name_list not in lists:
            for number in use.rows:
                _refuse(rows, number, "missing_list", list=name_list)
        elif len(lists[name_list]) > MAX_CHOICES:
            rows.problems.append(problem("too_many_choices", lists[name_list][0], "choices", list=name_list,
                                         count=len(lists[name_list]), limit=MAX_CHOICES))


def _check_choice(rows: Rows, number: int, row: dict, name_list: str, name: str, use: _Use,
                  columns_reported: set[tuple[str, str]]) -> None:
    labels = [str(v).strip() for k, v in row.items() if column_of(k) == "label" and v is not None and str(v).strip()]
    if not labels:
        rows.problems.append(problem("choice_no_label", number, "choices", list=name_list, choice=name))
    elif max(len(label) for label in labels) > MAX_CHOICE_LABEL:
        rows.problems.append(problem("choice_label_too_long", number, "choices", list=name_list, choice=name,
                                     limit=MAX_CHOICE_LABEL))
    for header, value in row.items():
        if column_of(header) in ("list_name", "name", "label") or value is None or not str(value).strip():
            continue
        if (name_list, header) not in columns_reported:
            columns_reported.add((name_list, header))
            rows.problems.append(problem("choice_column", number, "choices", list=name_list, column=header[:60]))
    if use.multiple and " " in name:
        rows.problems.append(problem("choice_name_space", number, "choices", list=name_list, choice=name))
        header = next(h for h in row if column_of(h) == "name")
        row[header] = name.replace(" ", "_")


def _name_rows(rows: Rows) -> None:
    """Which row each name is on (a note without a name has the one pyxform makes up from its row)."""
    for number, row in enumerate(rows.definition.survey, start=2):
        name = _value(row, "name")
        if name:
            rows.names.setdefault(name, number)
        elif _value(row, "type").lower() == "note":
            rows.names[f"generated_note_name_{number}"] = number


# ---------------------------------------------------------------- pyxform itself

# pyxform's messages that say something the coordinator can be told in their language: the reason code,
# and the sheet when the message doesn't name it. Anything else is quoted as it is.
_MESSAGES = [
    (r"On the 'survey' sheet, the 'name' value '(?P<name>[^']*)' is invalid\. Questions, groups, and repeats "
     r"must be unique", "name_used_twice", "survey"),
    (r"List name not in choices sheet: (?P<list>\S+)", "missing_list", "survey"),
    (r"Question or group with no name", "no_name", "survey"),
    (r"Question with no type", "no_type", "survey"),
    (r"On the '(?P<sheet>\w+)' sheet, the '[^']*' value is invalid\. Names must begin with a letter",
     "bad_name", None),
    (r"Unmatched 'end_(?P<kind>\w+)'", "unmatched_end", "survey"),
    (r"Unmatched 'begin_(?P<kind>\w+)'", "unmatched_begin", "survey"),
    (r"On the 'choices' sheet, the 'name' value is invalid\. Choices must have a name", "choice_no_name",
     "choices"),
    (r"On the 'choices' sheet, the 'name' value is invalid\. Choice names must be unique", "choice_duplicate",
     "choices"),
    (r"On the '(?P<sheet>\w+)' sheet, the '(?P<column>[^']+)' value is invalid\. Reference variables must "
     r"contain a name from the 'survey' sheet\. Could not find the name '(?P<name>[^']+)'",
     "unknown_reference", None),
    (r"On the '(?P<sheet>\w+)' sheet, the '(?P<column>[^']+)' value is invalid\. Reference variable",
     "bad_reference", None),
    (r"On the '(?P<sheet>\w+)' sheet, the 'parameters' value is invalid", "bad_parameters", None),
    (r"Invalid headers provided for sheet: '(?P<sheet>\w+)'\. One or more required column headers were not "
     r"found: (?P<columns>.+?)\. Learn more", "missing_columns", None),
    (r"Invalid headers provided for sheet: '(?P<sheet>\w+)'\. Headers that are different names for the same "
     r"column were found: '(?P<first>[^']+)', '(?P<second>[^']+)'", "same_column", None),
    (r"Invalid headers provided for sheet: '(?P<sheet>\w+)'\.", "no_header", None),
    (r"Duplicate column header: (?P<column>.+)", "duplicate_column", ""),
    (r"You must have a sheet named 'survey'", "no_questions", "survey"),  # what pyxform says of an empty one
    (r"Choice names with spaces cannot be added to multiple choice selects\. See \[(?P<choice>.+?)\] in "
     r"\[(?P<list>.+?)\]", "choice_name_space", "choices"),
]
_COMPILED = [(re.compile(pattern, re.DOTALL), reason, sheet) for pattern, reason, sheet in _MESSAGES]


def translate(message: str) -> Problem:
    """One of pyxform's messages as a problem: recognised (with its row and sheet), or quoted as it is."""
    message = message.strip()
    match = _ROW.match(message)
    row = int(match.group(1)) if match else None
    text = _ROW.sub("", message)
    for pattern, reason, sheet in _COMPILED:
        found = pattern.search(text)
        if found:
            values = found.groupdict()
            where = values.pop("sheet", None) or sheet
            if where not in ("survey", "choices", "settings", ""):
                where = "survey"
            if reason == "missing_columns":
                values["columns"] = values["columns"].replace("'", "")
            if "column" in values and reason != "duplicate_column":
                values["column"] = column_of(values["column"])  # 'label', whichever language pyxform met first
            return problem(reason, row if where else None, where, **values)
    return problem("pyxform", row, "survey" if row else "", detail=text[:500])


def to_json(rows: Rows) -> dict | None:
    """pyxform's form from the repaired rows; each problem pyxform still raises is recorded, its row set
    aside, and pyxform reads again. None if it can't get through."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json

    raised: set[Problem] = set()
    for _attempt in range(MAX_PROBLEMS):
        try:
            return workbook_to_json(copy.deepcopy(rows.definition), form_name="data", warnings=[])
        except PyXFormError as exc:
            found = translate(str(exc))
        except Exception as exc:  # pyxform failing in its own code: the form is unusable all the same
            found = problem("pyxform", sheet="", detail=f"{type(exc).__name__}: {exc}"[:500])
        rows.problems.append(found)
        if found in raised or found.row is None or not _set_aside(rows, found):
            return None
        raised.add(found)
    return None


def _set_aside(rows: Rows, found: Problem) -> bool:
    """Changes the copy so that pyxform reads past this problem; False if it can't."""
    sheet = rows.definition.survey if found.sheet == "survey" else (
        rows.definition.choices if found.sheet == "choices" else None)
    if sheet is None or not 2 <= found.row <= len(sheet) + 1:
        return False
    row = sheet[found.row - 2]
    if found.sheet == "choices":
        sheet[found.row - 2] = {}
    elif found.reason in ("unknown_reference", "bad_reference"):
        _drop_reference(row, found.params.get("column", ""))
    elif found.reason == "bad_parameters":
        for header in [h for h in row if column_of(h) == "parameters"]:
            del row[header]
    elif _CONTROL.fullmatch(_SPACES.sub(" ", _value(row, "type"))):
        if found.reason == "name_used_twice":
            header = next(h for h in row if column_of(h) == "name")
            row[header] = f"{_SET_ASIDE}{found.row}"
        else:
            _drop_control(sheet, found.row)
    else:
        rows.problems.pop()
        _refuse(rows, found.row, found.reason, **found.params)
    return True


def _drop_reference(row: dict, column: str) -> None:
    """Takes the faulty ${...} out of the column (in every language) of the copy: a text keeps its words, an
    expression goes (its problem is said)."""
    for key in [h for h in row if column_of(h) == column]:
        if column_of(key) in ("label", "hint", "constraint_message", "required_message", "guidance_hint"):
            row[key] = str(row[key]).replace("${", "{")
        else:
            del row[key]


def _drop_control(sheet: list[dict], number: int) -> None:
    """Takes a begin or end row out of the copy, with the row that closes or opens it."""
    edge = _CONTROL.fullmatch(_SPACES.sub(" ", _value(sheet[number - 2], "type"))).group("edge").lower()
    sheet[number - 2] = {}
    if edge != "begin":
        return
    depth = 0
    for index in range(number - 1, len(sheet)):
        control = _CONTROL.fullmatch(_SPACES.sub(" ", _value(sheet[index], "type")))
        if control is None:
            continue
        if control.group("edge").lower() == "begin":
            depth += 1
        elif depth == 0:
            sheet[index] = {}
            return
        else:
            depth -= 1
