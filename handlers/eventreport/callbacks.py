"""Every button of the event report."""

from __future__ import annotations

from handlers.ui.callbacks import ID, Route

EVENT = Route("report", "ev", ID)                  # write the report of this event
BRIEF = Route("report", "br", ID, r"([am])")       # push it as a brief: to the attendees (a) or other members (m)
