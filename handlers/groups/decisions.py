"""Coordinators go through the people interested in a group, approve or decline them, and see the funnel."""

from __future__ import annotations

from telegram import Update

from bot.context import AppContext
from bot.services import groups, outbox
from bot.services.groups import DECLINED, Decided
from bot.text import esc
from handlers.ui.common import answer_stale, coordinator_and_translator as require_coordinator, reply, show
from handlers.groups.browse import revoke_link
from handlers.groups.editing import group_or_stale
from handlers.groups.screens import (
    decision_content,
    decline_screen,
    funnel_screen,
    group_title,
    notice_content,
    people_screen,
)
from handlers.ui.people import send_voice_note, shorten


async def list_people(update: Update, context: AppContext) -> None:
    """One page of the people interested in a group, with their profiles and reasons."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    group_id, page = int(context.match.group(1)), int(context.match.group(2))
    async with context.services.db.session() as session:
        group = await groups.get(session, group_id)
        found, total, page = await groups.people(session, group_id, page=page) if group else ([], 0, 0)
        told = await groups.told(session, group_id, [p.interest.id for p in found])
    if group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *people_screen(group, found, total, page, _, told))


async def confirm_decline(update: Update, context: AppContext) -> None:
    """The ✖ button: asks to confirm before anyone is declined."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    group_id, interest_id, page = (int(context.match.group(i)) for i in (1, 2, 3))
    async with context.services.db.session() as session:
        group = await groups.get(session, group_id)
        person = await groups.person(session, group_id, interest_id)
    if group is None or person is None or person.interest.status == DECLINED:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *decline_screen(group, person, page, _))


async def decide(update: Update, context: AppContext) -> None:
    """Approves, or (once confirmed) declines, one person; a member hears about it in their language through the
    outbox, and never hears two contradicting decisions."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    approve = context.match.group(1) == "ok"
    group_id, interest_id, page = (int(context.match.group(i)) for i in (2, 3, 4))
    me, now = update.effective_user.id, context.now()
    async with context.unit_of_work() as session:
        decision = await groups.decide(session, group_id=group_id, interest_id=interest_id, approve=approve,
                                       by=me, now=now)
        group = await groups.get(session, group_id)
        if decision.outcome == Decided.CHANGED:
            if decision.person.member is not None:
                delivery = await outbox.create(session, kind=groups.DECISION_KIND, send_at=now, created_by=me,
                                               content=decision_content(group, approve), ref_id=group_id, now=now)
                await outbox.add_query(session, delivery, groups.member_recipient(decision.person.member.id))
            await groups.note_requests(session, group_id=group_id, configured=context.services.settings.coordinator_ids,
                                       content=notice_content, now=now, new=False)
        found, total, page = await groups.people(session, group_id, page=page) if group else ([], 0, 0)
        told = await groups.told(session, group_id, [p.interest.id for p in found])
    if decision.outcome == Decided.MISSING:
        await answer_stale(update, _)
        return
    context.services.delivery.wake()
    if decision.revoke_link:
        await revoke_link(context, group.chat_id, decision.revoke_link)
    name = decision.person.name
    if decision.outcome == Decided.TOLD:
        note = (_("{name} was already told that their request was declined. The decision can't be changed.")
                if approve else
                _("{name} was already told that their request was approved. The decision can't be changed."))
        await update.callback_query.answer(shorten(note.format(name=name), 190), show_alert=True)
    else:
        note = (_("{name} is approved.") if approve else _("{name} is declined.")).format(name=name)
        await update.callback_query.answer(shorten(note, 190))
    await show(update, *people_screen(group, found, total, page, _, told))


async def voice_reason(update: Update, context: AppContext) -> None:
    """Sends a member's spoken reason to the coordinator who asked."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    group_id, interest_id = int(context.match.group(1)), int(context.match.group(2))
    async with context.services.db.session() as session:
        person = await groups.person(session, group_id, interest_id)
        group = await groups.get(session, group_id)
    if person is None or not person.interest.reason_voice_file_id:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    caption = _("{name}'s reason for joining the {group}").format(name=esc(person.name), group=group_title(group, _))
    if not await send_voice_note(context, update.effective_user.id, person.interest.reason_voice_file_id, caption):
        await reply(update, _("Telegram no longer has that voice note."))


async def funnel(update: Update, context: AppContext) -> None:
    """Shows the group's funnel and the report sentence in each language."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    group = await group_or_stale(update, context, _)
    if group is None:
        return
    async with context.services.db.session() as session:
        counts = await groups.funnel(session, group.id)
    await update.callback_query.answer()
    await show(update, *funnel_screen(group, counts, _))
