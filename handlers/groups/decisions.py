"""Coordinators go through the people interested in a group, approve or decline them, and see the funnel."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

import handlers.groups.callbacks as to
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import WorkingGroup
from bot.services import groups
from bot.services.groups import DECLINED, Decided, Decision
from bot.text import esc
from handlers.groups.browse import revoke_link
from handlers.groups.editing import group_view
from handlers.groups.screens import decision_content, decline_screen, funnel_screen, group_title, notice_content
from handlers.groups.screens import people_screen
from handlers.ui.answers import chose, on_press
from handlers.ui.common import answer_stale, coordinator_only, reply, show
from handlers.ui.people import send_voice_note, shorten


async def _people_screen(session: AsyncSession, group: WorkingGroup | None, page: int, _: Translator):
    """One page of the people interested in the group (None once the group is gone)."""
    if group is None:
        return None
    found, total, page = await groups.people(session, group.id, page=page)
    told = await groups.told(session, group.id, [p.interest.id for p in found])
    return people_screen(group, found, total, page, _, told)


@on_press(to.PEOPLE)
@group_view
async def list_people(context: AppContext, _: Translator, group: WorkingGroup, page: int):
    """One page of the people interested in a group, with their profiles and reasons."""
    async with context.services.db.session() as session:
        return await _people_screen(session, group, page, _)


@on_press(to.CONFIRM_DECLINE)
@group_view
async def confirm_decline(context: AppContext, _: Translator, group: WorkingGroup, interest_id: int, page: int):
    """The ✖ button: asks to confirm before anyone is declined."""
    async with context.services.db.session() as session:
        person = await groups.person(session, group.id, interest_id)
    return decline_screen(group, person, page, _) if person and person.interest.status != DECLINED else None


@on_press(to.DECIDE)
@coordinator_only
async def decide(update: Update, context: AppContext, _: Translator) -> None:
    """Approves, or (once confirmed) declines, one person; a member hears about it in their language through the
    outbox, and never hears two contradicting decisions."""
    approve, group_id, interest_id, page = chose(context.match, "ok")
    me, now = update.effective_user.id, context.now()
    async with context.unit_of_work() as session:
        decision = await groups.decide(session, group_id=group_id, interest_id=interest_id, approve=approve,
                                       by=me, now=now)
        group = await groups.get(session, group_id)
        if decision.outcome == Decided.CHANGED:
            await groups.tell_decision(session, decision, group_id, content=decision_content(group, approve), by=me,
                                       now=now)
            await groups.note_requests(session, group_id=group_id, configured=context.services.settings.coordinator_ids,
                                       content=notice_content, now=now, new=False)
        screen = await _people_screen(session, group, page, _)
    if decision.outcome == Decided.MISSING:
        await answer_stale(update, _)
        return
    context.services.delivery.wake()
    if decision.revoke_link:
        await revoke_link(context, group.chat_id, decision.revoke_link)
    await update.callback_query.answer(*_decided_note(decision, approve, _))
    await show(update, *screen)


def _decided_note(decision: Decision, approve: bool, _: Translator) -> tuple[str, bool | None]:
    """What the coordinator is told of a decision (an alert when it was already told and can't change)."""
    name = decision.person.name
    if decision.outcome == Decided.TOLD:
        note = (_("{name} was already told that their request was declined. The decision can't be changed.")
                if approve else
                _("{name} was already told that their request was approved. The decision can't be changed."))
        return shorten(note.format(name=name), 190), True
    note = (_("{name} is approved.") if approve else _("{name} is declined.")).format(name=name)
    return shorten(note, 190), None


@on_press(to.VOICE_REASON)
@coordinator_only
async def voice_reason(update: Update, context: AppContext, _: Translator) -> None:
    """Sends a member's spoken reason to the coordinator who asked."""
    group_id, interest_id = to.VOICE_REASON.ints(context.match)
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


@on_press(to.FUNNEL)
@group_view
async def funnel(context: AppContext, _: Translator, group: WorkingGroup):
    """Shows the group's funnel and the report sentence in each language."""
    async with context.services.db.session() as session:
        return funnel_screen(group, await groups.funnel(session, group.id), _)
