"""Surveys: coordinators upload an XLSForm or build a short survey in the chat, choose who gets it and
send it (now, or when an event ends); members answer one question at a time in their language;
/results shows counts, charts and the Kobo-style export.

A question answered with a button gives way to the next one in the same message (one edit a press); a
question to be answered by typing comes as a new message, the member's reply goes below it, and it then
stays in the chat as a record of the answer, as does the question answered just before it.

Callback data: `sv:*` members answering, `svn:*`/`svb:*` defining, `svm:*` managing, `rs:*` results.
"""

from __future__ import annotations

import asyncio

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from handlers import system
from handlers.surveys.answering import change_answers, my_surveys, on_answer_button, start_survey
from handlers.surveys.defining import build_finish, build_kind, build_new, cancel_new, new_survey, send_example
from handlers.surveys.managing import LOCK_KEY, manage, manage_back, pick_audience, rebuild_jobs, send_survey
from handlers.surveys.results import (
    results_menu,
    results_page,
    send_charts,
    send_export,
    survey_results,
    unsent_surveys,
)

# The leader rebuilds the scheduled pass from the survey rows when it takes the lead.
system.on_start(rebuild_jobs)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.bot_data[LOCK_KEY] = asyncio.Lock()
    app.add_handler(CommandHandler("surveys", my_surveys, filters=private))
    app.add_handler(CommandHandler("newsurvey", new_survey, filters=private))
    app.add_handler(CommandHandler("results", results_menu, filters=private))
    app.add_handler(CallbackQueryHandler(start_survey, pattern=r"^sv:start:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(change_answers, pattern=r"^sv:edit:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(on_answer_button, pattern=r"^sv:([ctdsnb]):(\d{1,9}):(\d{1,3})(?::(\d{1,3}))?$"))
    app.add_handler(CallbackQueryHandler(send_example, pattern=r"^svn:example$"))
    app.add_handler(CallbackQueryHandler(cancel_new, pattern=r"^svn:cancel$"))
    app.add_handler(CallbackQueryHandler(build_new, pattern=r"^svb:new$"))
    app.add_handler(CallbackQueryHandler(build_kind, pattern=r"^svb:kind:(select_one|rating|text)$"))
    app.add_handler(CallbackQueryHandler(build_finish, pattern=r"^svb:finish$"))
    app.add_handler(CallbackQueryHandler(pick_audience, pattern=r"^svm:a:(\d{1,9}):"))
    app.add_handler(CallbackQueryHandler(send_survey, pattern=r"^svm:send:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(manage_back, pattern=r"^svm:back:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(
        manage, pattern=r"^svm:(aud|evs|ev|rem|cat|noclose|del|end):(\d{1,9})(?::(\d{1,9}))?$"))
    app.add_handler(CallbackQueryHandler(survey_results, pattern=r"^rs:sv:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(results_page, pattern=r"^rs:pg:(\d{1,6})$"))
    app.add_handler(CallbackQueryHandler(unsent_surveys, pattern=r"^rs:dr:(\d{1,6})$"))
    app.add_handler(CallbackQueryHandler(send_charts, pattern=r"^rs:ch:(\d{1,9})$"))
    app.add_handler(CallbackQueryHandler(send_export, pattern=r"^rs:x:(\d{1,9}):(en|km)$"))
