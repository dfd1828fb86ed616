"""Consultations: members (or a table's note-taker) give needs by theme; coordinators sort, merge and export them.

The buttons are declared in `callbacks.py`: `consult:…` are members', `consult-admin:…` coordinators' (checked on
the server every time).
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

import handlers.consultations.callbacks as to
import handlers.consultations.giving as giving
import handlers.consultations.opening as opening
import handlers.consultations.sharing as sharing
import handlers.consultations.sorting as sorting
from handlers.consultations.forms import NEW
from handlers.ui.answers import cancel_button

PRESSES = (
    (to.VIEW, giving.view),
    (to.THEME, giving.choose_theme),
    (to.CANCEL_INPUT, giving.cancel_input),
    (to.MINE, giving.show_mine),
    (to.DELETE_MINE, giving.delete_mine),
    (to.LIST, sorting.list_consultations),
    (to.NEW, opening.new_consultation),
    (to.FORM.choose, opening.form_button),
    (to.FORM.cancel, cancel_button(NEW)),
    (to.FORM_THEMES, opening.ready_themes),
    (to.FORM_EVENT, opening.choose_event),
    (to.FORM_NO_CLOSING, opening.no_closing_time),
    (to.MANAGE, sorting.view_admin),
    (to.OPEN_OR_CLOSE, sorting.set_open),
    (to.BY_THEME, sorting.grouped),
    (to.THEME_PAGE, sorting.theme_page),
    (to.INPUT, sorting.view_input),
    (to.MOVE, sorting.pick_theme),
    (to.MOVE_TO, sorting.move),
    (to.MERGE, sorting.pick_duplicate),
    (to.MERGE_INTO, sorting.merge),
    (to.UNMERGE, sorting.unmerge),
    (to.LISTEN, sorting.listen),
    (to.EXPORT, sharing.export),
    (to.ASK, sharing.ask),
)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler(["consult", "inputs"], sorting.list_consultations, filters=private))
    for route, handler in PRESSES:
        app.add_handler(CallbackQueryHandler(handler, pattern=route.pattern))
