"""The one way a coordinator enters a text in both languages: asked in English, then in Khmer.

Either may be skipped and the other used for both ("Use the English for both"); a `Pair` describes one such
text of a form (its field, its limit, one line or several, required or not, and the two questions). The form's
answers (a dataclass, see `bot.services.drafts.read`) hold the two texts as `<field>_en` and `<field>_km`; the
form calls `pair_screen` to ask, `pair_clean` to check what was typed, and `pair_next` to know what comes after,
and registers `pair_pressed` for the skip / same buttons made by `pair_buttons`. Typed text that does not fit
is answered with `invalid_text`, the same words in every form; `in_every_language` makes what the outbox sends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update

from bot import forms
from bot.context import AppContext
from bot.i18n import LANGUAGES, Translator, translator
from bot.services import drafts
from bot.text import esc
from handlers.ui.callbacks import CODE, Route
from handlers.ui.common import answer_stale, button, coordinator_only, keyboard
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


def in_every_language(message: Callable[[Translator], dict]) -> dict[str, dict]:
    """What the outbox sends: `message(_)` (its text and buttons) in each language."""
    return {language: message(translator(language)) for language in LANGUAGES}


@dataclass(frozen=True)
class Pair:
    """A text asked in English then in Khmer; either may be skipped and the other used for both."""

    field: str
    limit: int
    multiline: bool
    required: bool
    ask: str  # the question, with {limit}
    ask_km: str


@dataclass(frozen=True)
class PairButtons:
    """A form's skip and same-for-both buttons (they carry the question they answer) and its Cancel."""

    choose: Route  # values: skip | same, the step
    cancel: Route


def pair_buttons(prefix: str, action: str) -> PairButtons:
    """The buttons of one form: `<prefix>:<action>:skip:name_en`, `…:same:name_km`, `<prefix>:<action>:cancel`."""
    return PairButtons(Route(prefix, action, "(skip|same)", CODE), Route(prefix, f"{action}:cancel"))


def pair_for(pairs_: tuple[Pair, ...], step: str | None) -> Pair | None:
    for pair in pairs_:
        if step in (f"{pair.field}_en", f"{pair.field}_km"):
            return pair
    return None


def english_of(pair: Pair, answers: object) -> str:
    """The English already given for the pair ("" if skipped or not asked yet)."""
    return getattr(answers, f"{pair.field}_en", "") or ""


def pair_screen(pair: Pair, step: str, answers: object, _: Translator,
                buttons: PairButtons) -> tuple[str, InlineKeyboardMarkup]:
    """The question for one language of a pair, with skip / same-for-both / cancel buttons as they apply."""
    rows = []
    if step.endswith("_en"):
        text = _(pair.ask).format(limit=_.number(pair.limit))
        label = _("Skip English: I will write it in Khmer") if pair.required else _("Skip")
        rows.append([button(label, buttons.choose.data("skip", step))])
    else:
        english = english_of(pair, answers)
        text = _(pair.ask_km).format(limit=_.number(pair.limit))
        if english:
            text = _("English: {text}").format(text=f"<b>{esc(shorten(english, 300))}</b>") + "\n\n" + text
            rows.append([button(_("Use the English for both"), buttons.choose.data("same", step))])
        elif not pair.required:
            rows.append([button(_("Skip"), buttons.choose.data("skip", step))])
    rows.append([button(_("Cancel"), buttons.cancel.data())])
    return text, keyboard(rows)


def pair_clean(pair: Pair, text: str | None) -> str:
    if pair.multiline:
        return forms.clean_text(text, pair.limit)
    return forms.clean_text(text, pair.limit, multiline=False)


def pair_next(step: str) -> str | None:
    """After the English comes the Khmer; after the Khmer, whatever the form asks next (None)."""
    return step[:-3] + "_km" if step.endswith("_en") else None


def pair_value(pair: Pair, step: str, answers: object, action: str) -> str | None:
    """The value a skip / same button stands for; None if that button does not apply at this step."""
    english = english_of(pair, answers)
    if action == "same" and step.endswith("_km") and english:
        return english
    if action == "skip" and step.endswith("_en"):
        return ""
    if action == "skip" and step.endswith("_km") and not english and not pair.required:
        return ""
    return None


TakeAnswer = Callable[[Update, AppContext, str, str], Awaitable[None]]


def pair_pressed(kind: str, form: type, pairs_: tuple[Pair, ...], take: TakeAnswer):
    """The handler of a form's skip / same-for-both buttons: a press is checked against where the form really is,
    and the value it stands for is the answer (`take(update, context, step, value)`)."""

    @coordinator_only
    async def pressed(update: Update, context: AppContext, _: Translator) -> None:
        """Skips a language, or uses the English for both."""
        action, step = context.match.groups()
        async with context.services.db.session() as session:
            draft = await drafts.get(session, update.effective_user.id, kind)
        pair = pair_for(pairs_, step)
        value = None
        if draft is not None and pair is not None and draft.step == step:
            value = pair_value(pair, step, drafts.read(draft, form), action)
        if value is None:
            await answer_stale(update, _)
            return
        await take(update, context, step, value)

    return pressed
