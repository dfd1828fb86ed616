"""Outreach: coordinators' broadcasts and policy briefs, and the delivery status of what went out.

Callback data: see the table in `handlers/ui/callbacks.py`.
"""

from __future__ import annotations

from telegram.ext import Application

import handlers.outreach.briefs as briefs
import handlers.outreach.broadcasts as broadcasts


def register(app: Application) -> None:
    broadcasts.register(app)
    briefs.register(app)
