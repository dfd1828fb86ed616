"""Coordinators add people who signed up on paper."""

from __future__ import annotations

from telegram import Update

import handlers.groups.callbacks as to
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft, Member
from bot.services import drafts as draft_store
from bot.services import groups
from bot.services.groups import InvalidInput
from bot.vocab import GENDERS, STAKEHOLDERS
from handlers.groups.forms import PAPER, PaperForm
from handlers.groups.screens import paper_added_screen, paper_screen
from handlers.ui import drafts
from handlers.groups.editing import start_group_form
from handlers.ui.answers import cancel_button, go_on, on_press, take_answer
from handlers.ui.bilingual import invalid_text
from handlers.ui.common import answer_stale, coordinator_only, load_member, reply, show, tr
from handlers.ui.people import typing_coordinator_only

ORDER = ("name", "gender", "stakeholder", "organisation")
BUTTONS = {"g": "gender", "s": "stakeholder", "o": "organisation"}


@on_press(to.PAPER)
@typing_coordinator_only
async def start_paper(update: Update, context: AppContext, member: Member, _: Translator) -> None:
    """Starts adding someone who signed up on paper (name, gender, stakeholder type, organisation)."""
    if await start_group_form(update, context, member, _, PAPER, "name", PaperForm(*to.PAPER.ints(context.match))):
        await reply(update, *paper_screen("name", _))


def _following(step: str) -> str | None:
    return ORDER[ORDER.index(step) + 1] if step != ORDER[-1] else None


async def _paper_step(update: Update, context: AppContext, step: str, value: str | None) -> None:
    """Stores one answer of a paper sign-up; the last one adds the person to the group."""
    me, now = update.effective_user.id, context.now()
    added = None
    async with context.unit_of_work() as session:
        taken = await take_answer(session, me, PAPER, PaperForm, step, value, _following, now)
        if taken is not None and taken.step is None:
            answers = taken.answers
            added = await groups.add_paper(session, group_id=answers.group_id, name=answers.name,
                                           gender=answers.gender, stakeholder=answers.stakeholder,
                                           organisation=answers.organisation, now=now)
            group = await groups.get(session, answers.group_id)
            await draft_store.discard(session, me, PAPER)
    _ = await go_on(update, context, taken)
    if _ is None:
        return
    if added is None:
        await show(update, *paper_screen(taken.step, _))
        return
    await show(update, *paper_added_screen(group, added.name, _))


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


@on_press(to.PAPER_ANSWER)
@coordinator_only
async def paper_button(update: Update, context: AppContext, _: Translator) -> None:
    """Gender, stakeholder type, or skipping the organisation, in a paper sign-up."""
    what, value = context.match.groups()
    if (what == "g" and value not in GENDERS) or (what == "s" and value not in STAKEHOLDERS):
        await answer_stale(update, _)
        return
    await _paper_step(update, context, BUTTONS[what], None if what == "o" else value)


cancel_paper = on_press(to.PAPER_CANCEL)(cancel_button(PAPER))
