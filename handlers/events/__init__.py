"""Events from the coordinator's side: /newevent (a guided conversation kept in a draft, a preview of the
invitation, publishing), /events with answers and check-ins, and changing, postponing or cancelling a
published event. Members' /events lists the events they were invited to, with their answers.

`screens` draws the coordinator's messages from plain data; `new`, `wizard` and `preview` are /newevent,
`listing` is /events, `changes` is a published event's edits, postponement and cancellation. Members'
answers (`rsvp`), reminders, check-in and the attendance report are handlers of their own, registered by
`handlers.register_all` in the order it needs."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from handlers.events.changes import manage_button
from handlers.events.listing import open_invitation, show_events
from handlers.events.new import new_event
from handlers.events.wizard import wizard_button


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("newevent", new_event, filters=private))
    app.add_handler(CommandHandler("events", show_events, filters=private))
    app.add_handler(CallbackQueryHandler(wizard_button, pattern=r"^evn:"))
    app.add_handler(CallbackQueryHandler(manage_button, pattern=r"^evm:"))
    app.add_handler(CallbackQueryHandler(open_invitation, pattern=r"^evl:open:(\d{1,9})$"))
