"""pyxform's form as the questions a chat asks: groups opened up, every question checked against what a
chat can show, labels in English and Khmer. A question with a problem is not asked, but it stays in the
list skip logic is checked against, so that the questions referring to it are not blamed for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.xlsform.appearance import CHOICE_TYPES, group_appearance, question_appearance
from bot.xlsform.problems import (
    MAX_ALERT,
    MAX_HINT,
    MAX_LABEL,
    MAX_RATING_BUTTONS,
    Problem,
    problem,
)
from bot.xlsform.rows import GENERATED, Rows

# Filled in by the bot itself, as Kobo does: when the member started and finished, and the day.
META_TYPES = ("start", "end", "today")
_PYXFORM_TYPES = {"select one": "select_one", "select all that apply": "select_multiple", "integer": "integer",
                  "int": "integer", "decimal": "decimal", "text": "text", "string": "text", "date": "date",
                  "note": "note", "range": "rating"}
# Keys of a pyxform question we understand; anything else is a column we don't support.
_KNOWN_KEYS = {"type", "name", "label", "hint", "bind", "parameters", "control", "choices", "itemset", "list_name",
               "children"}
_KNOWN_BIND = {"required", "relevant", "constraint", "jr:constraintMsg"}
_KNOWN_CONTROL = {"appearance", "start", "end", "step"}
_COLUMN_NAMES = {"jr:requiredMsg": "required_message", "readonly": "read_only", "calculate": "calculation",
                 "jr:constraintMsg": "constraint_message", "media": "media", "choice_filter": "choice_filter",
                 "default": "default", "trigger": "trigger", "guidance_hint": "guidance_hint"}
_LANGUAGE_CODE = re.compile(r"\((\w{2,3})\)\s*$")
_TRUE = {"yes", "true", "true()", "1"}
REFUSED = "refused"  # the type of a question that is not asked, kept for checking skip logic


@dataclass
class Reading:
    """The questions to ask, and what was found on the way."""

    questions: list[dict] = field(default_factory=list)
    checked: list[dict] = field(default_factory=list)  # every question, those not asked too, in form order
    meta: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    missing: dict[str, int] = field(default_factory=lambda: {"en": 0, "km": 0})
    unused: set[str] = field(default_factory=set)


def read(raw: dict, rows: Rows) -> Reading:
    """Every question of pyxform's form, checked; the ones a chat can ask in the stored shape."""
    reading = Reading()
    for child, relevant in _flatten(raw.get("children", []), [], rows, reading):
        kind = child.get("type", "")
        row = rows.names.get(child.get("name", ""))
        if kind in META_TYPES and row not in rows.refused:
            reading.meta.append(kind)
            continue
        question, asked = _question(child, row, relevant, rows, reading)
        reading.checked.append(question)
        if asked:
            reading.questions.append(question)
            for language in ("en", "km"):
                if language not in _own_languages(child.get("label")):
                    reading.missing[language] += 1
    reading.meta = list(dict.fromkeys(reading.meta))
    return reading


def _flatten(children: list[dict], relevant: list[str], rows: Rows, reading: Reading):
    """(question, the relevance of its groups and itself) for every question, groups opened up in order."""
    for child in children:
        kind, name = child.get("type"), child.get("name", "")
        if name.startswith(GENERATED):
            continue  # made up by pyxform, not written by the coordinator
        if kind == "group":
            if name == "meta" and (child.get("control") or {}).get("bodyless"):
                continue  # pyxform's own instanceID, not a row of the form
            row = rows.names.get(name)
            written = rows.group_appearance.get(row) or (child.get("control") or {}).get("appearance")
            group_appearance(written, row, reading.problems, reading.warnings)
            group_relevant = (child.get("bind") or {}).get("relevant")
            inner = relevant + ([group_relevant] if group_relevant else [])
            yield from _flatten(child.get("children", []), inner, rows, reading)
        elif kind in ("repeat", "loop"):
            reading.problems.append(problem("repeat", rows.names.get(name)))
        else:
            own = (child.get("bind") or {}).get("relevant")
            yield child, relevant + ([own] if own else [])


def _question(child: dict, row: int | None, relevant: list[str], rows: Rows, reading: Reading) -> tuple[dict, bool]:
    """One question in the stored shape, and whether it can be asked (if not, its problems are recorded)."""
    bind = child.get("bind") or {}
    question = {"name": child["name"], "type": REFUSED, "label": {}, "row": row, "relevant": relevant,
                "required": False, "constraint": (bind.get("constraint") or "").strip() or None}
    kind = _PYXFORM_TYPES.get(child.get("type", ""))
    if row in rows.refused:
        return question, False
    if kind is None:
        reading.problems.append(problem("unsupported_type", row, type=rows.written.get(row) or child.get("type", "")))
        return question, False
    before = len(reading.problems)
    problems = reading.problems
    for key in sorted(set(child) - _KNOWN_KEYS):
        problems.append(problem("unsupported_column", row, column=_COLUMN_NAMES.get(key, key)))
    for key in sorted(set(bind) - _KNOWN_BIND):
        problems.append(problem("unsupported_column", row, column=_COLUMN_NAMES.get(key, key)))
    for key in sorted(set(child.get("control") or {}) - _KNOWN_CONTROL):
        problems.append(problem("unsupported_column", row, column=key))
    question.update(type=kind, label=texts(child.get("label"), reading.unused),
                    required=kind != "note" and str(bind.get("required", "")).strip().lower() in _TRUE)
    _checktexts(question, child, bind, row, reading)
    if kind in CHOICE_TYPES:
        question["choices"] = _choices(child, row, rows, reading)
    if kind == "rating":
        question["range"] = _range(child, row, problems)
    question.update(question_appearance((child.get("control") or {}).get("appearance"), kind, row, problems,
                                        reading.warnings))
    return question, len(problems) == before


def _checktexts(question: dict, child: dict, bind: dict, row: int | None, reading: Reading) -> None:
    """The label, hint and constraint message: there, and short enough for where each is shown."""
    label = question["label"]
    if not label:
        reading.problems.append(problem("no_label", row))
    elif max(len(text) for text in label.values()) > MAX_LABEL:
        reading.problems.append(problem("label_too_long", row, length=max(len(t) for t in label.values()),
                                        limit=MAX_LABEL))
    hint = texts(child.get("hint"), reading.unused)
    if hint and max(len(text) for text in hint.values()) > MAX_HINT:
        reading.problems.append(problem("hint_too_long", row, limit=MAX_HINT))
    elif hint:
        question["hint"] = hint
    message = texts(bind.get("jr:constraintMsg"), reading.unused)
    # A select_multiple's constraint message comes up in a pop-up when Done is pressed; the others in a message.
    limit = MAX_ALERT if question["type"] == "select_multiple" else MAX_HINT
    if message and max(len(text) for text in message.values()) > limit:
        reading.problems.append(problem("constraint_message_too_long", row, limit=limit))
    elif message:
        question["constraint_message"] = message


def _choices(child: dict, row: int | None, rows: Rows, reading: Reading) -> list[dict]:
    """The choices of a select (checked row by row on the choices sheet, see bot.xlsform.rows)."""
    choices = [{"name": str(choice.get("name", "")), "label": texts(choice.get("label"), reading.unused)}
               for choice in child.get("choices") or []]
    if row in rows.or_other:
        choices.append({"name": "other", "label": {}})  # what or_other adds: skip logic may compare with it
    if not choices:
        reading.problems.append(problem("no_choices", row, list=child.get("list_name", "")))
    return choices


def _range(child: dict, row: int | None, problems: list[Problem]) -> dict:
    """A range as a row of rating buttons: whole numbers only, few enough to fit on a phone."""
    parameters = {**(child.get("parameters") or {}), **(child.get("control") or {})}
    try:
        start, end, step = (int(str(parameters.get(k, d)).strip()) for k, d in (("start", 1), ("end", 10), ("step", 1)))
    except ValueError:
        start = end = step = 0
    if step <= 0 or end <= start or len(range(start, end + 1, step)) > MAX_RATING_BUTTONS:
        problems.append(problem("range", row, limit=MAX_RATING_BUTTONS))
        return {"start": 1, "end": 5, "step": 1}
    return {"start": start, "end": end, "step": step}


def rating_values(question: dict) -> list[int]:
    bounds = question["range"]
    return list(range(bounds["start"], bounds["end"] + 1, bounds["step"]))


# ---------------------------------------------------------------- languages


def language(key: str) -> str | None:
    """'English (en)' -> en, 'Khmer (km)' -> km, 'default' -> default; None for other languages."""
    if key == "default":
        return "default"
    match = _LANGUAGE_CODE.search(key)
    code = match.group(1).lower() if match else key.strip().lower()
    return {"en": "en", "english": "en", "km": "km", "khmer": "km", "ខ្មែរ": "km"}.get(code)


def texts(value, unused: set[str]) -> dict[str, str]:
    """A label, hint or message in English and Khmer; a missing language borrows the other."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        value = str(value).strip()
        return {"en": value, "km": value} if value else {}
    found: dict[str, str] = {}
    for key, text in value.items():
        code = language(key)
        if code is None:
            unused.add(key)
            continue
        if text is not None and str(text).strip():
            found[code] = str(text).strip()
    default = found.pop("default", None)
    if default:
        found.setdefault("en", default)
        found.setdefault("km", default)
    if found:
        found.setdefault("en", found.get("km", ""))
        found.setdefault("km", found.get("en", ""))
    return found



def _own_languages(value) -> set[str]:
    """Which of en/km a label really has (before one borrows the other)."""
    if isinstance(value, str):
        return {"en", "km"}
    if isinstance(value, dict):
        found = {language(k) for k, v in value.items() if isinstance(v, str) and v.strip()}
        return {"en", "km"} if "default" in found else found & {"en", "km"}
    return set()
