"""The event report sent by itself: within a minute of an event's end, to the event's creator and every
coordinator, each once, even across restarts and processes.

Job: `erp:due`, the leader's check for events that have ended (rebuilt at start, from the rows of
bot.services.eventreport).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from datetime import timedelta

from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application

from bot.context import AppContext, Services
from bot.i18n import Translator, translator
from bot.services import drafts, eventreport, members
from bot.services.eventreport import EventReport
from handlers import system
import handlers.eventreport.screens as screens
import handlers.eventreport.sending as sending
from handlers.eventreport.document import Files, render

log = logging.getLogger("sahakor.eventreport")

DUE_JOB = "erp:due"
# How often the leader looks for events that have ended: the report is out within a minute of the end.
CHECK_EVERY = timedelta(seconds=30)
_LOCK_KEY = "eventreport:lock"


def _services(application: Application) -> Services:
    return application.bot_data["services"]


async def send_due(application: Application) -> list[int]:
    """Sends the report of every event that has ended to its coordinators, each once; returns those events."""
    services = _services(application)
    async with application.bot_data[_LOCK_KEY]:
        async with services.db.session() as session:
            claimed = [(row.id, row.event_id) for row in await eventreport.claim_ended(
                session, services.clock.now(), services.settings.coordinator_ids)]
        for send_id, event_id in claimed:
            try:
                await _send_to_coordinators(application, send_id, event_id)
            except Exception:
                # A report that cannot be written must not hold back the others, nor be tried every half minute.
                log.exception("the report of event %s could not be sent", event_id)
                async with services.db.session() as session:
                    await eventreport.finish(session, send_id, services.clock.now())
    if claimed:
        log.info("event reports sent for events %s", [event_id for _id, event_id in claimed])
    return [event_id for _id, event_id in claimed]


async def _send_to_coordinators(application: Application, send_id: int, event_id: int) -> None:
    """Writes the report once per language it opens with, and sends it to each coordinator still waiting."""
    services = _services(application)
    async with services.db.session() as session:
        report = await eventreport.collect(session, event_id, services.clock.now())
        attendees = await eventreport.attendee_member_ids(session, event_id) if report else []
        if report is None:
            await eventreport.finish(session, send_id, services.clock.now())
            return
    written: dict[str, Files] = {}
    uploaded: dict[str, dict[str, str]] = {}
    while True:
        async with services.db.session() as session:
            chat_id = await eventreport.next_recipient(session, send_id, services.clock.now())
            member = await members.get(session, chat_id) if chat_id is not None else None
        if chat_id is None:
            return
        _ = translator(member.language if member else "en")
        if _.language not in written:
            written[_.language] = await asyncio.to_thread(render, report, _.language, services.clock.now())
        async with services.db.session() as session:
            if not await eventreport.take_recipient(session, send_id, chat_id):
                continue
        try:
            await _deliver(application, chat_id, report, written[_.language], uploaded.setdefault(_.language, {}),
                           len(attendees), _)
        except TelegramError as error:
            log.warning("the report of event %s did not reach coordinator %s: %s", event_id, chat_id, error)


async def _deliver(application: Application, chat_id: int, report: EventReport, files: Files, sent: dict[str, str],
                   attendees: int, _: Translator) -> None:
    """The two files, the brief kept ready for the buttons, then the summary with them."""
    services = _services(application)
    pdf_id = await sending.send_files(application.bot, chat_id, files, screens.file_caption(report, _), sent)
    async with services.db.session() as session:
        await drafts.begin(session, chat_id, sending.KIND, step=None, now=services.clock.now(),
                           data=asdict(screens.report_brief(report, pdf_id, f"{files.name}.pdf")))
    await application.bot.send_message(chat_id, screens.summary_text(report, _, ended=True), parse_mode=ParseMode.HTML,
                                       reply_markup=screens.brief_buttons(report.event.id, attendees, _))


async def _check(context: AppContext) -> None:
    await send_due(context.application)


@system.on_start
async def rebuild_jobs(application: Application) -> None:
    """At start-up: reports of events that ended while no process led go out now; then the check every half
    minute."""
    await send_due(application)
    if application.job_queue is None:
        return
    for job in application.job_queue.get_jobs_by_name(DUE_JOB):
        job.schedule_removal()
    application.job_queue.run_repeating(_check, interval=CHECK_EVERY, first=CHECK_EVERY, name=DUE_JOB)


def register(app: Application) -> None:
    app.bot_data[_LOCK_KEY] = asyncio.Lock()
