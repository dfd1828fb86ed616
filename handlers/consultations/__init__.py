"""Consultations: members (or a table's note-taker) give needs by theme; coordinators sort, merge and export them.

The buttons are declared in `callbacks.py`: `consult:…` are members', `consult-admin:…` coordinators' (checked on
the server every time); each handler names the buttons it answers (`@on_press`).
"""

from __future__ import annotations

from telegram.ext import Application, CommandHandler, filters

import handlers.consultations.giving as giving
import handlers.consultations.opening as opening
import handlers.consultations.sharing as sharing
import handlers.consultations.sorting as sorting
from handlers.ui.answers import add_presses


def register(app: Application) -> None:
    app.add_handler(CommandHandler(["consult", "inputs"], sorting.list_consultations, filters=filters.ChatType.PRIVATE))
    add_presses(app, giving, sorting, opening, sharing)
