"""Coordinators create and edit working groups, open and close them, and see a group's screen."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import asdict, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

import handlers.groups.callbacks as to
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft, Member, WorkingGroup
from bot.services import drafts as draft_store
from bot.services import groups
from bot.services.groups import InvalidInput
from handlers.groups.forms import EDIT, NEW, GroupEditForm, GroupForm
from handlers.groups.screens import GROUP_PAIRS, coordinator_screen, form_screen
from handlers.ui import drafts
from handlers.ui.answers import cancel_button, chose, coordinator_view, go_on, on_press, open_or_close, take_answer
from handlers.ui.bilingual import invalid_text, pair_clean, pair_for, pair_next, pair_pressed, pair_start
from handlers.ui.common import answer_stale, coordinator_only, load_member, reply, tr
from handlers.ui.people import typing_coordinator_only


@on_press(to.NEW)
@typing_coordinator_only
async def new_group(update: Update, context: AppContext, member: Member, _: Translator) -> None:
    """Starts creating a working group: its name and description, in the coordinator's language then the other."""
    answers, step = GroupForm(first=member.language), pair_start(GROUP_PAIRS[0], member.language)
    async with context.unit_of_work() as session:
        await draft_store.begin(session, member.telegram_id, NEW, step=step, data=asdict(answers), now=context.now())
    if update.callback_query:
        await update.callback_query.answer()
    await reply(update, "<b>" + _("New working group") + "</b>")
    await reply(update, *form_screen(NEW, step, answers, _))


async def start_group_form(update: Update, context: AppContext, member: Member, _: Translator, kind: str,
                           step: str, answers) -> WorkingGroup | None:
    """Starts a coordinator's form about the group `answers.group_id`, at `step`; None, after saying the button is
    out of date, when the group is gone."""
    async with context.unit_of_work() as session:
        group = await groups.get(session, answers.group_id)
        if group is not None:
            await draft_store.begin(session, member.telegram_id, kind, step=step, data=asdict(answers),
                                    now=context.now())
    if group is None:
        await answer_stale(update, _)
        return None
    await update.callback_query.answer()
    return group


@on_press(to.EDIT)
@typing_coordinator_only
async def edit_group(update: Update, context: AppContext, member: Member, _: Translator) -> None:
    """Asks for a group's new name or description, in the coordinator's language then the other."""
    naming, group_id = chose(context.match, "ename")
    answers = GroupEditForm(group_id=group_id, first=member.language)
    step = pair_start(GROUP_PAIRS[0 if naming else 1], member.language)
    if await start_group_form(update, context, member, _, EDIT, step, answers):
        await reply(update, *form_screen(EDIT, step, answers, _))


FORMS = {NEW: GroupForm, EDIT: GroupEditForm}


def _following(kind: str, answers: GroupForm, step: str) -> str | None:
    """A new group's description is asked after its name; an edit asks for one of them."""
    return pair_next(GROUP_PAIRS if kind == NEW else (pair_for(GROUP_PAIRS, step),), step, answers)


async def _form_step(update: Update, context: AppContext, step: str, value: str, *, kind: str) -> None:
    """Stores one answer of a create/edit form, if the form is really at that question, and asks the next one."""
    me, now = update.effective_user.id, context.now()
    finished = None
    async with context.unit_of_work() as session:
        answers = replace(draft_store.read(await draft_store.get(session, me, kind), FORMS[kind]), **{step: value})
        taken = await take_answer(session, me, kind, FORMS[kind], step, value,
                                  functools.partial(_following, kind, answers), now)
        if taken is not None and taken.step is None:
            await draft_store.discard(session, me, kind)
            finished = await _finish_form(session, kind, taken.answers, step, me, now)
    _ = await go_on(update, context, taken)
    if _ is None:
        return
    if taken.step is not None:
        await reply(update, *form_screen(kind, taken.step, taken.answers, _))
    elif finished is None:
        await reply(update, _("This working group no longer exists."))
    else:
        await reply(update, _("The working group was created.") if kind == NEW else _("Saved."))
        await reply(update, *coordinator_screen(*finished, _))


async def _finish_form(session: AsyncSession, kind: str, answers: GroupForm, last: str, me: int,
                       now: datetime) -> tuple[WorkingGroup, groups.Funnel] | None:
    """Creates the group, or saves the edited field (the one `last` answered); None if the group being edited
    is gone."""
    if kind == NEW:
        group = await groups.create(session, name_en=answers.name_en, name_km=answers.name_km,
                                    description_en=answers.desc_en, description_km=answers.desc_km,
                                    created_by=me, now=now)
    else:
        group = await groups.get(session, answers.group_id)
        if group is None:
            return None
        if last.startswith("name_"):
            await groups.rename(session, group, name_en=answers.name_en, name_km=answers.name_km, now=now)
        else:
            await groups.describe(session, group, description_en=answers.desc_en, description_km=answers.desc_km,
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
    await _form_step(update, context, draft.step, value, kind=draft.kind)


drafts.on_input(NEW)(_typed_form)
drafts.on_input(EDIT)(_typed_form)
new_form_button = on_press(to.NEW_FORM.choose)(
    pair_pressed(NEW, GroupForm, GROUP_PAIRS, functools.partial(_form_step, kind=NEW)))
edit_form_button = on_press(to.EDIT_FORM.choose)(
    pair_pressed(EDIT, GroupEditForm, GROUP_PAIRS, functools.partial(_form_step, kind=EDIT)))
cancel_new = on_press(to.NEW_FORM.cancel)(cancel_button(NEW))
cancel_edit = on_press(to.EDIT_FORM.cancel)(cancel_button(EDIT))


async def _manage_view(context: AppContext, _: Translator, group_id: int):
    """The coordinators' screen of the group (None once it is gone)."""
    async with context.services.db.session() as session:
        group = await groups.get(session, group_id)
        return coordinator_screen(group, await groups.funnel(session, group_id), _) if group else None


@on_press(to.OPEN_OR_CLOSE)
@coordinator_only
async def set_open(update: Update, context: AppContext, _: Translator) -> None:
    """Closes a group to new interest, or reopens it."""
    await open_or_close(update, context, _, groups.get, groups.set_open, _manage_view,
                        (_("The group is open again."), _("The group is closed.")))


def group_view(load: Callable[..., Awaitable]) -> Callable[..., Awaitable[None]]:
    """A coordinator's button about one group (its id the button's first value) that shows a screen:
    `load(context, _, group, *values)` makes it; a button about a group now gone is out of date."""

    async def with_group(context: AppContext, _: Translator, group_id: int, *values: int):
        async with context.services.db.session() as session:
            group = await groups.get(session, group_id)
        return await load(context, _, group, *values) if group else None

    return coordinator_view(functools.wraps(load)(with_group))


view_group_admin = on_press(to.MANAGE)(coordinator_view(_manage_view))
