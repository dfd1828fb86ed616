"""What a coordinator presses and types, read once for every survey and poll screen: the row a pressed button
is about, the finished form a survey or poll is made from, and a title, question or options typed as lines."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import forms
from bot.context import AppContext
from bot.i18n import Translator
from bot.services import drafts
from handlers.surveys.words import refusal
from handlers.ui.common import answer_stale, coordinator_only, reply

T = TypeVar("T")


def coordinator_press(load: Callable[[AsyncSession, int], Awaitable[T | None]]) -> Callable[..., Awaitable[None]]:
    """A coordinator's button about one row (its id first in the button's data): the handler is called as
    `handler(update, context, _, found)` with what `load(session, id)` finds, the press answered; when nothing is
    found the button is no longer active and the handler does not run."""

    def decorate(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        @coordinator_only
        @functools.wraps(handler)
        async def press(update: Update, context: AppContext, _: Translator) -> None:
            async with context.services.db.session() as session:
                found = await load(session, int(context.match.group(1)))
            if found is None:
                await answer_stale(update, _)
                return
            await update.callback_query.answer()
            await handler(update, context, _, found)

        return press

    return decorate


async def finished_form(session: AsyncSession, telegram_id: int, kind: str, form: type[T], step: str | None,
                        complete: Callable[[T], bool]) -> T | None:
    """The answers of a form that is at its last question (`step`) with what it needs (`complete`), its draft
    dropped: the survey or poll is made from them. None when there is no such form (a second press)."""
    draft = await drafts.get(session, telegram_id, kind)
    answers = drafts.read(draft, form)
    if draft is None or draft.step != step or not complete(answers):
        return None
    await drafts.discard(session, telegram_id, kind)
    return answers


async def typed_lines(update: Update, _: Translator, clean: Callable[[str], T], words: dict[str, str],
                      options: tuple[int, int], not_text: str) -> T | None:
    """What the coordinator typed, cleaned by `clean` (bot.forms); None once they are told why it can't be used:
    in `words` (how few and how many `options`), or `not_text` when they sent no text."""
    text = update.message.text
    if text is None:
        await reply(update, not_text)
        return None
    try:
        return clean(text)
    except forms.Invalid as exc:
        await reply(update, refusal(words, exc, options, _))
        return None
