"""The one way a coordinator enters a text in both languages: asked in English, then in Khmer.

Either may be skipped and the other used for both ("Use the English for both"); a `Pair` describes one such
text of a form (its field, its limit, one line or several, required or not, and the two questions). The form
keeps the answers as `<field>_en` and `<field>_km` and calls `pair_screen` to ask, `pair_clean` to check what
was typed, `pair_value` for the skip / same buttons and `pair_next` to know what comes after. Typed text that
does not fit is answered with `invalid_text`, the same words in every form.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot import forms
from bot.i18n import Translator
from bot.text import esc
from handlers.ui.common import button, keyboard
from handlers.ui.people import shorten


def invalid_text(error: forms.Invalid, _: Translator) -> str:
    """Why typed or sent input was refused, in the person's language."""
    if error.reason == "too_long":
        return _("That is too long. Please keep it under {limit} characters.").format(limit=_.number(error.limit))
    if error.reason == "voice_too_long":
        return _("That voice note is longer than {minutes} minutes. Please record a shorter one.").format(
            minutes=_.number(error.limit // 60))
    if error.reason == "voice_too_big":
        return _("That voice note is larger than {size} MB. Please record a shorter one.").format(
            size=_.number(error.limit // (1024 * 1024)))
    if error.reason == "too_many":
        return _("That is too many themes. Please give at most {limit}.").format(limit=_.number(error.limit))
    if error.reason == "date":
        return _("I could not read that date. Please type it like 13/12/2024 17:00.")
    if error.reason == "past":
        return _("That time has already passed. Please give a later one.")
    if error.reason == "choice":
        return _("Please choose one of the buttons.")
    return _("That was empty. Please type some text.")


@dataclass(frozen=True)
class Pair:
    """A text asked in English then in Khmer; either may be skipped and the other used for both."""

    field: str
    limit: int
    multiline: bool
    required: bool
    ask: str  # the question, with {limit}
    ask_km: str


def pair_for(pairs_: tuple[Pair, ...], step: str | None) -> Pair | None:
    for pair in pairs_:
        if step in (f"{pair.field}_en", f"{pair.field}_km"):
            return pair
    return None


def pair_screen(pair: Pair, step: str, data: dict, _: Translator, prefix: str) -> tuple[str, InlineKeyboardMarkup]:
    """The question for one language of a pair, with skip / same-for-both / cancel buttons as they apply."""
    rows = []
    if step.endswith("_en"):
        text = _(pair.ask).format(limit=_.number(pair.limit))
        label = _("Skip English: I will write it in Khmer") if pair.required else _("Skip")
        rows.append([button(label, f"{prefix}:skip:{step}")])
    else:
        english = data.get(f"{pair.field}_en") or ""
        text = _(pair.ask_km).format(limit=_.number(pair.limit))
        if english:
            text = _("English: {text}").format(text=f"<b>{esc(shorten(english, 300))}</b>") + "\n\n" + text
            rows.append([button(_("Use the English for both"), f"{prefix}:same:{step}")])
        elif not pair.required:
            rows.append([button(_("Skip"), f"{prefix}:skip:{step}")])
    rows.append([button(_("Cancel"), f"{prefix}:cancel")])
    return text, keyboard(rows)


def pair_clean(pair: Pair, text: str | None) -> str:
    if pair.multiline:
        return forms.clean_text(text, pair.limit)
    return forms.clean_text(text, pair.limit, multiline=False)


def pair_next(step: str) -> str | None:
    """After the English comes the Khmer; after the Khmer, whatever the form asks next (None)."""
    return step[:-3] + "_km" if step.endswith("_en") else None


def pair_value(pair: Pair, step: str, data: dict, action: str) -> str | None:
    """The value a skip / same button stands for; None if that button does not apply at this step."""
    english = data.get(f"{pair.field}_en") or ""
    if action == "same" and step.endswith("_km") and english:
        return english
    if action == "skip" and step.endswith("_en"):
        return ""
    if action == "skip" and step.endswith("_km") and not english and not pair.required:
        return ""
    return None
