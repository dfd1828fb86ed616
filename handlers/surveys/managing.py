"""Coordinators choose who gets a survey, when it closes and its reminder, and send it; the scheduled
pass sends surveys after events, reminds and closes them.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import timedelta

from telegram import Update
from telegram.ext import Application

from bot.context import AppContext, Services
from bot.i18n import Translator
from bot.models import Draft, Survey
from bot.services import drafts, surveys
from bot.services.audience import Audience, size
from bot.services.events import InvalidInput as InvalidMoment
from bot.services.events import parse_moment
import handlers.surveys.callbacks as routes
from handlers.surveys.forms import Closing
from handlers.surveys.screens import closing_prompt, events_screen, intro_content, reminder_content, survey_screen
from handlers.surveys.words import CLOSING
from handlers.ui import drafts as draft_input
from handlers.ui.answers import on_press, show_or_stale
from handlers.ui.audience_picker import MAIN, parse, picker_screen
from handlers.ui.common import answer_stale, coordinator_only, reply, show


log = logging.getLogger("sahakor.surveys")
DUE_JOB = "sv:due"
LOCK_KEY = "surveys:lock"


async def manage_screen(session, survey: Survey, _: Translator) -> tuple[str, object]:
    """The survey as the coordinator sees it: who gets it, when it closes, the reminder, and what to do next."""
    event = await surveys.attached_event(session, survey)
    members = 0 if event is not None else sum((await size(session, Audience.from_json(survey.audience))).values())
    return survey_screen(survey, event, members, _)


async def _picker(session, survey_id: int, audience: Audience, _: Translator, view: str = MAIN) -> tuple[str, object]:
    """The audience picker of a survey, with how many members the audience holds."""
    return picker_screen(audience, _, routes.AUDIENCE, await size(session, audience), view=view,
                         heading=_("Who should receive the survey?"), values=(survey_id,))


@on_press(routes.MANAGE)
@coordinator_only
async def manage(update: Update, context: AppContext, _: Translator) -> None:
    """One management action on a survey: audience, event, reminder, discard or close; then the screen again."""
    action, survey_id, event_id = routes.manage_press(context.match)
    async with context.unit_of_work() as session:
        survey = await surveys.get(session, survey_id)
        result = await _apply(session, survey, action, event_id, context, update.effective_user.id)
        screen = await _after(session, survey, result, context, _)
    if screen is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    if result == "closed":
        await _reschedule(context.application)
    await (reply if result == "closing" else show)(update, *screen)


async def _apply(session, survey: Survey | None, action: str, event_id: int | None, context: AppContext,
                 telegram_id: int) -> str:
    """Carries out a management action; returns what to show next ('stale' when the action no longer applies)."""
    if survey is None:
        return "stale"
    if action == "end":
        return "closed" if await surveys.close(session, survey, context.now()) else "stale"
    if survey.status != surveys.DRAFT:
        return "stale"
    if action == "aud":
        return "picker"
    if action == "evs":
        return "events"
    if action == "ev":
        return "screen" if event_id and await surveys.attach_event(session, survey, event_id) else "stale"
    if action == "rem":
        surveys.cycle_reminder(survey)
        return "screen"
    if action == "cat":
        await drafts.begin(session, telegram_id, CLOSING, step="closes_at", data=asdict(Closing(survey.id)),
                           now=context.now())
        return "closing"
    if action == "noclose":
        surveys.set_closing(survey, None, context.now())
        await drafts.discard(session, telegram_id, CLOSING)
        return "screen"
    if action == "del":
        return "discarded" if await surveys.discard(session, survey) else "stale"
    return "stale"


async def _after(session, survey: Survey | None, result: str, context: AppContext,
                 _: Translator) -> tuple[str, object] | None:
    """What the coordinator sees after a management action (None when it no longer applied)."""
    if result == "screen":
        return await manage_screen(session, survey, _)
    if result == "picker":
        return await _picker(session, survey.id, Audience.from_json(survey.audience), _)
    if result == "events":
        return events_screen(survey.id, await surveys.events_to_attach(session, context.now()), _)
    if result == "closing":
        return closing_prompt(survey.id, context.settings.tz, _)
    if result == "discarded":
        return _("The survey was discarded."), None
    if result == "closed":
        return _("The survey is closed. Members can no longer answer it."), None
    return None


@on_press(routes.BACK)
@coordinator_only
async def manage_back(update: Update, context: AppContext, _: Translator) -> None:
    """Back from the event list to the survey's screen."""
    async with context.services.db.session() as session:
        survey = await surveys.get(session, int(context.match.group(1)))
        screen = await manage_screen(session, survey, _) if survey else None
    await show_or_stale(update, _, screen)


@on_press(routes.AUDIENCE)
@coordinator_only
async def pick_audience(update: Update, context: AppContext, _: Translator) -> None:
    """A press on the audience picker: toggles a segment, or (Done) sets it and returns to the survey."""
    survey_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        survey = await surveys.get(session, survey_id)
        choice = screen = None
        if survey is not None and survey.status == surveys.DRAFT:
            choice = parse(routes.AUDIENCE, update.callback_query.data, Audience.from_json(survey.audience))
        if choice is not None:
            surveys.set_audience(survey, choice.audience)
            screen = await (manage_screen(session, survey, _) if choice.done
                            else _picker(session, survey_id, choice.audience, _, choice.view))
    await show_or_stale(update, _, screen)


@draft_input.on_input(CLOSING)
@coordinator_only
async def take_closing(update: Update, context: AppContext, _: Translator, draft: Draft) -> None:
    """Sets the survey's closing time from a typed date and time."""
    try:
        moment = parse_moment(update.message.text or "", surveys.LOCAL_ZONE)
    except InvalidMoment:
        await reply(update, _("Please type the date and time as day/month/year hour:minute, for example 20/12/2024 17:00."))
        return
    async with context.unit_of_work() as session:
        survey = await surveys.get(session, drafts.read(draft, Closing).survey_id)
        await drafts.discard(session, update.effective_user.id, CLOSING)
        if survey is None or survey.status != surveys.DRAFT:
            screen = None
        else:
            try:
                surveys.set_closing(survey, moment, context.now())
            except surveys.InvalidInput:
                screen = "past"
            else:
                screen = await manage_screen(session, survey, _)
    if screen is None:
        await reply(update, _("This survey can no longer be changed."))
    elif screen == "past":
        await reply(update, _("That moment has already passed. Please choose a later one."))
    else:
        await reply(update, *screen)


@on_press(routes.SEND)
@coordinator_only
async def send_survey(update: Update, context: AppContext, _: Translator) -> None:
    """Sends the survey now through the outbox, or schedules it for the end of its event."""
    async with context.unit_of_work() as session:
        survey = await surveys.get(session, int(context.match.group(1)))
        outcome = None
        if survey is not None:
            outcome = await surveys.send(session, survey, now=context.now(), content=intro_content,
                                         status_chat_id=update.effective_chat.id, status_language=_.language)
            screen = await manage_screen(session, survey, _)
            event = await surveys.attached_event(session, survey)
    if outcome in (None, surveys.Sent.NOT_DRAFT):
        await answer_stale(update, _)
        return
    if outcome is surveys.Sent.NOBODY:
        await update.callback_query.answer(_("No one would receive this survey now. Please choose who gets it."),
                                           show_alert=True)
        return
    await update.callback_query.answer()
    if outcome is surveys.Sent.SENT:
        context.services.delivery.wake()
        note = _("📤 The survey is on its way. You will see the delivery report here.")
    else:
        note = _("📅 The survey will go to the checked-in attendees when the event ends ({moment}).").format(
            moment=_.datetime(event.ends_at, surveys.LOCAL_ZONE))
    await _reschedule(context.application)
    await show(update, *screen)
    await reply(update, note)


# ---------------------------------------------------------------- after an event: the scheduled pass


def _services(application: Application) -> Services:
    return application.bot_data["services"]


async def run_due(application: Application) -> surveys.Due:
    """Sends surveys whose event has ended, the reminders that are due, and closes surveys past closing."""
    services = _services(application)
    async with application.bot_data[LOCK_KEY]:
        async with services.db.session() as session:
            due = await surveys.run_due(session, services.clock.now(), content=intro_content,
                                        reminder_content=reminder_content)
    if due.sent or due.reminded or due.closed:
        log.info("surveys sent %s, reminded %s, closed %s", due.sent, due.reminded, due.closed)
    if due.deliveries and services.delivery is not None:
        services.delivery.wake()
    await _reschedule(application)
    return due


async def _fire(context: AppContext) -> None:
    await run_due(context.application)


async def _reschedule(application: Application) -> None:
    """One job, at the next moment survey work falls due (timed by the bot's clock)."""
    if application.job_queue is None:
        return
    services = _services(application)
    for job in application.job_queue.get_jobs_by_name(DUE_JOB):
        job.schedule_removal()
    async with services.db.session() as session:
        moment = await surveys.next_due(session)
    if moment is not None:
        delay = max(moment - services.clock.now(), timedelta(0)) + timedelta(seconds=1)
        application.job_queue.run_once(_fire, when=delay, name=DUE_JOB)


async def rebuild_jobs(application: Application) -> None:
    """At start-up: work that fell due while the bot was down is done now, the next is scheduled."""
    await run_due(application)
