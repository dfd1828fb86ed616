"""The event report: attendance, survey results and open answers in one PDF, sent to coordinators.

Callback data: see the table in `handlers/ui/callbacks.py`.
"""

from __future__ import annotations

from telegram.ext import Application

import handlers.eventreport.sending as sending


def register(app: Application) -> None:
    sending.register(app)
