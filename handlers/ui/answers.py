"""Answering people: a pressed button gets the screen it asked for (or is told it is out of date), a form's
answer is kept only where the form really is, and a typed or spoken answer is checked before it is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update

from bot import forms
from bot.context import AppContext
from bot.i18n import Translator
from bot.services import drafts
from bot.services.groups import check_voice
from handlers.ui import drafts as draft_input
from handlers.ui.bilingual import invalid_text
from handlers.ui.common import answer_stale, coordinator_only, load_member, reply, show, tr
from handlers.ui.people import voice_of

Screen = tuple[str, InlineKeyboardMarkup | None]
F = TypeVar("F")


async def show_or_stale(update: Update, _: Translator, screen: Screen | None, note: str | None = None) -> None:
    """Shows the screen a button asked for in place of its message, with a short note if there is one; when there
    is no screen (what the button was about is gone), says the button is no longer active."""
    if screen is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(note)
    await show(update, *screen)


@dataclass(frozen=True)
class Taken(Generic[F]):
    """A form's answers once one more was kept, and the question asked next (None: the form is complete)."""

    answers: F
    step: str | None


async def take_answer(session: AsyncSession, telegram_id: int, kind: str, form: type[F], step: str, value: object,
                      following: Callable[[str], str | None], now: datetime) -> Taken[F] | None:
    """Keeps the answer to `step` (the form's field of that name) and moves the form to the next question; None
    when there is no such form or it is no longer at that question (an old button, a second press)."""
    draft = await drafts.get(session, telegram_id, kind)
    if draft is None or draft.step != step:
        return None
    answers = replace(drafts.read(draft, form), **{step: value})
    drafts.write(draft, answers, step=following(step), now=now)
    return Taken(answers, draft.step)


async def go_on(update: Update, context: AppContext, taken: Taken | None) -> Translator | None:
    """The translator to go on with after a form's answer; the press behind it is answered. None when the answer
    was not kept: a pressed button is then out of date (a typed answer needs no word)."""
    _ = tr(await load_member(context, update.effective_user.id), update)
    if update.callback_query:
        if taken is None:
            await answer_stale(update, _)
            return None
        await update.callback_query.answer()
    return _ if taken is not None else None


def cancel_button(*kinds: str):
    """The handler of a coordinator's Cancel on an unfinished form of these kinds (see `cancel_form`)."""

    @coordinator_only
    async def cancel(update: Update, context: AppContext, _: Translator) -> None:
        """Drops the unfinished form; the pressed message says nothing was saved."""
        await draft_input.cancel_form(update, context, *kinds)

    return cancel


@dataclass(frozen=True)
class Said:
    """What someone typed, or the voice note they sent (its length checked)."""

    text: str | None
    voice_file_id: str | None
    voice_seconds: int | None


async def said(update: Update, _: Translator, nothing: str) -> Said | None:
    """The text or voice note of a message; None, once the person is told why, when there is neither (`nothing`
    says what to send) or the voice note is too long or too big."""
    voice = voice_of(update)
    text = update.message.text if update.message else None
    if voice is None and text is None:
        await reply(update, nothing)
        return None
    try:
        seconds = check_voice(voice.seconds, voice.size) if voice else None
    except forms.Invalid as exc:
        await reply(update, invalid_text(exc, _))
        return None
    return Said(text, voice.file_id if voice else None, seconds)
