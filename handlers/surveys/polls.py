"""/poll: a coordinator sends a quick question as a native Telegram poll, in each member's language;
answers are counted from poll_answer updates; the coordinator sees the results and closes the poll.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import replace

from telegram import InputFile, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CommandHandler, PollAnswerHandler, filters

from bot.context import AppContext, Services
from bot.i18n import N_, Translator
from bot.models import Draft
from bot.services import drafts, polls
from bot.services.audience import Audience
from bot.text import esc
import handlers.surveys.callbacks as routes
from handlers import system
from handlers.surveys.forms import PollForm
from handlers.surveys.inputs import coordinator_press, finished_form, typed_lines
from handlers.surveys.reports import poll_chart, poll_question, poll_results_screen
from handlers.surveys.screens import ask_options, ask_question, poll_preview
from handlers.surveys.words import POLL_INVALID
from handlers.ui import drafts as draft_input
from handlers.ui.answers import add_presses, on_press
from handlers.ui.common import answer_stale, coordinator_only, reply, show
from handlers.ui.composer import composer

log = logging.getLogger("sahakor.polls")

KIND = "poll"
STOP_JOB = "pl:stop"
COMPOSER = composer(KIND, routes.POLL_AUDIENCE, N_("Who should receive the poll?"))


@coordinator_only
async def start(update: Update, context: AppContext, _: Translator) -> None:
    """Starts a quick poll: first the question."""
    async with context.unit_of_work() as session:
        await drafts.begin(session, update.effective_user.id, KIND, step="question", now=context.now())
    await reply(update, *ask_question(_))


@draft_input.on_input(KIND)
@coordinator_only
async def take_text(update: Update, context: AppContext, _: Translator, draft: Draft) -> None:
    """Takes the question, then the options; then shows who will get it."""
    clean = polls.clean_question if draft.step == "question" else polls.clean_options
    value = await typed_lines(update, _, clean, POLL_INVALID, (polls.OPTIONS_MIN, polls.OPTIONS_MAX),
                              _("Please type text."))
    if value is None:
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        answers = drafts.read(draft, PollForm)
        if draft.step == "question":
            drafts.write(draft, replace(answers, question=value), step="options", now=context.now())
        else:
            drafts.write(draft, replace(answers, options=value, audience={}), step=None, now=context.now())
    if draft.step == "options":
        await reply(update, *ask_options(_))
    else:
        await COMPOSER.show_audience(update, context, Audience(), _, new=True)


@on_press(routes.POLL_AUDIENCE)
@coordinator_only
async def pick_audience(update: Update, context: AppContext, _: Translator) -> None:
    """Toggles the poll's audience; Done shows the preview."""
    done = await COMPOSER.press(update, context, _)
    if done is not None:
        draft, sizes = done
        answers = drafts.read(draft, PollForm)
        await show(update, *poll_preview(answers.question, answers.options, Audience.from_json(answers.audience),
                                         sum(sizes.values()), _))


@on_press(routes.POLL_SEND)
@coordinator_only
async def send(update: Update, context: AppContext, _: Translator) -> None:
    """Sends the poll through the outbox: one native poll per member, in their language."""
    me = update.effective_user.id
    async with context.unit_of_work() as session:
        answers = await finished_form(session, me, KIND, PollForm, None, lambda poll: bool(poll.options))
        poll = None
        if answers is not None:
            poll = await polls.create(session, question=answers.question, options=answers.options,
                                      audience=Audience.from_json(answers.audience), created_by=me, now=context.now(),
                                      status_chat_id=update.effective_chat.id, status_language=_.language)
    if poll is None:
        await answer_stale(update, _)
        return
    context.services.delivery.wake()
    await update.callback_query.answer()
    await show(update, _("📤 The poll is on its way. See the answers with /results."))


@on_press(routes.POLL_CANCEL)
@coordinator_only
async def cancel(update: Update, context: AppContext, _: Translator) -> None:
    """Drops the poll being composed."""
    async with context.unit_of_work() as session:
        await drafts.discard(session, update.effective_user.id, KIND)
    await update.callback_query.answer()
    await show(update, _("Cancelled. Nothing was sent."))


async def on_poll_answer(update: Update, context: AppContext) -> None:
    """Counts a member's vote on the poll message sent to them (votes from anyone else are ignored)."""
    answer = update.poll_answer
    if answer.user is None:
        return
    async with context.unit_of_work() as session:
        outcome = await polls.vote(session, telegram_poll_id=answer.poll_id, user_id=answer.user.id,
                                   option_ids=list(answer.option_ids), now=context.now())
    if outcome is polls.Vote.IGNORED:
        log.info("poll answer to %s from user %s ignored", answer.poll_id, answer.user.id)


# ---------------------------------------------------------------- results and closing


@on_press(routes.POLL_RESULTS, routes.POLL_RESULTS_BEFORE)
@coordinator_press(polls.results_of)
async def show_results(update: Update, context: AppContext, _: Translator, outcome: polls.PollResults) -> None:
    """Shows a poll's results with buttons for the chart and for closing it."""
    await reply(update, *poll_results_screen(outcome, _))


@on_press(routes.POLL_CHART, routes.POLL_CHART_BEFORE)
@coordinator_press(polls.results_of)
async def send_chart(update: Update, context: AppContext, _: Translator, outcome: polls.PollResults) -> None:
    """Sends the poll's results as a bar chart, labels in the coordinator's language."""
    image = await asyncio.to_thread(poll_chart, outcome, _)
    await update.effective_chat.send_photo(InputFile(image, filename=f"poll-{outcome.poll.id}.png"),
                                           caption=esc(poll_question(outcome.poll, _.language)))


@on_press(routes.POLL_CLOSE)
@coordinator_only
async def close(update: Update, context: AppContext, _: Translator) -> None:
    """Closes the poll: answers stop counting, and every poll message is closed in Telegram."""
    async with context.unit_of_work() as session:
        poll = await polls.close(session, int(context.match.group(1)), context.now())
    if poll is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("The poll is closed."))
    schedule_stops(context.application)
    await reply(update, _("🔒 The poll is closed; its messages are being closed in Telegram. "
                          "Later answers are not counted."))


def _services(application: Application) -> Services:
    return application.bot_data["services"]


def schedule_stops(application: Application) -> None:
    """Closes the poll messages of closed polls in the background (one API call each)."""
    if application.job_queue is None or application.job_queue.get_jobs_by_name(STOP_JOB):
        return
    application.job_queue.run_once(_stop_job, when=0, name=STOP_JOB)


async def _stop_job(context: AppContext) -> None:
    await stop_messages(context.application)


async def stop_messages(application: Application) -> int:
    """Calls stopPoll on every poll message of a closed poll that is still open; returns how many were handled."""
    services = _services(application)
    handled = 0
    while True:
        async with services.db.session() as session:
            batch = await polls.to_stop(session)
        if not batch:
            return handled
        for message in batch:
            try:
                await application.bot.stop_poll(message.chat_id, message.message_id)
            except (BadRequest, Forbidden) as exc:
                # Already closed, deleted, or the member blocked the bot: nothing left to close.
                log.info("poll message %s not stopped: %s", message.id, exc)
        async with services.db.session() as session:
            await polls.mark_stopped(session, [m.id for m in batch], services.clock.now())
        handled += len(batch)


@system.on_start
async def resume_stops(application: Application) -> None:
    """At start-up: poll messages left open by a restart are closed."""
    schedule_stops(application)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("poll", start, filters=filters.ChatType.PRIVATE))
    add_presses(app, sys.modules[__name__])
    app.add_handler(PollAnswerHandler(on_poll_answer))
