"""Every feature's handlers, added in a deliberate order."""

from __future__ import annotations

from telegram.ext import Application

from handlers import admin, consultations, eventreport, events, groups, outreach, registration, surveys, system
from handlers.ui.router import route_presses


def register_all(app: Application) -> None:
    """Adds every handler.

    Repeated updates never get here (the inbox drops them). In group 0 the first matching handler wins, so
    commands and buttons come first and the catch-alls for typed text and unknown buttons come last. A press
    is then matched only against the buttons of its prefix (handlers.ui.router).
    """
    system.register(app)
    registration.register(app)
    admin.register(app)
    for feature in (events, outreach, groups, consultations, surveys, eventreport):
        feature.register(app)
    registration.register_fallbacks(app)
    route_presses(app)
