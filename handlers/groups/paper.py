"""Coordinators add people who signed up on paper."""

from __future__ import annotations

from telegram import Update

from bot.context import AppContext
from bot.models import Draft
from bot.services import drafts as draft_store
from bot.services import groups
from bot.services.groups import InvalidInput
from bot.text import esc
from bot.vocab import GENDERS, STAKEHOLDERS
from handlers.ui import drafts
from handlers.ui.common import (
    answer_stale,
    button,
    coordinator_and_translator as require_coordinator,
    keyboard,
    load_member,
    reply,
    show,
    tr,
)
from handlers.groups.screens import PAPER, group_title, paper_screen
from handlers.ui.people import require_typing_coordinator
from handlers.ui.bilingual import invalid_text


async def start_paper(update: Update, context: AppContext) -> None:
    """Starts adding someone who signed up on paper (name, gender, stakeholder type, organisation)."""
    allowed = await require_typing_coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    group_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        if group is not None:
            await draft_store.begin(session, member.telegram_id, PAPER, step="name", data={"group_id": group_id},
                                    now=context.now())
    if group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await reply(update, *paper_screen("name", {}, _))


async def _paper_step(update: Update, context: AppContext, step: str, value: str | None) -> None:
    """Stores one answer of a paper sign-up; the last one adds the person to the group."""
    me = update.effective_user.id
    order = ("name", "gender", "stakeholder", "organisation")
    added = None
    async with context.unit_of_work() as session:
        draft = await draft_store.get(session, me, PAPER)
        if draft is not None and draft.step == step:
            following = order[order.index(step) + 1] if step != "organisation" else None
            draft_store.advance(draft, step=following, now=context.now(), **{step: value})
            if following is None:
                data = draft.data
                added = await groups.add_paper(session, group_id=data["group_id"], name=data["name"],
                                               gender=data["gender"], stakeholder=data["stakeholder"],
                                               organisation=data.get("organisation"), now=context.now())
                group = await groups.get(session, data["group_id"])
                await draft_store.discard(session, me, PAPER)
        else:
            draft = None
    _ = tr(await load_member(context, me), update)
    if update.callback_query:
        if draft is None:
            await answer_stale(update, _)
            return
        await update.callback_query.answer()
    if draft is None:
        return
    if added is None:
        text, markup = paper_screen(draft.step, draft.data, _)
        await (show(update, text, markup) if update.callback_query else reply(update, text, markup))
        return
    text = _("{name} was added to the people interested in the {group}.").format(
        name=f"<b>{esc(added.name)}</b>", group=group_title(group, _))
    markup = keyboard([[button("📝 " + _("Add another"), f"grpa:paper:{group.id}")],
                       [button("◀ " + _("Back to the group"), f"grpa:view:{group.id}")]])
    await (show(update, text, markup) if update.callback_query else reply(update, text, markup))


@drafts.on_input(PAPER)
async def take_paper(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes a typed name or organisation for a paper sign-up."""
    _ = tr(await load_member(context, update.effective_user.id), update)
    text = update.message.text if update.message else None
    if draft.step not in ("name", "organisation"):
        await reply(update, _("Please choose one of the buttons."))
        return
    try:
        limit = groups.PAPER_NAME_MAX if draft.step == "name" else groups.ORGANISATION_MAX
        value = groups.clean_single_line(text, limit)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    await _paper_step(update, context, draft.step, value)


async def paper_button(update: Update, context: AppContext) -> None:
    """Gender, stakeholder type, skipping the organisation, or cancelling a paper sign-up."""
    if await require_coordinator(update, context) is None:
        return
    what, value = context.match.group(1), context.match.group(2)
    if what == "cancel":
        await drafts.cancel_form(update, context, PAPER)
        return
    if (what == "g" and value not in GENDERS) or (what == "s" and value not in STAKEHOLDERS):
        await answer_stale(update, tr(await load_member(context, update.effective_user.id), update))
        return
    step = {"g": "gender", "s": "stakeholder", "o": "organisation"}[what]
    await _paper_step(update, context, step, None if what == "o" else value)
