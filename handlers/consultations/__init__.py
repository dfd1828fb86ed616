"""Consultations: members (or a table's note-taker) give needs by theme; coordinators sort, merge and export them.

Callback data: `cs:*` are members' buttons, `csa:*` coordinators' (checked on the server every time).
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

import handlers.consultations.giving as giving
import handlers.consultations.opening as opening
import handlers.consultations.sharing as sharing
import handlers.consultations.sorting as sorting


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler(["consult", "inputs"], sorting.list_consultations, filters=private))
    app.add_handler(CallbackQueryHandler(giving.view, pattern=r"^cs:(view|table):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(giving.choose_theme, pattern=r"^cs:(t|tt):(\d{1,9}):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(giving.cancel_input, pattern=r"^cs:cancel:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(giving.show_mine, pattern=r"^cs:mine:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(giving.delete_mine, pattern=r"^cs:del:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(sorting.list_consultations, pattern=r"^csa:list$"))
    app.add_handler(CallbackQueryHandler(opening.new_consultation, pattern=r"^csa:new$"))
    app.add_handler(CallbackQueryHandler(opening.form_button, pattern=r"^csa:f:(skip|same):(\w{1,16})$"))
    app.add_handler(CallbackQueryHandler(opening.form_button, pattern=r"^csa:f:(ev):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(opening.form_button, pattern=r"^csa:f:(cancel|preset|noclose)()$"))
    app.add_handler(CallbackQueryHandler(sorting.view_admin, pattern=r"^csa:view:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(sorting.set_open, pattern=r"^csa:(open|close):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(sorting.grouped, pattern=r"^csa:g:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(sorting.theme_page, pattern=r"^csa:t:(\d{1,9}):(\d{1,9}):(\d{1,4})$"))
    app.add_handler(CallbackQueryHandler(sorting.view_input, pattern=r"^csa:i:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(sorting.pick_theme, pattern=r"^csa:mv:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(sorting.move, pattern=r"^csa:mvt:(\d{1,9}):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(sorting.pick_duplicate, pattern=r"^csa:mg:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(sorting.merge, pattern=r"^csa:mgi:(\d{1,9}):(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(sorting.unmerge, pattern=r"^csa:um:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(sorting.listen, pattern=r"^csa:v:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(sharing.export, pattern=r"^csa:x:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(sharing.ask, pattern=r"^csa:(ask|askgo):(\d{1,9})$"))
