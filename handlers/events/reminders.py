"""Event reminders: one scheduler job per planned reminder, rebuilt from the rows at start-up."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from telegram.ext import Application

from bot.context import AppContext, Services
from bot.event_text import title, when
from bot.i18n import Translator
from bot.models import Event, Reminder
from bot.services import reminders
from bot.text import esc
from handlers import system
from handlers.events.screens import in_every_language, rsvp_buttons

log = logging.getLogger("sahakor.reminders")

JOB_PREFIX = "ev:reminder:"
# Jobs fired at once (two reminders due together, or a job and the start-up pass) take turns, so
# one transaction sees what the other did.
_LOCK_KEY = "reminders:lock"


def job_name(reminder_id: int) -> str:
    return f"{JOB_PREFIX}{reminder_id}"


def map_link(event: Event) -> str | None:
    """An OpenStreetMap link to the venue, when the event has a location."""
    if event.latitude is None or event.longitude is None:
        return None
    lat, lon = f"{event.latitude:.6f}", f"{event.longitude:.6f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&amp;mlon={lon}#map=17/{lat}/{lon}"


def reminder_text(event: Event, _: Translator, now: datetime) -> str:
    """The reminder as HTML: how soon, the title, the time, the venue and the map."""
    soon = _.duration(event.starts_at - now, threshold=1.1, add_direction=True)
    lines = [_("⏰ Reminder: <b>{title}</b> starts {soon}.").format(title=esc(title(event, _.language)), soon=soon),
             "", "🗓 " + when(event, _)]
    if event.venue:
        lines.append("📍 " + esc(event.venue))
    link = map_link(event)
    if link:
        lines.append(_('🗺 <a href="{url}">Open the map</a>').format(url=link))
    lines += ["", _("Can no longer come? Please press “Can't go” so your seat goes to someone else.")]
    return "\n".join(lines)


def reminder_content(event: Event, now: datetime) -> dict[str, dict]:
    """The reminder in every language, with the answer buttons so plans can still change."""
    return in_every_language(lambda _: {"text": reminder_text(event, _, now), "buttons": rsvp_buttons(event.id, _)})


def _services(application: Application) -> Services:
    return application.bot_data["services"]


def _lock(application: Application) -> asyncio.Lock:
    return application.bot_data[_LOCK_KEY]


def _unschedule(application: Application, reminder_id: int) -> None:
    for job in application.job_queue.get_jobs_by_name(job_name(reminder_id)):
        job.schedule_removal()


def _schedule(application: Application, reminder: Reminder) -> None:
    """(Re)places the job of one reminder, timed by the bot's clock (which tests move by hand)."""
    _unschedule(application, reminder.id)
    # The scheduler runs on the wall clock: wait as long as the bot's clock says is left.
    delay = max(reminder.due_at - _services(application).clock.now(), timedelta(0))
    application.job_queue.run_once(fire, when=delay, name=job_name(reminder.id), data=reminder.id)


async def sync_jobs(application: Application, event_id: int) -> None:
    """After an event is saved: its scheduled reminders have jobs, and no other reminder of it has one."""
    if application.job_queue is None:
        return
    async with _services(application).db.session() as session:
        rows = await reminders.of_event(session, event_id)
    for reminder in rows:
        if reminder.status == reminders.SCHEDULED:
            _schedule(application, reminder)
        else:
            _unschedule(application, reminder.id)


async def run_due(application: Application) -> reminders.Fired:
    """Sends the reminders that are due now and drops the jobs of those now settled."""
    services = _services(application)
    async with _lock(application):
        async with services.db.session() as session:
            fired = await reminders.fire_due(session, services.clock.now(), reminder_content)
    if fired.sent or fired.skipped or fired.cancelled:
        log.info("reminders sent %s, skipped %s, cancelled %s", fired.sent, fired.skipped, fired.cancelled)
    if application.job_queue is not None:
        # One pass may settle reminders whose own jobs have not fired yet; they have nothing left to do.
        for reminder_id in fired.sent + fired.skipped + fired.cancelled:
            _unschedule(application, reminder_id)
    if fired.deliveries and services.delivery is not None:
        services.delivery.wake()
    return fired


async def fire(context: AppContext) -> None:
    """A reminder's time has come: the members who are coming get it in their language."""
    await run_due(context.application)
    async with context.services.db.session() as session:
        reminder = await reminders.get(session, context.job.data)
    if reminder is not None and reminder.status == reminders.SCHEDULED:
        # Woken before its time (the system clock was set back, say): wait again rather than never send.
        _schedule(context.application, reminder)


@system.on_start
async def rebuild_jobs(application: Application) -> None:
    """At start-up: reminders missed while the bot was down go out (or are skipped), the rest get jobs."""
    await run_due(application)
    if application.job_queue is None:
        return
    async with _services(application).db.session() as session:
        planned = await reminders.scheduled(session)
    for reminder in planned:
        _schedule(application, reminder)
    log.info("%d reminder jobs scheduled", len(planned))


def register(app: Application) -> None:
    app.bot_data[_LOCK_KEY] = asyncio.Lock()
