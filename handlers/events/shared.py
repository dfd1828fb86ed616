"""What the events handlers share: reading a typed answer, alerts, letting only registered members press a
member's button, and showing one published event in place."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Update

from bot import event_text
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Event, Member
from bot.services import events
from bot.services.events import InvalidInput
from handlers.ui.common import load_member, reply, tr
from handlers.events.inplace import show
from handlers.events.screens import details_screen, invalid_text, parse_answer

MemberHandler = Callable[[Update, AppContext, Member], Awaitable[None]]


async def typed_values(update: Update, step: str, start: datetime | None, reminders: list[int], tz: ZoneInfo,
                       now: datetime, _: Translator, seats_taken: int = 0) -> dict | None:
    """The answers a message gives to `step` (a location for the map, text otherwise), by name; None, after
    saying why, when it does not fit."""
    message = update.message
    if step == "location":
        if message.location is None:
            await reply(update, _("Please send a location: tap 📎, then Location. Or press “No map location”."))
            return None
        try:
            latitude, longitude = events.check_location(message.location.latitude, message.location.longitude)
        except InvalidInput as exc:
            await reply(update, invalid_text(exc.reason, step, "", None, tz, _))
            return None
        return {"latitude": latitude, "longitude": longitude}
    if not message.text:
        await reply(update, _("Please type your answer as text."))
        return None
    try:
        return parse_answer(step, message.text, start, reminders, tz, now, seats_taken)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc.reason, step, message.text, start, tz, _, seats_taken))
        return None


async def alert(update: Update, text: str) -> None:
    await update.callback_query.answer(text, show_alert=True)


def registered_first(refusal: str) -> Callable[[MemberHandler], Callable[[Update, AppContext], Awaitable[None]]]:
    """Lets only registered members press a button; anyone else gets `refusal` (a message marked with N_) as an
    alert in their language. The handler is called as `handler(update, context, member)`."""

    def decorate(handler: MemberHandler) -> Callable[[Update, AppContext], Awaitable[None]]:
        @functools.wraps(handler)
        async def checked(update: Update, context: AppContext) -> None:
            member = await load_member(context, update.effective_user.id)
            if member is None or member.registered_at is None:
                await alert(update, tr(member, update)(refusal))
                return
            await handler(update, context, member)

        return checked

    return decorate


async def load_event(context: AppContext, event_id: int) -> tuple[Event | None, events.Counts]:
    async with context.services.db.session() as session:
        event = await events.get(session, event_id)
        counts = (await events.counts(session, [event_id]))[event_id] if event else events.Counts()
    return event, counts


async def details(update: Update, context: AppContext, event_id: int, _: Translator) -> bool:
    """Shows one event in place of the pressed message; False if there is no such published event."""
    event, counts = await load_event(context, event_id)
    if event is None or event.status == events.DRAFT:
        return False
    link = event_text.deep_link(context.bot.username, event)
    await show(update, *details_screen(event, counts, _, link, context.now()))
    return True
