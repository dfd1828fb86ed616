"""/newevent: starting or resuming the guided conversation, the typed answers, and each question in turn up
to the preview of the invitation."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Update

from bot import event_text
from bot.context import AppContext
from bot.i18n import LANGUAGES, Translator, translator
from bot.models import Draft, Event, Member
from bot.services import audience as audiences
from bot.services import drafts, events
from bot.services.audience import Audience
from handlers.ui import audience_picker
from handlers.ui.common import answer_stale, coordinator_only, keyboard, load_member, reply
from handlers.ui.drafts import on_input
import handlers.events.callbacks as on
from handlers.events.forms import EventForm
from handlers.events.inplace import drop_buttons
from handlers.events.screens import (
    BUTTON_STEPS,
    KIND,
    next_step,
    preview_buttons,
    reminders_screen,
    step_screen,
    summary_screen,
    unfinished_screen,
    wizard_order,
)
from handlers.events.shared import typed_values


async def audience_screen(context: AppContext, form: EventForm, _: Translator, view: str = audience_picker.MAIN):
    chosen = Audience.from_json(form.audience)
    async with context.services.db.session() as session:
        sizes = await audiences.size(session, chosen)
    return audience_picker.picker_screen(chosen, _, on.AUDIENCE, sizes, view=view, heading=_("Who should be invited?"))


async def ask(update: Update, context: AppContext, draft: Draft, _: Translator) -> None:
    """Sends the question the draft is on, as a new message (the preview is several)."""
    form = drafts.read(draft, EventForm)
    if draft.step == "preview":
        await send_preview(update, context, form, _)
    elif draft.step == "audience":
        await reply(update, *await audience_screen(context, form, _))
    elif draft.step == "reminders":
        await reply(update, *reminders_screen(form, context.now(), _))
    else:
        await reply(update, *step_screen(draft.step, form, _))


async def go_on(update: Update, context: AppContext, draft: Draft | None, _: Translator, note: str = "") -> None:
    """After a button answered the conversation: the pressed question loses its buttons, `note` is said, and the
    question the draft is now on follows; with no draft (the button was not for where the conversation is), the
    press is out of date."""
    if draft is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await drop_buttons(update)
    if note:
        await reply(update, note)
    await ask(update, context, draft, _)


async def draft_event(context: AppContext, form: EventForm) -> tuple[Event, dict[str, int]]:
    """The draft's event row and how many members its audience has, per language."""
    async with context.services.db.session() as session:
        event = await events.get(session, form.event_id)
        sizes = await audiences.size(session, Audience.from_json(event.audience))
    return event, sizes


async def send_preview(update: Update, context: AppContext, form: EventForm, _: Translator) -> None:
    """The invitation in each language exactly as members will get it, then the rest and the actions."""
    event, sizes = await draft_event(context, form)
    await reply(update, _("<b>Preview</b>: this is the invitation exactly as members will see it, in each language."))
    for language in LANGUAGES:
        reader = translator(language)
        await reply(update, event_text.invitation_text(event, reader), keyboard(preview_buttons(event, reader)))
    await reply(update, *summary_screen(event, sizes, context.now(), _))


async def arrive(session, draft: Draft, telegram_id: int, now: datetime) -> None:
    """On reaching the preview, the answers are written to the event row the preview shows."""
    if draft.step == "preview":
        form = drafts.read(draft, EventForm)
        event = await events.save_draft(session, asdict(form), created_by=telegram_id, now=now)
        drafts.write(draft, replace(form, event_id=event.id, editing=None), step="preview", now=now)


async def begin(update: Update, context: AppContext, member: Member, _: Translator) -> None:
    uid = update.effective_user.id
    async with context.unit_of_work() as session:
        old = await drafts.get(session, uid, KIND)
        if old is not None:
            await events.discard_draft(session, drafts.read(old, EventForm).event_id)
        data = events.new_draft_data(member.language, context.settings.timezone)
        draft = await drafts.begin(session, uid, KIND, step=wizard_order(member.language)[0], data=data,
                                   now=context.now())
    await reply(update, _("<b>New event</b>\nI will ask a few questions. You will see the invitation before "
                          "anything is sent, and you can correct every answer."))
    await ask(update, context, draft, _)


@coordinator_only
async def new_event(update: Update, context: AppContext, _: Translator) -> None:
    """Starts the guided creation of an event, or offers to continue an unfinished one."""
    member = await load_member(context, update.effective_user.id)
    if member is None or member.registered_at is None:
        await reply(update, _("Send /start to register."))
        return
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
    if draft is None:
        await begin(update, context, member, _)
        return
    await reply(update, *unfinished_screen(drafts.read(draft, EventForm), _))


@on_input(KIND)
@coordinator_only
async def wizard_input(update: Update, context: AppContext, _: Translator, draft: Draft) -> None:
    """Takes a typed answer (or a map location) for the question the draft is on."""
    step, form, now = draft.step, drafts.read(draft, EventForm), context.now()
    if step in BUTTON_STEPS:
        await reply(update, _("Please choose one of the buttons."))
        if step == "preview":
            await reply(update, *summary_screen(*await draft_event(context, form), now, _))
        else:
            await ask(update, context, draft, _)
        return
    values = await typed_values(update, step, form.start, form.reminder_minutes, ZoneInfo(form.timezone), now, _)
    if values is None:
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft is None or draft.step != step:
            return
        form = drafts.read(draft, EventForm)
        answered = replace(form, **values)
        # A typed reminder is added to the list on the screen, which is asked again.
        drafts.write(draft, answered, step=step if step == "reminders" else next_step(step, answered), now=now)
        await arrive(session, draft, update.effective_user.id, now)
    await ask(update, context, draft, _)
