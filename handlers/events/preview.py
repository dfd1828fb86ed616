"""/newevent at the preview: the answer buttons that only explain themselves, correcting one part, discarding
the draft, and publishing the event."""

from __future__ import annotations


from telegram import Update

from bot import event_text
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft
from bot.services import drafts, events, reminders
from handlers.ui.common import answer_stale
import handlers.events.reminders as reminder_jobs
from handlers.events.inplace import show
from handlers.events.new import ask, draft_event
from handlers.events.screens import GROUPS, KIND, fields_screen, group_steps, published_text, summary_screen
from handlers.events.shared import WizardHandler, alert, drop_buttons


async def _preview_button(update, context, member, _, match) -> None:
    await alert(update, _("This is a preview: members will answer with these buttons."))


async def _preview_step(update: Update, context: AppContext, _: Translator) -> Draft | None:
    """The caller's draft if it is at the preview; otherwise says the button is stale."""
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
    if draft is None or draft.step != "preview":
        await answer_stale(update, _)
        return None
    return draft


async def _fields(update, context, member, _, match) -> None:
    if await _preview_step(update, context, _) is None:
        return
    await update.callback_query.answer()
    await show(update, *fields_screen(_))


async def _back(update, context, member, _, match) -> None:
    draft = await _preview_step(update, context, _)
    if draft is None:
        return
    await update.callback_query.answer()
    await show(update, *summary_screen(*await draft_event(context, draft), context.now(), _))


async def _field(update, context, member, _, match) -> None:
    group = match.group(1)
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        ok = draft is not None and draft.step == "preview"
        if ok:
            drafts.advance(draft, step=group_steps(group, draft.data["first"])[0], now=context.now(), editing=group)
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await drop_buttons(update)
    await ask(update, context, draft, _)


async def _discard(update, context, member, _, match) -> None:
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft is not None:
            await events.discard_draft(session, draft.data.get("event_id"))
            await drafts.discard(session, update.effective_user.id, KIND)
    if draft is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, _("The draft was discarded. Nothing was sent."))


async def _publish(update, context, member, _, match) -> None:
    """Publishes the event once: the invitation goes to the audience, reminders are planned, the link is shown."""
    event_id = int(match.group(1))
    uid, now = update.effective_user.id, context.now()
    outcome, invited, event = "stale", 0, None
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, uid, KIND)
        current = await events.get(session, event_id)
        if current is not None and current.status != events.DRAFT:
            outcome = "already"
        elif current is None or draft is None or draft.step != "preview" or draft.data.get("event_id") != event_id:
            outcome = "stale"
        elif current.starts_at <= now:
            outcome = "past"
        else:
            event = await events.publish(session, event_id, now)
            if event is None:
                outcome = "already"
            else:
                outcome = "published"
                await reminders.plan(session, event, now)
                invited = await events.invite(session, event, event_text.invitation_content(event),
                                              coordinator_chat=update.effective_chat.id, language=_.language, now=now)
                await drafts.discard(session, uid, KIND)
    if outcome == "already":
        await alert(update, _("This event is already published."))
        return
    if outcome == "stale":
        await answer_stale(update, _)
        return
    if outcome == "past":
        await alert(update, _("The start time has passed. Please change the date and time before publishing."))
        return
    await update.callback_query.answer(_("Published."))
    await show(update, published_text(event, invited, context.bot.username, _))
    await reminder_jobs.sync_jobs(context.application, event.id)
    if invited:
        context.services.delivery.wake()


BUTTONS: list[tuple[str, WizardHandler]] = [
    (r"evn:pv", _preview_button),
    (r"evn:edit", _fields),
    (r"evn:back", _back),
    (r"evn:field:(" + "|".join(GROUPS) + ")", _field),
    (r"evn:discard", _discard),
    (r"evn:publish:(\d{1,9})", _publish),
]
