"""The appearance column: what each name asks of a question in the chat, or why it can't be used there.

The names are read one by one (ODK separates them with spaces): a name that means something in a chat is
kept with the question (see bot.xlsform), or accepted when the chat already behaves that way (e.g. `minimal`,
`multiline`, `no-calendar`); any other is refused with its row and the reason. examples/README.md lists them.
"""

from __future__ import annotations

import re

from bot.xlsform.problems import Problem, problem

CHOICE_TYPES = ("select_one", "select_multiple")

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


def question_appearance(text: str | None, kind: str, row: int | None, problems: list[Problem],
                        warnings: list[Problem]) -> dict:
    """The stored keys the question's appearance column asks for; a problem for each name that can't apply."""
    found: dict = {}
    chosen: dict[str, str] = {}  # stored key -> the name that set it, to refuse two layouts at once
    for name in appearance_names(text):
        shown = name[:60]
        effect = _effect(kind, name)
        if effect == "appearance_screen_layout":
            warnings.append(problem("appearance_ignored", row, appearance=shown))
        elif effect == "appearance_columns":
            problems.append(problem(effect, row, appearance=shown, limit=MAX_PER_ROW))
        elif isinstance(effect, str):
            problems.append(problem(effect, row, appearance=shown, type=_XLSFORM_TYPE.get(kind, kind)))
        else:
            for key in effect.keys() & chosen.keys() - {"per_row"}:
                problems.append(problem("appearance_conflict", row, first=chosen[key], second=shown))
            chosen.update(dict.fromkeys(effect, shown))
            found.update(effect)
    return found


def group_appearance(text: str | None, row: int | None, problems: list[Problem], warnings: list[Problem]) -> None:
    """A group's appearance: one screen or a table (field-list, table-list) only says how a form draws it,
    and the chat asks its questions one at a time anyway; anything else is refused."""
    for name in appearance_names(text):
        shown = name[:60]
        if name.lower() in _GROUP_AS_IS or _SCREEN_LAYOUT.fullmatch(name.lower()):
            warnings.append(problem("appearance_ignored", row, appearance=shown))
        else:
            problems.append(problem("appearance_group", row, appearance=shown))
