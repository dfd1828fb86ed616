"""A published event changed by a coordinator: editing a field, postponing, and cancelling, each confirmed
before members who answered are told."""

from __future__ import annotations

import re

from telegram import Update

from bot import event_text
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft, Event
from bot.services import drafts, events, reminders, rsvps
from bot.text import esc
from handlers.ui.common import answer_stale, button, coordinator_and_translator as _coordinator, keyboard, reply
from handlers.ui.drafts import on_input
import handlers.events.listing as listing
import handlers.events.reminders as reminder_jobs
import handlers.events.rsvp as rsvp_screens
from handlers.events.inplace import show
from handlers.events.screens import (
    EDIT_FIELDS,
    EDIT_KIND,
    INVALID,
    NOTICES,
    cancel_content,
    confirm_screen,
    edit_menu,
    edit_prompt,
    update_content,
)
from handlers.events.shared import WizardHandler, alert, details, drop_buttons, load_event, typed_values


async def manage_button(update: Update, context: AppContext) -> None:
    """Every coordinator button on a published event; each re-checks the event and its state."""
    allowed = await _coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    data = update.callback_query.data
    for pattern, handler in MANAGE_BUTTONS:
        match = re.fullmatch(pattern, data)
        if match:
            await handler(update, context, member, _, match)
            return
    await answer_stale(update, _)


async def _open_event(update: Update, context: AppContext, _: Translator, event_id: int) -> Event | None:
    """The event if it can still be changed; otherwise tells the coordinator why not."""
    event, _counts = await load_event(context, event_id)
    if event is None or event.status == events.DRAFT:
        await answer_stale(update, _)
        return None
    if not events.is_open(event, context.now()):
        await alert(update, _("This event is cancelled or over, so it can no longer be changed."))
        return None
    return event


async def _edit(update, context, member, _, match) -> None:
    event = await _open_event(update, context, _, int(match.group(1)))
    if event is None:
        return
    await update.callback_query.answer()
    await show(update, *edit_menu(event, _))


async def _start_change(update: Update, context: AppContext, _: Translator, event_id: int, code: str,
                        postpone: bool = False) -> None:
    event = await _open_event(update, context, _, event_id)
    if event is None:
        return
    step = EDIT_FIELDS[code][1]
    data = {"event_id": event.id, "field": code, "postpone": postpone}
    async with context.unit_of_work() as session:
        await drafts.begin(session, update.effective_user.id, EDIT_KIND, step=step, data=data, now=context.now())
    await update.callback_query.answer()
    await drop_buttons(update)
    await reply(update, *edit_prompt(step, data, event, _))


async def _field_change(update, context, member, _, match) -> None:
    await _start_change(update, context, _, int(match.group(1)), match.group(2))


async def _postpone(update, context, member, _, match) -> None:
    await _start_change(update, context, _, int(match.group(1)), "time", postpone=True)


async def _pending(session, telegram_id: int, event_id: int) -> Draft | None:
    draft = await drafts.get(session, telegram_id, EDIT_KIND)
    if draft is None or draft.data.get("event_id") != event_id:
        return None
    return draft


async def _stage(update: Update, context: AppContext, _: Translator, event: Event, draft_step: str,
                 values: dict) -> None:
    """Keeps a typed (or cleared) value aside and asks the coordinator to confirm it."""
    uid = update.effective_user.id
    async with context.unit_of_work() as session:
        draft = await _pending(session, uid, event.id)
        if draft is None or draft.step != draft_step:
            return
        if draft_step == "start":
            drafts.advance(draft, step="end", now=context.now(), **values)
        else:
            staged = {**({"starts_at": draft.data["starts_at"]} if draft.data["field"] == "time" else {}), **values}
            drafts.advance(draft, step=None, now=context.now(), values=staged)
        answered = await events.count_answered(session, event.id)
    if draft.step == "end":
        await reply(update, *edit_prompt("end", draft.data, event, _))
    else:
        await reply(update, *confirm_screen(event, draft.data, answered, _))


@on_input(EDIT_KIND)
async def edit_input(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes the typed new value (or map location) of a published event's field."""
    allowed = await _coordinator(update, context)
    if allowed is None:
        return
    _member, _ = allowed
    event, _counts = await load_event(context, draft.data["event_id"])
    if event is None or not events.is_open(event, context.now()):
        async with context.unit_of_work() as session:
            await drafts.discard(session, update.effective_user.id, EDIT_KIND)
        await reply(update, _("This event is cancelled or over, so it can no longer be changed."))
        return
    values = await typed_values(update, draft.step, draft.data, event_text.zone(event), context.now(), _,
                                event.seats_taken)
    if values is not None:
        await _stage(update, context, _, event, draft.step, values)


async def _clear(update, context, member, _, match) -> None:
    """'No map location' / 'No limit' while changing a published event."""
    event = await _open_event(update, context, _, int(match.group(1)))
    if event is None:
        return
    async with context.services.db.session() as session:
        draft = await _pending(session, update.effective_user.id, event.id)
    cleared = {"location": {"latitude": None, "longitude": None}, "capacity": {"capacity": None}}
    if draft is None or draft.step not in cleared:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await drop_buttons(update)
    await _stage(update, context, _, event, draft.step, cleared[draft.step])


async def _stop(update, context, member, _, match) -> None:
    """Leaves the event as it was and shows it again."""
    event_id = int(match.group(1))
    async with context.unit_of_work() as session:
        if await _pending(session, update.effective_user.id, event_id) is not None:
            await drafts.discard(session, update.effective_user.id, EDIT_KIND)
    if not await details(update, context, event_id, _):
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("Nothing was changed."))


async def _save(update, context, member, _, match) -> None:
    """Saves a confirmed change, re-plans reminders, and tells the members who answered."""
    event_id, uid, now = int(match.group(1)), update.effective_user.id, context.now()
    told, promoted, redraws, result = 0, [], 0, events.Change("not_found", None)
    async with context.unit_of_work() as session:
        draft = await _pending(session, uid, event_id)
        if draft is not None and draft.step is None and "values" in draft.data:
            result = await events.apply_change(session, event_id, draft.data["values"], now)
        if result.status == "saved":
            await reminders.plan(session, result.event, now)
            await events.refresh_invitations(session, result.event, event_text.invitation_content(result.event))
            if draft.data["field"] == "cap":
                promoted = await rsvps.fill_seats(session, result.event, now, rsvp_screens.promotion_content)
            redraws = await rsvps.event_changed(session, event_id, now)
            notice = "postpone" if draft.data.get("postpone") else draft.data["field"]
            if notice in NOTICES:
                told = await events.tell_answered(session, result.event, kind=events.UPDATE,
                                                  content=update_content(result.event, NOTICES[notice]),
                                                  coordinator_chat=update.effective_chat.id, language=_.language,
                                                  now=now)
            await drafts.discard(session, uid, EDIT_KIND)
    if result.status != "saved":
        await _refused(update, result, _)
        return
    await update.callback_query.answer(_("Saved."))
    await details(update, context, event_id, _)
    notes = []
    if result.deadline_dropped:
        notes.append(_("The answer deadline was no longer before the start, so it was removed."))
    if told:
        notes.append(_.ngettext("{count} member who answered is being told.",
                                "{count} members who answered are being told.", told).format(count=_.number(told)))
    if notes:
        await reply(update, "\n".join([_("Saved."), *notes]))
    await reminder_jobs.sync_jobs(context.application, event_id)
    if told or promoted:
        context.services.delivery.wake()
    if redraws:
        rsvp_screens.redraw_soon(context.application)


async def _refused(update: Update, result: events.Change, _: Translator) -> None:
    """Why a confirmed change could not be saved after all."""
    if result.event is None:
        await answer_stale(update, _)
    elif result.status == "closed":
        await alert(update, _("This event is cancelled or over, so it can no longer be changed."))
    else:
        await alert(update, _(INVALID[result.status]).format(taken=_.number(result.event.seats_taken)))


async def _cancel(update, context, member, _, match) -> None:
    event = await _open_event(update, context, _, int(match.group(1)))
    if event is None:
        return
    async with context.services.db.session() as session:
        answered = await events.count_answered(session, event.id)
    text = _("Cancel <b>{title}</b>?").format(title=esc(event_text.title(event, _.language))) + "\n\n" + _.ngettext(
        "{count} member who answered will be told, and no more reminders will be sent.",
        "{count} members who answered will be told, and no more reminders will be sent.", answered).format(
        count=_.number(answered))
    await update.callback_query.answer()
    await show(update, text, keyboard([[button("❌ " + _("Yes, cancel the event"), f"evm:cancelyes:{event.id}")],
                                       [button("◀ " + _("No, keep it"), f"evm:open:{event.id}")]]))


async def _cancel_confirmed(update, context, member, _, match) -> None:
    """Cancels the event: members who answered are told, reminders stop, unsent invitations are dropped."""
    event_id, now = int(match.group(1)), context.now()
    async with context.unit_of_work() as session:
        current = await events.get(session, event_id)
        event = await events.cancel(session, event_id, now) if current and events.is_open(current, now) else None
        told = redraws = 0
        if event is not None:
            await reminders.plan(session, event, now)
            redraws = await rsvps.event_changed(session, event_id, now)
            told = await events.tell_answered(session, event, kind=events.CANCELLATION, content=cancel_content(event),
                                              coordinator_chat=update.effective_chat.id, language=_.language, now=now)
    if current is None or current.status == events.DRAFT:
        await answer_stale(update, _)
        return
    if event is None:
        await alert(update, _("This event is cancelled or over, so it can no longer be changed."))
        return
    await update.callback_query.answer(_("The event has been cancelled."))
    await details(update, context, event_id, _)
    await reply(update, _("The event has been cancelled.") + ("\n" + _.ngettext(
        "{count} member who answered is being told.", "{count} members who answered are being told.", told).format(
        count=_.number(told)) if told else ""))
    await reminder_jobs.sync_jobs(context.application, event_id)
    if told:
        context.services.delivery.wake()
    if redraws:
        rsvp_screens.redraw_soon(context.application)


BUTTONS: list[tuple[str, WizardHandler]] = [
    (r"evm:edit:(\d{1,9})", _edit),
    (r"evm:field:(\d{1,9}):(" + "|".join(EDIT_FIELDS) + ")", _field_change),
    (r"evm:postpone:(\d{1,9})", _postpone),
    (r"evm:clear:(\d{1,9})", _clear),
    (r"evm:stop:(\d{1,9})", _stop),
    (r"evm:save:(\d{1,9})", _save),
    (r"evm:cancel:(\d{1,9})", _cancel),
    (r"evm:cancelyes:(\d{1,9})", _cancel_confirmed),
]
MANAGE_BUTTONS = listing.BUTTONS + BUTTONS
