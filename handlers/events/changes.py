"""A published event changed by a coordinator: editing a field, postponing, and cancelling, each confirmed
before members who answered are told."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from telegram import Update

from bot import event_text
from bot.context import AppContext
from bot.i18n import N_, Translator
from bot.models import Draft, Event
from bot.services import drafts, events, reminders, rsvps
from handlers.ui.answers import on_press
from handlers.ui.common import answer_stale, coordinator_only, reply
from handlers.ui.drafts import on_input
import handlers.events.callbacks as on
import handlers.events.reminders as reminder_jobs
import handlers.events.redraws as redraws
from handlers.events.forms import EditForm
from handlers.events.inplace import drop_buttons, show
from handlers.events.invitation import promotion_content
from handlers.events.screens import (
    EDIT_FIELDS,
    EDIT_KIND,
    INVALID,
    NOTICES,
    cancel_content,
    cancel_screen,
    confirm_screen,
    edit_menu,
    edit_prompt,
    invitation_content,
    told_text,
    update_content,
)
from handlers.events.shared import alert, details, load_event, typed_values

CLOSED = N_("This event is cancelled or over, so it can no longer be changed.")
CLEARED = {"location": {"latitude": None, "longitude": None}, "capacity": {"capacity": None}}


async def _open_event(update: Update, context: AppContext, _: Translator) -> Event | None:
    """The pressed button's event if it can still be changed; otherwise tells the coordinator why not."""
    event, _counts = await load_event(context, int(context.match.group(1)))
    if event is None or event.status == events.DRAFT:
        await answer_stale(update, _)
        return None
    if not events.is_open(event, context.now()):
        await alert(update, _(CLOSED))
        return None
    return event


def while_open(handler: Callable[[Update, AppContext, Translator, Event], Awaitable[None]]):
    """A coordinator's button on an event (its id the button's first value) that works only while the event can
    still be changed; otherwise the coordinator is told why not. Called as `handler(update, context, _, event)`."""

    @coordinator_only
    @functools.wraps(handler)
    async def checked(update: Update, context: AppContext, _: Translator) -> None:
        event = await _open_event(update, context, _)
        if event is not None:
            await handler(update, context, _, event)

    return checked


@on_press(on.EDIT)
@while_open
async def edit(update: Update, context: AppContext, _: Translator, event: Event) -> None:
    """Lists the fields of the event that can be changed."""
    await update.callback_query.answer()
    await show(update, *edit_menu(event, _))


async def _start_change(update: Update, context: AppContext, _: Translator, code: str, postpone: bool) -> None:
    """Asks for the new value of one field (or the new start, when postponing)."""
    if code not in EDIT_FIELDS:
        await answer_stale(update, _)
        return
    event = await _open_event(update, context, _)
    if event is None:
        return
    step, form = EDIT_FIELDS[code][1], EditForm(event_id=event.id, field=code, postpone=postpone)
    async with context.unit_of_work() as session:
        await drafts.begin(session, update.effective_user.id, EDIT_KIND, step=step, data=asdict(form),
                           now=context.now())
    await update.callback_query.answer()
    await drop_buttons(update)
    await reply(update, *edit_prompt(step, form, event, _))


@on_press(on.EDIT_FIELD)
@coordinator_only
async def change_field(update: Update, context: AppContext, _: Translator) -> None:
    """Asks for the new value of the field pressed."""
    await _start_change(update, context, _, context.match.group(2), postpone=False)


@on_press(on.POSTPONE)
@coordinator_only
async def postpone(update: Update, context: AppContext, _: Translator) -> None:
    """Asks for the new start (then the end) of the event."""
    await _start_change(update, context, _, "time", postpone=True)


async def _pending(session, telegram_id: int, event_id: int) -> Draft | None:
    """The coordinator's change under way to this event, if any."""
    draft = await drafts.get(session, telegram_id, EDIT_KIND)
    return draft if draft is not None and drafts.read(draft, EditForm).event_id == event_id else None


async def _stage(update: Update, context: AppContext, _: Translator, event: Event, step: str, values: dict) -> None:
    """Keeps a typed (or cleared) value aside and asks the coordinator to confirm it; a new start asks for the
    end first."""
    async with context.unit_of_work() as session:
        draft = await _pending(session, update.effective_user.id, event.id)
        if draft is None or draft.step != step:
            return
        form = drafts.read(draft, EditForm)
        if step == "start":
            form, step = replace(form, **values), "end"
        else:
            kept = {"starts_at": form.starts_at} if form.field == "time" else {}
            form, step = replace(form, values={**kept, **values}), None
        drafts.write(draft, form, step=step, now=context.now())
        answered = await events.count_answered(session, event.id)
    if step == "end":
        await reply(update, *edit_prompt("end", form, event, _))
    else:
        await reply(update, *confirm_screen(event, form, answered, _))


@on_input(EDIT_KIND)
@coordinator_only
async def edit_input(update: Update, context: AppContext, _: Translator, draft: Draft) -> None:
    """Takes the typed new value (or map location) of a published event's field."""
    form = drafts.read(draft, EditForm)
    event, _counts = await load_event(context, form.event_id)
    if event is None or not events.is_open(event, context.now()):
        async with context.unit_of_work() as session:
            await drafts.discard(session, update.effective_user.id, EDIT_KIND)
        await reply(update, _(CLOSED))
        return
    values = await typed_values(update, draft.step, form.start, [], event_text.zone(event), context.now(), _,
                                event.seats_taken)
    if values is not None:
        await _stage(update, context, _, event, draft.step, values)


@on_press(on.CLEAR)
@while_open
async def clear(update: Update, context: AppContext, _: Translator, event: Event) -> None:
    """'No map location' / 'No limit' while changing a published event."""
    async with context.services.db.session() as session:
        draft = await _pending(session, update.effective_user.id, event.id)
    if draft is None or draft.step not in CLEARED:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await drop_buttons(update)
    await _stage(update, context, _, event, draft.step, CLEARED[draft.step])


@on_press(on.STOP)
@coordinator_only
async def stop(update: Update, context: AppContext, _: Translator) -> None:
    """Leaves the event as it was and shows it again."""
    event_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        if await _pending(session, update.effective_user.id, event_id) is not None:
            await drafts.discard(session, update.effective_user.id, EDIT_KIND)
    if not await details(update, context, event_id, _):
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("Nothing was changed."))


@dataclass
class Saved:
    """What saving a change did: the change itself, members told, members given a seat, invitations to redraw."""

    change: events.Change
    told: int = 0
    promoted: list = field(default_factory=list)
    redraws: int = 0


async def _save_change(session, form: EditForm, chat_id: int, language: str, now: datetime) -> Saved:
    """Saves the staged values, re-plans reminders, gives waiting members freed seats and tells who answered."""
    change = await events.apply_change(session, form.event_id, form.values, now)
    if change.status != "saved":
        return Saved(change)
    event = change.event
    await reminders.plan(session, event, now)
    await events.refresh_invitations(session, event, invitation_content(event))
    saved = Saved(change)
    if form.field == "cap":
        saved.promoted = await rsvps.fill_seats(session, event, now, promotion_content)
    saved.redraws = await rsvps.event_changed(session, event.id, now)
    notice = "postpone" if form.postpone else form.field
    if notice in NOTICES:
        saved.told = await events.tell_answered(session, event, kind=events.UPDATE,
                                                content=update_content(event, NOTICES[notice]),
                                                coordinator_chat=chat_id, language=language, now=now)
    return saved


@on_press(on.SAVE)
@coordinator_only
async def save(update: Update, context: AppContext, _: Translator) -> None:
    """Saves a confirmed change, re-plans reminders, and tells the members who answered."""
    event_id, uid = int(context.match.group(1)), update.effective_user.id
    saved = Saved(events.Change("not_found", None))
    async with context.unit_of_work() as session:
        draft = await _pending(session, uid, event_id)
        form = drafts.read(draft, EditForm)
        if draft is not None and draft.step is None and form.values is not None:
            saved = await _save_change(session, form, update.effective_chat.id, _.language, context.now())
            if saved.change.status == "saved":
                await drafts.discard(session, uid, EDIT_KIND)
    if saved.change.status != "saved":
        await _refused(update, saved.change, _)
        return
    await update.callback_query.answer(_("Saved."))
    await details(update, context, event_id, _)
    notes = []
    if saved.change.deadline_dropped:
        notes.append(_("The answer deadline was no longer before the start, so it was removed."))
    if saved.told:
        notes.append(told_text(saved.told, _))
    if notes:
        await reply(update, "\n".join([_("Saved."), *notes]))
    await _after_commit(context, event_id, saved)


async def _after_commit(context: AppContext, event_id: int, saved: Saved) -> None:
    """Once a change is saved: the event's reminder jobs, the outbox and members' invitations catch up."""
    await reminder_jobs.sync_jobs(context.application, event_id)
    if saved.told or saved.promoted:
        context.services.delivery.wake()
    if saved.redraws:
        redraws.redraw_soon(context.application)


async def _refused(update: Update, change: events.Change, _: Translator) -> None:
    """Why a confirmed change could not be saved after all."""
    if change.event is None:
        await answer_stale(update, _)
    elif change.status == "closed":
        await alert(update, _(CLOSED))
    else:
        await alert(update, _(INVALID[change.status]).format(taken=_.number(change.event.seats_taken)))


@on_press(on.CANCEL)
@while_open
async def cancel(update: Update, context: AppContext, _: Translator, event: Event) -> None:
    """Asks whether to cancel the event, saying how many members who answered will be told."""
    async with context.services.db.session() as session:
        answered = await events.count_answered(session, event.id)
    await update.callback_query.answer()
    await show(update, *cancel_screen(event, answered, _))


async def _cancel_event(session, event_id: int, chat_id: int, language: str,
                        now: datetime) -> tuple[Event | None, Saved | None]:
    """Cancels the event if it is still open: (the event as it was, what cancelling did or None)."""
    current = await events.get(session, event_id)
    event = await events.cancel(session, event_id, now) if current and events.is_open(current, now) else None
    if event is None:
        return current, None
    await reminders.plan(session, event, now)
    saved = Saved(events.Change("saved", event), redraws=await rsvps.event_changed(session, event_id, now))
    saved.told = await events.tell_answered(session, event, kind=events.CANCELLATION, content=cancel_content(event),
                                            coordinator_chat=chat_id, language=language, now=now)
    return current, saved


@on_press(on.CANCEL_CONFIRMED)
@coordinator_only
async def cancel_confirmed(update: Update, context: AppContext, _: Translator) -> None:
    """Cancels the event: members who answered are told, reminders stop, unsent invitations are dropped."""
    event_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        current, saved = await _cancel_event(session, event_id, update.effective_chat.id, _.language, context.now())
    if current is None or current.status == events.DRAFT:
        await answer_stale(update, _)
        return
    if saved is None:
        await alert(update, _(CLOSED))
        return
    await update.callback_query.answer(_("The event has been cancelled."))
    await details(update, context, event_id, _)
    await reply(update, _("The event has been cancelled.") + ("\n" + told_text(saved.told, _) if saved.told else ""))
    await _after_commit(context, event_id, saved)

