"""A reusable picker for who a mass send goes to: all members, or a segment by language, gender,
stakeholder type and province, with toggle buttons (✓ on chosen values) and the audience size per language.

The picker keeps no state: the caller stores the Audience (e.g. in a draft) and routes the picker's buttons.
Their callback data is a place of the caller's choosing followed by the picker's own part (`l:km`, `done`, …).
The place is a route made by `route()` from a prefix of the table in `handlers/ui/callbacks.py`; buttons then
carry the readable prefix, and buttons sent with the prefix's earlier short form still parse:

    PICKER = audience_picker.route("broadcast")                         # broadcast:aud:…  (and bc:aud:…)
    sizes = await audience.size(session, current)                       # members per language
    text, markup = picker_screen(current, _, PICKER, sizes, heading=_("Who should receive it?"))
    app.add_handler(CallbackQueryHandler(on_pick, pattern=pattern(PICKER)))
    # in on_pick:
    choice = parse(PICKER, query.data, current)
    if choice is None:   the data is not the picker's (forged or stale): say so
    elif choice.done:    move on with choice.audience
    else:                store choice.audience and show picker_screen(..., view=choice.view) again

A picker that belongs to one row (a survey, say) puts the row's id before its own part:
`route("survey-admin", "a", ID)`, then `picker_screen(..., values=(survey_id,))`, and the id is the first
group of `re.match(pattern(PICKER), data)`. A plain string prefix (`"evn:aud"`) still works as the place:
the buttons are then `evn:aud:l:km` and so on.

An empty value set means "any": nothing chosen at all is everyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from telegram import InlineKeyboardMarkup

from bot.i18n import LANGUAGES, Translator
from bot.services.audience import Audience
from bot.text import esc
from bot.vocab import ABROAD, GENDERS, LANGUAGE_NAMES, PROVINCES, STAKEHOLDERS, province_label
from handlers.ui.callbacks import Route
from handlers.ui.common import button, keyboard, pairs

MAIN, PROVINCES_VIEW = "main", "prov"
# Callback code -> the Audience field it toggles.
_FIELDS = {"l": "languages", "g": "genders", "s": "stakeholders", "p": "provinces"}
_VIEWS = {"m": MAIN, "p": PROVINCES_VIEW}
# The picker's own part of a button's data (done, all, a view, or a field's code and a value), checked by `parse`:
# any such part reaches the picker's handler, which answers one it never made.
CHOICE = r"(\S{1,40})"
# Where a picker's buttons go: a route (readable prefix) or, as callers wrote it before, a literal prefix.
Place = Route | str


@dataclass(frozen=True)
class Choice:
    """What a press on the picker means: the audience as it now is, the view to show, or that it is done."""

    audience: Audience
    view: str = MAIN
    done: bool = False


def route(prefix: str, action: str = "aud", *values: str) -> Route:
    """The route of a picker's buttons under a prefix of the table: `prefix:action[:values…]:<choice>`."""
    return Route(prefix, action, *values, CHOICE)


def pattern(place: Place) -> str:
    """The CallbackQueryHandler pattern for every button of a picker at `place`."""
    if isinstance(place, Route):
        return place.pattern
    return rf"^{re.escape(place)}:"


def _choice_code(place: Place, data: str) -> str | None:
    """The picker's own part of a button's data; None for data not of this place."""
    if isinstance(place, Route):
        match = re.match(place.pattern, data)
        return match.groups()[-1] if match else None
    return data[len(place) + 1:] if data.startswith(place + ":") else None


def _data(place: Place, values: tuple, code: str) -> str:
    if isinstance(place, Route):
        return place.data(*values, code)
    return f"{place}:{code}"


def _allowed(field: str) -> set[str]:
    if field == "languages":
        return set(LANGUAGES)
    if field == "genders":
        return set(GENDERS)
    if field == "stakeholders":
        return set(STAKEHOLDERS)
    return set(PROVINCES) | {ABROAD}


def parse(place: Place, data: str, audience: Audience) -> Choice | None:
    """The result of pressing a picker button with this data; None for data the picker never made."""
    code = _choice_code(place, data)
    if code is None:
        return None
    parts = code.split(":")
    if parts == ["done"]:
        return Choice(audience, done=True)
    if parts == ["all"]:
        return Choice(Audience(member_ids=audience.member_ids, announcements=audience.announcements))
    if len(parts) == 2 and parts[0] == "v" and parts[1] in _VIEWS:
        return Choice(audience, view=_VIEWS[parts[1]])
    if len(parts) == 2 and parts[0] in _FIELDS:
        field = _FIELDS[parts[0]]
        if parts[1] not in _allowed(field):
            return None
        values = getattr(audience, field) ^ {parts[1]}
        return Choice(replace(audience, **{field: frozenset(values)}),
                      view=PROVINCES_VIEW if field == "provinces" else MAIN)
    return None


def _mark(chosen: bool, label: str) -> str:
    return ("✓ " + label) if chosen else label


def _province_codes(_: Translator) -> list[str]:
    return sorted(PROVINCES, key=lambda c: province_label(c, _.language, _)) + [ABROAD]


def describe(audience: Audience, _: Translator) -> str:
    """The audience in words, e.g. 'Gender: Woman · Province: Kampot' (plain text, no markup)."""
    if audience.is_everyone:
        return _("All members")
    parts = []
    if audience.languages:
        parts.append(_("Language") + ": " + ", ".join(LANGUAGE_NAMES[c] for c in LANGUAGES if c in audience.languages))
    if audience.genders:
        parts.append(_("Gender") + ": " + ", ".join(_(GENDERS[c]) for c in GENDERS if c in audience.genders))
    if audience.stakeholders:
        parts.append(_("Stakeholder type") + ": " + ", ".join(
            _(STAKEHOLDERS[c]) for c in STAKEHOLDERS if c in audience.stakeholders))
    if audience.provinces:
        parts.append(_("Province") + ": " + ", ".join(
            province_label(c, _.language, _) for c in _province_codes(_) if c in audience.provinces))
    if audience.member_ids is not None:
        parts.append(_.ngettext("{count} chosen member", "{count} chosen members", len(audience.member_ids)).format(
            count=_.number(len(audience.member_ids))))
    return " · ".join(parts)


def size_line(sizes: dict[str, int], _: Translator) -> str:
    """'37 members: ភាសាខ្មែរ 25 · English 12', or a warning when nobody matches."""
    total = sum(sizes.values())
    if total == 0:
        return _("No member matches this choice yet.")
    per_language = " · ".join(f"{LANGUAGE_NAMES[c]} {_.number(sizes.get(c, 0))}" for c in LANGUAGES)
    return _.ngettext("{count} member: {languages}", "{count} members: {languages}", total).format(
        count=_.number(total), languages=per_language)


def picker_screen(audience: Audience, _: Translator, place: Place, sizes: dict[str, int], *, view: str = MAIN,
                  heading: str = "", values: tuple = ()) -> tuple[str, InlineKeyboardMarkup]:
    """The picker's text (heading, the choice in words, its size) and its toggle buttons; `values` fill the
    place's route before the picker's own part."""
    lines = [f"<b>{heading}</b>", ""] if heading else []
    lines += [_("Tap to choose. In a row where nothing is chosen, everyone is included."), "",
              "👥 " + esc(describe(audience, _)), size_line(sizes, _)]
    text = "\n".join(lines)

    def toggle(chosen: bool, label: str, code: str):
        return button(_mark(chosen, label), _data(place, values, code))

    if view == PROVINCES_VIEW:
        rows = pairs([toggle(c in audience.provinces, province_label(c, _.language, _), f"p:{c}")
                      for c in _province_codes(_)])
        rows.append([button("◀ " + _("Back"), _data(place, values, "v:m"))])
        return text, keyboard(rows)
    rows = [
        [toggle(c in audience.languages, LANGUAGE_NAMES[c], f"l:{c}") for c in LANGUAGES],
        [toggle(c in audience.genders, _(label), f"g:{c}") for c, label in GENDERS.items()],
        *pairs([toggle(c in audience.stakeholders, _(label), f"s:{c}") for c, label in STAKEHOLDERS.items()]),
    ]
    chosen = len(audience.provinces)
    provinces = _("Provinces ({count} chosen)").format(count=_.number(chosen)) if chosen else _("Provinces")
    rows.append([button("📍 " + provinces + " ▸", _data(place, values, "v:p"))])
    rows.append([toggle(audience.is_everyone, _("All members"), "all"),
                 button("✅ " + _("Done"), _data(place, values, "done"))])
    return text, keyboard(rows)
