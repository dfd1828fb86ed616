"""/newevent: starting or resuming the guided conversation, the typed answers, and each question in turn up
to the preview of the invitation."""

from __future__ import annotations

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
from bot.text import esc
from handlers.ui import audience_picker
from handlers.ui.common import button, coordinator_and_translator as _coordinator, keyboard, reply
from handlers.ui.drafts import on_input
from handlers.events.screens import (
    BUTTON_STEPS,
    KIND,
    PICKER,
    next_step,
    preview_buttons,
    reminders_screen,
    step_screen,
    summary_screen,
    wizard_order,
)
from handlers.events.shared import typed_values


async def audience_screen(context: AppContext, data: dict, _: Translator, view: str = audience_picker.MAIN):
    chosen = Audience.from_json(data.get("audience"))
    async with context.services.db.session() as session:
        sizes = await audiences.size(session, chosen)
    return audience_picker.picker_screen(chosen, _, PICKER, sizes, view=view, heading=_("Who should be invited?"))


async def ask(update: Update, context: AppContext, draft: Draft, _: Translator) -> None:
    """Sends the question the draft is on, as a new message (the preview is several)."""
    if draft.step == "preview":
        await send_preview(update, context, draft, _)
        return
    if draft.step == "audience":
        await reply(update, *await audience_screen(context, draft.data, _))
        return
    if draft.step == "reminders":
        await reply(update, *reminders_screen(draft.data, context.now(), _))
        return
    await reply(update, *step_screen(draft.step, draft.data, _))


async def draft_event(context: AppContext, draft: Draft) -> tuple[Event, dict[str, int]]:
    """The draft's event row and how many members its audience has, per language."""
    async with context.services.db.session() as session:
        event = await events.get(session, draft.data["event_id"])
        sizes = await audiences.size(session, Audience.from_json(event.audience))
    return event, sizes


async def send_preview(update: Update, context: AppContext, draft: Draft, _: Translator) -> None:
    """The invitation in each language exactly as members will get it, then the rest and the actions."""
    event, sizes = await draft_event(context, draft)
    await reply(update, _("<b>Preview</b>: this is the invitation exactly as members will see it, in each language."))
    for language in LANGUAGES:
        reader = translator(language)
        await reply(update, event_text.invitation_text(event, reader), keyboard(preview_buttons(event, reader)))
    await reply(update, *summary_screen(event, sizes, context.now(), _))


async def arrive(session, draft: Draft, telegram_id: int, now: datetime) -> None:
    """On reaching the preview, the answers are written to the event row the preview shows."""
    if draft.step == "preview":
        event = await events.save_draft(session, draft.data, created_by=telegram_id, now=now)
        drafts.advance(draft, step="preview", now=now, event_id=event.id, editing=None)


async def begin(update: Update, context: AppContext, member: Member, _: Translator) -> None:
    uid = update.effective_user.id
    async with context.unit_of_work() as session:
        old = await drafts.get(session, uid, KIND)
        if old is not None:
            await events.discard_draft(session, (old.data or {}).get("event_id"))
        data = events.new_draft_data(member.language, context.settings.timezone)
        draft = await drafts.begin(session, uid, KIND, step=wizard_order(member.language)[0], data=data,
                                   now=context.now())
    await reply(update, _("<b>New event</b>\nI will ask a few questions. You will see the invitation before "
                          "anything is sent, and you can correct every answer."))
    await ask(update, context, draft, _)


async def new_event(update: Update, context: AppContext) -> None:
    """Starts the guided creation of an event, or offers to continue an unfinished one."""
    allowed = await _coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    if member is None or member.registered_at is None:
        await reply(update, _("Send /start to register."))
        return
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
    if draft is None:
        await begin(update, context, member, _)
        return
    title = draft.data.get(f"title_{draft.data.get('first', 'en')}") or ""
    text = _("You have an unfinished event. Continue it, or start again?")
    if title:
        text += f"\n\n<b>{esc(title)}</b>"
    await reply(update, text, keyboard([[button("▶ " + _("Continue"), "evn:resume"),
                                         button("🔄 " + _("Start again"), "evn:restart")]]))


@on_input(KIND)
async def wizard_input(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes a typed answer (or a map location) for the question the draft is on."""
    allowed = await _coordinator(update, context)
    if allowed is None:
        return
    _member, _ = allowed
    step, data = draft.step, draft.data
    tz, now = ZoneInfo(data["timezone"]), context.now()
    if step in BUTTON_STEPS:
        await reply(update, _("Please choose one of the buttons."))
        if step == "preview":
            await reply(update, *summary_screen(*await draft_event(context, draft), now, _))
        else:
            await ask(update, context, draft, _)
        return
    values = await typed_values(update, step, data, tz, now, _)
    if values is None:
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft is None or draft.step != step:
            return
        # A typed reminder is added to the list on the screen, which is asked again.
        drafts.advance(draft, step=step if step == "reminders" else next_step(step, draft.data), now=now, **values)
        await arrive(session, draft, update.effective_user.id, now)
    await ask(update, context, draft, _)
