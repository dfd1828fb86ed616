"""The one way a coordinator enters a text in both languages: first in their own, then in the other.

A `Pair` describes one such text of a form: its field, its limit, one line or several, whether it is required,
and its two questions, each naming the language as {language} so they read the same in either order. The form
keeps the coordinator's language as `first` when it begins (`pair_start`); the first question is asked in
it, then the second in the other language, with the first text shown and a "Use it for both languages"
button. A text that is not required may be skipped in the first language: it is then empty in both and the
second question is not asked. The form's answers (a dataclass, see `bot.services.drafts.read`) hold the two
texts as `<field>_en` and `<field>_km`, as earlier versions stored them (a form stored before `first` existed
was asked in English first).

A form calls `pair_screen` (or `pair_question`, to add buttons of its own) to ask, `pair_clean` to check what
was typed, `pair_next` to know what comes after, and answers the buttons made with `pair_buttons` with
`pair_pressed` (or `pair_press`, for a form with its own button machinery). Typed text that does not fit is
answered with `invalid_text`, the same words in every form; `in_every_language` makes what the outbox sends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from telegram import InlineKeyboardMarkup, Update

from bot import forms
from bot.context import AppContext
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.services import drafts
from bot.text import esc
from handlers.ui.callbacks import CODE, Route
from handlers.ui.common import answer_stale, button, coordinator_only, keyboard
from handlers.ui.people import shorten

# Language names as words inside a sentence ("Type the title in Khmer"; buttons use each language's own name).
LANGUAGE_WORDS = {"en": N_("English"), "km": N_("Khmer")}
SHOWN_MAX = 300  # of the first text, above the second question
F = TypeVar("F")


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
    """A text asked in the coordinator's language, then in the other one (or the same text used for both)."""

    field: str
    limit: int
    multiline: bool
    required: bool
    ask: str  # the first question, with {language} and {limit}
    ask_other: str  # the second question, with {language} (and {limit} if it says it)
    skip: str = ""  # the first question's button when the text is not required

    def step(self, language: str) -> str:
        return f"{self.field}_{language}"


def title_pair(field: str, limit: int, ask: str, ask_other: str = N_(
        "Type the title in {language}, or press the button to use the same title in both languages.")) -> Pair:
    """A one-line text that must be given (a title, a name)."""
    return Pair(field, limit, False, True, ask, ask_other)


def description_pair(field: str, limit: int, ask: str) -> Pair:
    """A text of several lines that may be left out (then there is none in either language)."""
    return Pair(field, limit, True, False, ask, N_("Type the description in {language}, or press the button to use "
                                                  "the same description in both languages."), N_("No description"))


def other(language: str) -> str:
    return "en" if language == "km" else "km"


def first_of(answers: object) -> str:
    """The language the form asks first (English in forms stored before it was kept)."""
    return getattr(answers, "first", "") or "en"


def pair_start(pair: Pair, language: str) -> str:
    """The first question of a pair for a coordinator reading `language`."""
    return pair.step(language if language in LANGUAGES else "en")


@dataclass(frozen=True)
class PairButtons:
    """A form's skip and same-for-both buttons (they carry the question they answer) and its Cancel."""

    choose: Route  # values: skip | same, the step
    cancel: Route | None


def pair_buttons(prefix: str, action: str, cancel: Route | None = None, *, cancellable: bool = True) -> PairButtons:
    """The buttons of one form: `<prefix>:<action>:skip:name_en`, `…:same:name_km`, and its Cancel (by default
    `<prefix>:<action>:cancel`; none for a form that is not cancelled from its questions)."""
    if cancel is None and cancellable:
        cancel = Route(prefix, f"{action}:cancel")
    return PairButtons(Route(prefix, action, "(skip|same)", CODE), cancel)


def pair_for(pairs_: tuple[Pair, ...], step: str | None) -> Pair | None:
    for pair in pairs_:
        if step in (pair.step("en"), pair.step("km")):
            return pair
    return None


def given(pair: Pair, answers: object) -> str:
    """The text already given in the first language ("" if skipped or not asked yet)."""
    return getattr(answers, pair.step(first_of(answers)), "") or ""


def pair_question(pair: Pair, step: str, answers: object, _: Translator,
                  buttons: PairButtons) -> tuple[str, list[list]]:
    """The question for one language of a pair and its skip / same-for-both buttons as they apply (the form adds
    its own rows)."""
    language = step.rsplit("_", 1)[-1]
    words = _(LANGUAGE_WORDS[language])
    first, shown = first_of(answers), given(pair, answers)
    if step == pair.step(first):
        text = _(pair.ask).format(language=words, limit=_.number(pair.limit))
        skip = [[button(_(pair.skip), buttons.choose.data("skip", step))]] if not pair.required else []
        return text, skip
    text = _(pair.ask_other).format(language=words, limit=_.number(pair.limit))
    if not shown:  # asked English first, and the English skipped (forms begun by earlier versions)
        return text, [] if pair.required else [[button(_(pair.skip), buttons.choose.data("skip", step))]]
    text = _("{language}: {sentence}").format(language=_(LANGUAGE_WORDS[first]),
                                              sentence=f"<b>{esc(shorten(shown, SHOWN_MAX))}</b>") + "\n\n" + text
    return text, [[button(_("Use it for both languages"), buttons.choose.data("same", step))]]


def pair_screen(pair: Pair, step: str, answers: object, _: Translator,
                buttons: PairButtons) -> tuple[str, InlineKeyboardMarkup]:
    """The question for one language of a pair, with skip / same-for-both / cancel buttons as they apply."""
    text, rows = pair_question(pair, step, answers, _, buttons)
    if buttons.cancel is not None:
        rows.append([button(_("Cancel"), buttons.cancel.data())])
    return text, keyboard(rows)


def pair_clean(pair: Pair, text: str | None) -> str:
    if pair.multiline:
        return forms.clean_text(text, pair.limit)
    return forms.clean_text(text, pair.limit, multiline=False)


def pair_next(pairs_: tuple[Pair, ...], step: str, answers: object) -> str | None:
    """The question after `step` (already answered in `answers`) among pairs asked in this order: the other
    language once the first is given (a required text's always), else the next pair; None after the last."""
    first = first_of(answers)
    for index, pair in enumerate(pairs_):
        if step == pair.step(first) and (pair.required or getattr(answers, step)):
            return pair.step(other(first))
        if pair_for((pair,), step):
            return pairs_[index + 1].step(first) if index + 1 < len(pairs_) else None
    return None


def pair_value(pair: Pair, step: str, answers: object, action: str) -> str | None:
    """The value a skip / same button stands for; None if that button does not apply at this step. (A skip of
    a required text's first language comes only from buttons sent when English was always asked first: the
    text is then typed in Khmer.)"""
    shown = given(pair, answers)
    if step == pair.step(first_of(answers)):
        return "" if action == "skip" else None
    if action == "same" and shown:
        return shown
    if action == "skip" and not shown and not pair.required:
        return ""
    return None


def pair_press(pairs_: tuple[Pair, ...], step: str | None, answers: F, action: str,
               pressed: str | None = None) -> F | None:
    """The answers once a skip / same button is pressed while the form is at `step` (`pressed`: the question
    the button names; buttons sent by earlier versions name none); None if the button does not apply. A skipped
    first language leaves the text empty in both."""
    pair = pair_for(pairs_, step)
    value = pair_value(pair, step, answers, action) if pair and pressed in (None, step) else None
    if value is None:
        return None
    if value == "" and step == pair.step(first_of(answers)) and not pair.required:
        return replace(answers, **{pair.step("en"): "", pair.step("km"): ""})
    return replace(answers, **{step: value})


def pressed_choice(match) -> tuple[str, str | None]:
    """What a pressed skip / same button asks and the question it names (`pair_buttons`); a button of an earlier
    version without values stands for the first language's text in both, for whatever question is open."""
    values = match.groups()
    return (values[0], values[1]) if len(values) == 2 else ("same", None)


TakeAnswer = Callable[[Update, AppContext, str, str], Awaitable[None]]


def pair_pressed(kind: str, form: type, pairs_: tuple[Pair, ...], take: TakeAnswer):
    """The handler of a form's skip / same-for-both buttons: a press is checked against where the form really is,
    and the value it stands for is the answer (`take(update, context, step, value)`)."""

    @coordinator_only
    async def pressed(update: Update, context: AppContext, _: Translator) -> None:
        """Skips a text, or uses the first language's text for both."""
        chosen, named = pressed_choice(context.match)
        async with context.services.db.session() as session:
            draft = await drafts.get(session, update.effective_user.id, kind)
        step = draft.step if draft is not None else None
        answers = pair_press(pairs_, step, drafts.read(draft, form), chosen, named) if step else None
        if answers is None:
            await answer_stale(update, _)
            return
        await take(update, context, step, getattr(answers, step))

    return pressed
