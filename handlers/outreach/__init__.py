"""Outreach: coordinators' broadcasts and policy briefs, members' reactions to briefs, and the delivery status of
what went out.

Callback data: every button's route is in `callbacks.py`.
"""

from __future__ import annotations

from telegram.ext import Application

import handlers.outreach.briefs as briefs
import handlers.outreach.broadcasts as broadcasts
import handlers.outreach.reactions as reactions


def register(app: Application) -> None:
    broadcasts.register(app)
    briefs.register(app)
    reactions.register(app)
