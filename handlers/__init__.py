"""Telegram handlers, one module per feature. `register_all` wires them in a deliberate order."""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    admin,
    attendance_report,
    briefs,
    broadcasts,
    checkin,
    consultations,
    events_admin,
    eventreport,
    groups,
    polls,
    profile,
    registration,
    reminders,
    rsvp,
    surveys,
    system,
)


def register_all(app: Application) -> None:
    """Adds every handler.

    Repeated updates never get here (the inbox drops them). In group 0 the first matching handler wins, so
    commands and buttons come first and the catch-alls for typed text and unknown buttons come last.
    """
    system.register(app)
    registration.register(app)
    profile.register(app)
    admin.register(app)
    for feature in (reminders, rsvp, broadcasts, briefs, checkin, attendance_report, events_admin, groups,
                    consultations, surveys, polls):
        feature.register(app)
    eventreport.register(app)
    registration.register_fallbacks(app)
