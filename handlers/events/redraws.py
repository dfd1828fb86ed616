"""Keeping members' invitations in step with their answers: after a commit that changed answers or places in the
queue behind members' backs (a freed seat, an edit, a cancellation), the messages that show them are redrawn in
the background, paced with the outbox, and an edit that would change nothing is not sent."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import Application

from bot.context import Services
from bot.i18n import translator
from bot.services import rsvps
from handlers import system
from handlers.events.invitation import drawn, invitation_screen

log = logging.getLogger("sahakor.rsvp")

# Telegram's answers to an edit of a message that is gone or too old to edit: it is no longer redrawn.
GONE = ("message to edit not found", "can't be edited", "message_id_invalid", "there is no text in the message")
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

_REDRAWS = "rsvp:redraws"  # bot_data: this process's pass over the messages due for a redraw
REDRAW_BATCH = 50


def _services(application: Application) -> Services:
    return application.bot_data["services"]


def redraw_soon(application: Application) -> None:
    """After a commit that changed members' answers behind their backs: their invitations are redrawn in the
    background (one pass at a time per process; a pass under way looks again before it ends)."""
    state = application.bot_data.setdefault(_REDRAWS, {"task": None, "again": False})
    if state["task"] is not None and not state["task"].done():
        state["again"] = True
        return
    state["task"] = application.create_task(_redraw_passes(application, state), name="rsvp-redraws")


async def _redraw_passes(application: Application, state: dict) -> None:
    while True:
        state["again"] = False
        await redraw_due(application)
        if not state["again"]:
            return


async def redraws_done(application: Application) -> None:
    """Waits until this process has no redraws under way."""
    state = application.bot_data.get(_REDRAWS)
    while state is not None and state["task"] is not None and not state["task"].done():
        await asyncio.shield(state["task"])


async def redraw_due(application: Application) -> int:
    """Redraws every member's message that shows an answer or a place in the queue that has changed since;
    returns how many were looked at."""
    services = _services(application)
    looked = 0
    while True:
        now = services.clock.now()
        lease = now + timedelta(seconds=services.settings.lease_seconds)
        async with services.db.session() as session:
            batch = await rsvps.claim_redraws(session, now=now, lease=lease, limit=REDRAW_BATCH)
        if not batch:
            return looked
        for item in batch:
            await _redraw(application, item)
        looked += len(batch)


async def _redraw(application: Application, item: rsvps.Redraw) -> None:
    """Brings one member's message up to date; an edit that would change nothing is not sent."""
    services = _services(application)
    async with services.db.session() as session:
        outcome = await rsvps.view(session, event_id=item.event_id, member_id=item.member_id, now=services.clock.now())
    text, markup = invitation_screen(outcome, translator(item.language))
    fingerprint_now, message_id = drawn(text, markup), item.message_id
    if outcome.answer is not None and fingerprint_now != item.drawn:
        try:
            await _edit(services, application, item, text, markup)
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" not in reason:
                if not any(s in reason for s in GONE):
                    log.warning("could not redraw message %s of chat %s: %s", item.message_id, item.chat_id, exc)
                message_id = None
        except Forbidden:
            message_id = None  # blocked: the next update about it marks the member unreachable
        except NetworkError as exc:
            # The row stays claimed until its lease runs out; the next pass (or the next start) takes it again.
            log.warning("could not redraw message %s of chat %s: %s", item.message_id, item.chat_id, exc)
            return
    async with services.db.session() as session:
        await rsvps.redrawn(session, item, drawn=fingerprint_now, message_id=message_id)


async def _edit(services: Services, application: Application, item: rsvps.Redraw, text: str, markup) -> None:
    """One edit, paced with the outbox's sends (one budget for all of the bot's messages) when it runs."""
    delivery = services.delivery
    bot = delivery.bot if delivery is not None else application.bot

    def request():
        return bot.edit_message_text(text, chat_id=item.chat_id, message_id=item.message_id, reply_markup=markup,
                                     parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)

    if delivery is not None:
        await delivery.call(request)
    else:
        await request()


@system.on_start
async def redraw_left_over(application: Application) -> None:
    """On taking the lead: messages a stopped process left to redraw are redrawn (in the background)."""
    redraw_soon(application)
