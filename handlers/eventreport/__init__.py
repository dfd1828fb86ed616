"""The event report: both languages, as Word and PDF files, written from what the bot collected (attendance,
working-group interest, surveys with members' own words, consultation inputs, organisations). It goes by itself
to the event's coordinators within a minute of the event's end (automatic.py), and on request with
/eventreport (sending.py); the coordinator reviews it and may push the PDF as a brief, to the event's
attendees or to any audience. The document itself: document.py; messages: screens.py.

Callback data: every button's route is in `callbacks.py`.
"""

from __future__ import annotations

from telegram.ext import Application

import handlers.eventreport.automatic as automatic
import handlers.eventreport.sending as sending


def register(app: Application) -> None:
    automatic.register(app)
    sending.register(app)
