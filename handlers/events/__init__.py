"""Events from the coordinator's side: /newevent (a guided conversation kept in a draft, a preview of the
invitation, publishing), /events with answers and check-ins, and changing, postponing or cancelling a
published event. Members' /events lists the events they were invited to, with their answers.

`callbacks` names every button and `forms` the answers each conversation keeps. `screens`, `invitation` and
`checkin_screens` draw what coordinators and members see from plain data (no I/O); `new`, `wizard` and
`preview` are /newevent, `listing` is /events, `changes` is a published event's edits, postponement and
cancellation. Members' answers (`rsvp`, with `redraws` keeping their invitations up to date), reminders,
check-in and the attendance report are handlers of their own, registered first."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import AppContext
from bot.i18n import Translator
from handlers.ui.answers import add_presses
from handlers.ui.common import answer_stale, coordinator_only
import handlers.events.callbacks as on
from handlers.events import attendance, changes, checkin, listing, preview, reminders, rsvp, wizard
from handlers.events.listing import show_events
from handlers.events.new import new_event


@coordinator_only
async def out_of_date(update: Update, context: AppContext, _: Translator) -> None:
    """A coordinator's events button that none of the handlers takes (made by an earlier version, or forged)."""
    await answer_stale(update, _)


def register(app: Application) -> None:
    for part in (reminders, rsvp, checkin, attendance):
        part.register(app)
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("newevent", new_event, filters=private))
    app.add_handler(CommandHandler("events", show_events, filters=private))
    add_presses(app, wizard, preview, listing, changes)
    # After every button of theirs: anything else under these prefixes.
    app.add_handler(CallbackQueryHandler(out_of_date, pattern=on.NEW.pattern))
    app.add_handler(CallbackQueryHandler(out_of_date, pattern=on.MANAGE.pattern))
