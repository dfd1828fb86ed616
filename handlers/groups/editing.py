"""Coordinators create and edit working groups, open and close them, and see a group's screen."""

from __future__ import annotations

from telegram import Update

from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft, WorkingGroup
from bot.services import drafts as draft_store
from bot.services import groups
from bot.services.groups import InvalidInput
from handlers.ui import drafts
from handlers.ui.common import (
    answer_stale,
    coordinator_and_translator as require_coordinator,
    load_member,
    reply,
    show,
    tr,
)
from handlers.groups.screens import EDIT, GROUP_PAIRS, NEW, form_screen, coordinator_screen
from handlers.ui.people import require_typing_coordinator
from handlers.ui.bilingual import invalid_text, pair_clean, pair_for, pair_next, pair_value


async def new_group(update: Update, context: AppContext) -> None:
    """Starts creating a working group: its name and description in English and Khmer."""
    allowed = await require_typing_coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    async with context.unit_of_work() as session:
        draft = await draft_store.begin(session, member.telegram_id, NEW, step="name_en", now=context.now())
    if update.callback_query:
        await update.callback_query.answer()
    await reply(update, "<b>" + _("New working group") + "</b>")
    await reply(update, *form_screen(NEW, draft.step, {}, _))


async def edit_group(update: Update, context: AppContext) -> None:
    """Asks for a group's new name or description, in English then Khmer."""
    allowed = await require_typing_coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    field, group_id = ("name" if context.match.group(1) == "ename" else "desc"), int(context.match.group(2))
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        if group is not None:
            draft = await draft_store.begin(session, member.telegram_id, EDIT, step=f"{field}_en",
                                            data={"group_id": group_id}, now=context.now())
    if group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await reply(update, *form_screen(EDIT, draft.step, draft.data, _))


async def _form_step(update: Update, context: AppContext, kind: str, step: str, value: str) -> None:
    """Stores one answer of a create/edit form, if the form is really at that question, and asks the next one."""
    me = update.effective_user.id
    finished = None
    async with context.unit_of_work() as session:
        draft = await draft_store.get(session, me, kind)
        if draft is None or draft.step != step:
            draft = None
        else:
            following = pair_next(step)
            if following is None and kind == NEW and step == "name_km":
                following = "desc_en"
            draft_store.advance(draft, step=following, now=context.now(), **{step: value})
            if following is None:
                finished = await _finish_form(session, kind, draft, me, context)
    _ = tr(await load_member(context, me), update)
    if update.callback_query:
        if draft is None:
            await answer_stale(update, _)
            return
        await update.callback_query.answer()
    if draft is None:
        return
    if draft.step is not None:
        await reply(update, *form_screen(kind, draft.step, draft.data, _))
    elif finished is None:
        await reply(update, _("This working group no longer exists."))
    else:
        await reply(update, _("The working group was created.") if kind == NEW else _("Saved."))
        await reply(update, *coordinator_screen(*finished, _))


async def _finish_form(session, kind: str, draft: Draft, me: int,
                       context: AppContext) -> tuple[WorkingGroup, groups.Funnel] | None:
    """Creates the group, or saves the edited field; None if the group being edited is gone."""
    data = draft.data
    now = context.now()
    await draft_store.discard(session, me, kind)
    if kind == NEW:
        group = await groups.create(session, name_en=data.get("name_en", ""), name_km=data.get("name_km", ""),
                                    description_en=data.get("desc_en", ""), description_km=data.get("desc_km", ""),
                                    created_by=me, now=now)
    else:
        group = await groups.get(session, data.get("group_id"))
        if group is None:
            return None
        if "name_en" in data:
            await groups.rename(session, group, name_en=data["name_en"], name_km=data["name_km"], now=now)
        else:
            await groups.describe(session, group, description_en=data["desc_en"], description_km=data["desc_km"],
                                  now=now)
    return group, await groups.funnel(session, group.id)


async def _typed_form(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes a typed name or description; an empty or too long one is refused and nothing changes."""
    _ = tr(await load_member(context, update.effective_user.id), update)
    pair = pair_for(GROUP_PAIRS, draft.step)
    if pair is None or not (update.message and update.message.text):
        await reply(update, _("Please type the text, or use the buttons."))
        return
    try:
        value = pair_clean(pair, update.message.text)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    await _form_step(update, context, draft.kind, draft.step, value)


drafts.on_input(NEW)(_typed_form)
drafts.on_input(EDIT)(_typed_form)


async def form_button(update: Update, context: AppContext) -> None:
    """Skip, same-for-both and cancel in the create/edit forms; checked against where the form really is."""
    if await require_coordinator(update, context) is None:
        return
    kind = NEW if context.match.group(1) == "n" else EDIT
    action, step = context.match.group(2), context.match.group(3)
    me = update.effective_user.id
    if action == "cancel":
        await drafts.cancel_form(update, context, kind)
        return
    async with context.services.db.session() as session:
        draft = await draft_store.get(session, me, kind)
    pair = pair_for(GROUP_PAIRS, step)
    value = pair_value(pair, step, draft.data, action) if draft and pair and draft.step == step else None
    if value is None:
        await answer_stale(update, tr(await load_member(context, me), update))
        return
    await _form_step(update, context, kind, step, value)


async def set_open(update: Update, context: AppContext) -> None:
    """Closes a group to new interest, or reopens it."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    opening, group_id = context.match.group(1) == "open", int(context.match.group(2))
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        if group is not None:
            await groups.set_open(session, group, opening, context.now())
            funnel = await groups.funnel(session, group_id)
    if group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("The group is open again.") if opening else _("The group is closed."))
    await show(update, *coordinator_screen(group, funnel, _))


async def group_or_stale(update: Update, context: AppContext, _: Translator) -> WorkingGroup | None:
    """The group a coordinator's button is about, or None after telling them the button is out of date."""
    async with context.services.db.session() as session:
        group = await groups.get(session, int(context.match.group(1)))
    if group is None:
        await answer_stale(update, _)
    return group


async def view_group_admin(update: Update, context: AppContext) -> None:
    """The coordinator's screen of one group."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    async with context.services.db.session() as session:
        group = await groups.get(session, int(context.match.group(1)))
        funnel = await groups.funnel(session, group.id) if group else None
    if group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *coordinator_screen(group, funnel, _))
