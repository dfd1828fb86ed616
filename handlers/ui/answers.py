"""Answering people: a pressed button gets the screen it asked for (or is told it is out of date), a form's
answer is kept only where the form really is, and a typed or spoken answer is checked before it is kept.

A feature declares the buttons each handler answers beside the handler (`@on_press(route)`), and its
`register()` adds them all with `add_presses(app, *modules)`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot import forms
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft, Member
from bot.services import drafts
from bot.services.groups import check_voice
from handlers.ui import drafts as draft_input
from handlers.ui.bilingual import invalid_text
from handlers.ui.callbacks import Route
from handlers.ui.common import answer_stale, coordinator_only, load_member, reply, show, tr
from handlers.ui.people import voice_of

Screen = tuple[str, InlineKeyboardMarkup | None]
F = TypeVar("F")


def chose(match: re.Match, word: str) -> tuple:
    """The values of a button whose first value is a choice (open or close, send or count…): whether it is
    `word`, then the other values as whole numbers."""
    choice, *values = match.groups()
    return (choice == word, *(int(v) for v in values))


def on_press(*routes: Route) -> Callable[[Callable], Callable]:
    """Declares the buttons a handler answers (see `add_presses`)."""

    def declare(handler: Callable) -> Callable:
        handler.routes = (*getattr(handler, "routes", ()), *routes)
        return handler

    return declare


def add_presses(app: Application, *modules) -> None:
    """Adds the handlers these modules declare with `on_press`, in the order they are written."""
    added = set()
    for module in modules:
        for handler in vars(module).values():
            if callable(handler) and isinstance(getattr(handler, "routes", None), tuple) and id(handler) not in added:
                added.add(id(handler))
                for route in handler.routes:
                    app.add_handler(CallbackQueryHandler(handler, pattern=route.pattern))


async def show_or_stale(update: Update, _: Translator, screen: Screen | None, note: str | None = None) -> None:
    """Shows the screen a button asked for in place of its message, with a short note if there is one; when there
    is no screen (what the button was about is gone), says the button is no longer active."""
    if screen is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(note)
    await show(update, *screen)


def coordinator_view(load: Callable[..., Awaitable[Screen | None]]) -> Callable[..., Awaitable[None]]:
    """A coordinator's button that shows a screen in place of its message: `load(context, _, *values)` makes it
    from the button's values (whole numbers), or gives None when what it is about is gone (the button is then
    out of date)."""

    @coordinator_only
    async def pressed(update: Update, context: AppContext, _: Translator) -> None:
        await show_or_stale(update, _, await load(context, _, *Route.ints(context.match)))

    return functools.wraps(load)(pressed)


async def open_or_close(update: Update, context: AppContext, _: Translator, get: Callable, set_open: Callable,
                        view: Callable[..., Awaitable[Screen | None]], notes: tuple[str, str]) -> None:
    """A coordinator's Close or Reopen button (its values: open or close, then the id): `get(session, id)` finds
    what it closes, `set_open(session, found, opening, now)` changes it, and `view(context, _, id)` shows it
    again with the note that fits (`notes`: reopened, closed)."""
    opening, found_id = chose(context.match, "open")
    async with context.unit_of_work() as session:
        found = await get(session, found_id)
        if found is not None:
            await set_open(session, found, opening, context.now())
    screen = await view(context, _, found_id) if found is not None else None
    await show_or_stale(update, _, screen, notes[0] if opening else notes[1])


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


async def _said(update: Update, _: Translator, nothing: str) -> Said | None:
    """The text or voice note of a message; None, once the person is told why, when there is neither (`nothing`
    says what to send) or the voice note is too long or too big."""
    voice = voice_of(update)
    text = update.message.text if update.message else None
    if voice is None and text is None:
        await reply(update, _(nothing))
        return None
    try:
        seconds = check_voice(voice.seconds, voice.size) if voice else None
    except forms.Invalid as exc:
        await reply(update, invalid_text(exc, _))
        return None
    return Said(text, voice.file_id if voice else None, seconds)


SaidHandler = Callable[[Update, AppContext, Draft, Member | None, Translator, Said], Awaitable[None]]


def on_said(kind: str, nothing: str) -> Callable[[SaidHandler], SaidHandler]:
    """Registers the coroutine that takes a typed text or a voice note for drafts of `kind`, called as
    `handler(update, context, draft, member, _, said)`; anything else is answered with `nothing` (a msgid
    saying what to send), and a voice note over the limits with why it is refused."""

    def decorate(handler: SaidHandler) -> SaidHandler:
        @draft_input.on_input(kind)
        @functools.wraps(handler)
        async def take(update: Update, context: AppContext, draft: Draft) -> None:
            member = await load_member(context, update.effective_user.id)
            _ = tr(member, update)
            said = await _said(update, _, nothing)
            if said is not None:
                await handler(update, context, draft, member, _, said)

        return handler

    return decorate
