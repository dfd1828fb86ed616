"""Surveys: coordinators upload an XLSForm or build a short survey in the chat, choose who gets it and
send it (now, or when an event ends); members answer one question at a time in their language;
/results shows counts, charts and the Kobo-style export.

A question answered with a button gives way to the next one in the same message (one edit a press); a
question to be answered by typing comes as a new message, the member's reply goes below it, and it then
stays in the chat as a record of the answer, as does the question answered just before it.

Every button's data is made, and every press routed, by the routes of `handlers/surveys/callbacks.py`.
"""

from __future__ import annotations

import asyncio

from telegram.ext import Application, CommandHandler, filters

import handlers.surveys.callbacks as routes
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
    app.add_handlers(routes.on_press(
        (routes.START, start_survey), (routes.CHANGE, change_answers), (routes.ANSWER, on_answer_button),
        (routes.EXAMPLE, send_example), (routes.CANCEL_NEW, cancel_new),
        (routes.BUILD, build_new), (routes.BUILD_KIND, build_kind), (routes.BUILD_FINISH, build_finish),
        (routes.AUDIENCE, pick_audience), (routes.SEND, send_survey), (routes.BACK, manage_back), (routes.MANAGE, manage),
        (routes.RESULTS, survey_results), (routes.RESULTS_PAGE, results_page), (routes.UNSENT, unsent_surveys),
        (routes.CHARTS, send_charts), (routes.EXPORT, send_export)))
