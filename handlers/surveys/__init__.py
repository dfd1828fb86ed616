"""Surveys: coordinators upload an XLSForm or build a short survey in the chat, choose who gets it and
send it (now, or when an event ends); members answer one question at a time in their language;
/results shows counts, charts and the Kobo-style export.

A question answered with a button gives way to the next one in the same message (one edit a press); a
question to be answered by typing comes as a new message, the member's reply goes below it, and it then
stays in the chat as a record of the answer, as does the question answered just before it.

Every button's data is made by the routes of `handlers/surveys/callbacks.py`; each handler names the buttons it
answers (`@on_press`).
"""

from __future__ import annotations

import asyncio

from telegram.ext import Application, CommandHandler, filters

import handlers.surveys.answering as answering
import handlers.surveys.defining as defining
import handlers.surveys.managing as managing
import handlers.surveys.polls as polls
import handlers.surveys.results as results
from handlers import system
from handlers.ui.answers import add_presses

# The leader rebuilds the scheduled pass from the survey rows when it takes the lead.
system.on_start(managing.rebuild_jobs)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.bot_data[managing.LOCK_KEY] = asyncio.Lock()
    app.add_handler(CommandHandler("surveys", answering.my_surveys, filters=private))
    app.add_handler(CommandHandler("newsurvey", defining.new_survey, filters=private))
    app.add_handler(CommandHandler("results", results.results_menu, filters=private))
    add_presses(app, answering, defining, managing, results)
    polls.register(app)
