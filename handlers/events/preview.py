"""/newevent at the preview: the answer buttons that only explain themselves, correcting one part, discarding
the draft, and publishing the event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from telegram import Update

from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Event
from bot.services import drafts, events, reminders
from handlers.ui.answers import on_press
from handlers.ui.common import answer_stale, coordinator_only
import handlers.events.callbacks as on
import handlers.events.reminders as reminder_jobs
from handlers.events.forms import EventForm
from handlers.events.inplace import show
from handlers.events.new import draft_event, go_on
from handlers.events.screens import (
    GROUPS,
    KIND,
    fields_screen,
    group_steps,
    invitation_content,
    published_text,
    summary_screen,
)
from handlers.events.shared import alert


@on_press(on.PREVIEW)
@coordinator_only
async def preview_answer(update: Update, context: AppContext, _: Translator) -> None:
    """An answer button of the preview says what it is for."""
    await alert(update, _("This is a preview: members will answer with these buttons."))


async def _show_at_preview(update: Update, context: AppContext, _: Translator,
                           screen: Callable[[EventForm], Awaitable[tuple]]) -> None:
    """Shows a screen of the preview (drawn from the answers) in place of the pressed message, while the
    conversation is at the preview; otherwise the button is out of date."""
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
    if draft is None or draft.step != "preview":
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *await screen(drafts.read(draft, EventForm)))


@on_press(on.FIELDS)
@coordinator_only
async def choose_field(update: Update, context: AppContext, _: Translator) -> None:
    """Lists the parts of the event that can be corrected."""

    async def fields(form: EventForm) -> tuple:
        return fields_screen(_)

    await _show_at_preview(update, context, _, fields)


@on_press(on.BACK)
@coordinator_only
async def back_to_preview(update: Update, context: AppContext, _: Translator) -> None:
    """What the invitation does not show, and Publish / Edit / Discard, again."""

    async def summary(form: EventForm) -> tuple:
        return summary_screen(*await draft_event(context, form), context.now(), _)

    await _show_at_preview(update, context, _, summary)


@on_press(on.FIELD)
@coordinator_only
async def correct_field(update: Update, context: AppContext, _: Translator) -> None:
    """Asks again the question(s) of one part; the preview follows once it is answered."""
    group = context.match.group(1)
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        ok = draft is not None and draft.step == "preview" and group in GROUPS
        if ok:
            form = drafts.read(draft, EventForm)
            drafts.write(draft, replace(form, editing=group), step=group_steps(group, form.first)[0],
                  now=context.now())
    await go_on(update, context, draft if ok else None, _)


@on_press(on.DISCARD)
@coordinator_only
async def discard(update: Update, context: AppContext, _: Translator) -> None:
    """Drops the draft and its unpublished event."""
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft is not None:
            await events.discard_draft(session, drafts.read(draft, EventForm).event_id)
            await drafts.discard(session, update.effective_user.id, KIND)
    if draft is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, _("The draft was discarded. Nothing was sent."))


async def _publish_once(session, uid: int, chat_id: int, event_id: int, language: str,
                        now: datetime) -> tuple[str, int, Event | None]:
    """Publishes the previewed event unless the press is out of date: (outcome, members invited, the event)."""
    draft = await drafts.get(session, uid, KIND)
    current = await events.get(session, event_id)
    if current is not None and current.status != events.DRAFT:
        return "already", 0, None
    previewed = draft is not None and draft.step == "preview" and drafts.read(draft, EventForm).event_id == event_id
    if current is None or not previewed:
        return "stale", 0, None
    if current.starts_at <= now:
        return "past", 0, None
    event = await events.publish(session, event_id, now)
    if event is None:
        return "already", 0, None
    await reminders.plan(session, event, now)
    invited = await events.invite(session, event, invitation_content(event), coordinator_chat=chat_id,
                                  language=language, now=now)
    await drafts.discard(session, uid, KIND)
    return "published", invited, event


@on_press(on.PUBLISH)
@coordinator_only
async def publish(update: Update, context: AppContext, _: Translator) -> None:
    """Publishes the event once: the invitation goes to the audience, reminders are planned, the link is shown."""
    async with context.unit_of_work() as session:
        outcome, invited, event = await _publish_once(session, update.effective_user.id, update.effective_chat.id,
                                                      int(context.match.group(1)), _.language, context.now())
    if outcome == "already":
        await alert(update, _("This event is already published."))
    elif outcome == "stale":
        await answer_stale(update, _)
    elif outcome == "past":
        await alert(update, _("The start time has passed. Please change the date and time before publishing."))
    else:
        await update.callback_query.answer(_("Published."))
        await show(update, published_text(event, invited, context.bot.username, _))
        await reminder_jobs.sync_jobs(context.application, event.id)
        if invited:
            context.services.delivery.wake()

