"""/events: coordinators see the network's events with their counts and open one; members see the events
they were invited to and open an invitation."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.context import AppContext
from bot.i18n import N_, Translator
from bot.models import Member
from bot.services import events, rsvps
from handlers.ui.answers import on_press
from handlers.ui.common import answer_stale, coordinator_only, is_coordinator, load_member, reply, tr
import handlers.events.callbacks as on
import handlers.events.rsvp as answering
from handlers.events.inplace import show
from handlers.events.screens import member_screen, overview_screen
from handlers.events.shared import details, registered_first


async def overview(context: AppContext, _: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    async with context.services.db.session() as session:
        upcoming, past = await events.overview(session, context.now())
        counts = await events.counts(session, [e.id for e in upcoming + past])
    return overview_screen(upcoming, past, counts, _)


async def show_events(update: Update, context: AppContext) -> None:
    """Coordinators see the network's events with their counts; members their upcoming invitations."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    if await is_coordinator(context, update.effective_user.id):
        await reply(update, *await overview(context, _))
        return
    if member is None or member.registered_at is None:
        await reply(update, _("Send /start to register."))
        return
    async with context.services.db.session() as session:
        items = await events.for_member(session, member.id, context.now())
    await reply(update, *member_screen(items, _))


@on_press(on.OPEN_INVITATION)
@registered_first(N_("Send /start to register."))
async def open_invitation(update: Update, context: AppContext, member: Member) -> None:
    """Shows a member the invitation of one of their events, with their answer and the answer buttons."""
    event_id = int(context.match.group(1))
    async with context.services.db.session() as session:
        mine = await events.is_members(session, event_id, member.id, context.now())
        outcome = await rsvps.view(session, event_id=event_id, member_id=member.id, now=context.now())
    if not mine:
        await answer_stale(update, tr(member))
        return
    await update.callback_query.answer()
    await answering.send_invitation(update, context, outcome, member.language)


@on_press(on.LIST)
@coordinator_only
async def list_events(update: Update, context: AppContext, _: Translator) -> None:
    """The coordinators' list again, in place."""
    await update.callback_query.answer()
    await show(update, *await overview(context, _))


@on_press(on.OPEN)
@coordinator_only
async def open_event(update: Update, context: AppContext, _: Translator) -> None:
    """One event's details, in place."""
    if not await details(update, context, int(context.match.group(1)), _):
        await answer_stale(update, _)
        return
    await update.callback_query.answer()

