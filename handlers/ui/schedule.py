"""The last step of the coordinators' composers (/broadcast, /newbrief): send now, or at a time the coordinator
types. Both composers ask the same question and read the time the same way; what is queued, and the words
that confirm it, are each composer's own.

    SENDING = schedule.Sending(kind=KIND, send=SEND, later=LATER, cancel=DISCARD, queue=queue_broadcast,
                               sending=..., scheduled=...)
    row = SENDING.buttons(_)                         # 📤 Send now · 🕒 Schedule
    for handler in SENDING.handlers(): app.add_handler(handler)

    @SENDING.takes_input                             # typed input to the composer's drafts; a send time
    async def take_input(update, context, _, draft): # typed at the last step is taken before this is called

A second press of Send now finds no draft: the send is queued once.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler

from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft
from bot.services import drafts
from bot.services.broadcasts import Sender
from bot.services.events import InvalidInput, parse_start
from handlers.ui import drafts as draft_input
from handlers.ui.callbacks import Route
from handlers.ui.common import answer_stale, button, coordinator_only, keyboard, reply, show


@dataclass(frozen=True)
class Order:
    """Who asked for a send (their chat and language get the delivery report), and when it goes out."""

    sender: Sender
    send_at: datetime
    now: datetime


async def typed_send_time(update: Update, context: AppContext, _: Translator) -> datetime | None:
    """The send time a coordinator typed (Khmer digits accepted), or None after saying what is wrong with it."""
    try:
        return parse_start(update.message.text or "", context.settings.tz, context.now())
    except InvalidInput as exc:
        await reply(update, _("That time has already passed. Please type a time in the future.")
                    if exc.reason == "past" else _("Please type the date and time like this: 13/12/2024 08:30."))
        return None


def _always(draft: Draft) -> bool:
    return True


@dataclass(frozen=True)
class Sending:
    """One composer's last step. `queue` stores the send and its recipients from the draft (in the transaction
    that drops the draft) and returns how many members it goes to; `sending` and `scheduled` say what
    happened. `complete` tells a draft that has everything a send needs. `cancel`, if given, is offered under
    the question of when."""

    kind: str
    send: Route
    later: Route
    queue: Callable[[AsyncSession, Draft, Order], Awaitable[int]]
    sending: Callable[[Translator, int], str]
    scheduled: Callable[[Translator, str, int], str]
    cancel: Route | None = None
    complete: Callable[[Draft], bool] = _always

    STEP = "when"

    def buttons(self, _: Translator) -> list[InlineKeyboardButton]:
        """📤 Send now and 🕒 Schedule, side by side."""
        return [button("📤 " + _("Send now"), self.send.data()), button("🕒 " + _("Schedule"), self.later.data())]

    def takes_input(self, handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """Makes `handler(update, context, _, draft)` take what coordinators type or send to drafts of this kind
        (coordinators only); at the last step the typed send time is taken instead."""

        @draft_input.on_input(self.kind)
        @coordinator_only
        @functools.wraps(handler)
        async def take(update: Update, context: AppContext, _: Translator, draft: Draft) -> None:
            if draft.step == self.STEP:
                await self.take_time(update, context, _)
            else:
                await handler(update, context, _, draft)

        return take

    def handlers(self) -> list[CallbackQueryHandler]:
        return [CallbackQueryHandler(coordinator_only(self.ask_time), pattern=self.later.pattern),
                CallbackQueryHandler(coordinator_only(self.send_now), pattern=self.send.pattern)]

    async def ask_time(self, update: Update, context: AppContext, _: Translator) -> None:
        """Asks when it should go out."""
        async with context.unit_of_work() as session:
            draft = await drafts.get(session, update.effective_user.id, self.kind)
            ok = draft is not None and draft.step is None and self.complete(draft)
            if ok:
                drafts.advance(draft, step=self.STEP, now=context.now())
        if not ok:
            await answer_stale(update, _)
            return
        await update.callback_query.answer()
        cancel = keyboard([[button(_("Cancel"), self.cancel.data())]]) if self.cancel else None
        await show(update, _("When should it be sent? Type the date and time, for example 13/12/2024 08:30."), cancel)

    async def take_time(self, update: Update, context: AppContext, _: Translator) -> None:
        """Takes the typed send time and queues the send for it."""
        when = await typed_send_time(update, context, _)
        if when is not None:
            await self._queue(update, context, _, when)

    async def send_now(self, update: Update, context: AppContext, _: Translator) -> None:
        """Sends it now."""
        await self._queue(update, context, _, None)

    async def _queue(self, update: Update, context: AppContext, _: Translator, when: datetime | None) -> None:
        """Turns the draft into a queued send, in one transaction; a second press finds no draft."""
        now, me = context.now(), update.effective_user.id
        async with context.unit_of_work() as session:
            draft = await drafts.get(session, me, self.kind)
            ready = draft is not None and draft.step in (None, self.STEP) and self.complete(draft)
            if ready:
                order = Order(Sender(me, update.effective_chat.id, _.language), when or now, now)
                count = await self.queue(session, draft, order)
                await drafts.discard(session, me, self.kind)
        if not ready:
            if update.callback_query:
                await answer_stale(update, _)
            return
        if update.callback_query:
            await update.callback_query.answer()
        if when is None:
            # The worker posts the status message itself and edits it as it goes. The send buttons are replaced
            # with what happened, so they can't be pressed again.
            text = self.sending(_, count)
            await (show(update, text) if update.callback_query else reply(update, text))
            context.services.delivery.wake()
        else:
            await reply(update, self.scheduled(_, _.datetime(when, context.settings.tz), count))
