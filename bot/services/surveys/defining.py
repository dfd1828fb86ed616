"""Surveys being defined: their states and limits, drafts from a form or the builder, audience,
attached event and closing time, and the lists coordinators pick from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import config, forms, xlsform
from bot.models import Event, Poll, Survey
from bot.services.audience import Audience


DRAFT, SCHEDULED, OPEN, CLOSED = "draft", "scheduled", "open", "closed"
KIND, REMINDER_KIND = "survey", "survey_reminder"
# "Today" in skip logic and constraints, and the dates members type, are in the configured TIMEZONE.
LOCAL_ZONE = config.LOCAL_ZONE
TEXT_MAX = 1000
NUMBER_MAX = 10**12
VOICE_MAX_SECONDS = 600
REMINDER_CHOICES = (None, 360, 1440, 2880, 4320)
BUILDER_MAX_QUESTIONS = 15
BUILDER_OPTIONS = (2, 12)
TITLE_MAX = 200

# Renders a survey's intro or reminder in every language (the handler's job; services don't write words).
ContentBuilder = Callable[[Survey], dict[str, dict]]


# Typed input that does not fit; `reason` is a short code (and `limit` the bound broken, if any).
InvalidInput = forms.Invalid


async def create(session: AsyncSession, *, title: dict[str, str], questions: list[dict], source: str,
                 created_by: int, now: datetime, meta: list[str] | None = None, form_id: str = "",
                 version: str = "") -> Survey:
    """Stores a new survey as a draft, to be given an audience and sent."""
    survey = Survey(title_en=title.get("en") or title.get("km", ""), title_km=title.get("km") or title.get("en", ""),
                    source=source, form_id=form_id, form_version=version, questions=questions, meta=meta or [],
                    audience={}, status=DRAFT, created_by=created_by, created_at=now)
    session.add(survey)
    await session.flush()
    return survey


async def get(session: AsyncSession, survey_id: int) -> Survey | None:
    return await session.get(Survey, survey_id)


def went_out(item: Survey | Poll) -> datetime:
    """When a survey was sent (or, waiting for its event to end, set to go), or a poll was sent."""
    return (item.sent_at if isinstance(item, Survey) else None) or item.created_at


async def with_results(session: AsyncSession, *, offset: int, limit: int) -> tuple[list[Survey | Poll], bool]:
    """Surveys that went out (drafts have no results) and polls, newest first: one page of them, and whether
    older ones follow."""
    wanted = offset + limit + 1
    sent = await session.scalars(
        select(Survey).where(Survey.status != DRAFT)
        .order_by(func.coalesce(Survey.sent_at, Survey.created_at).desc(), Survey.id.desc()).limit(wanted))
    polls = await session.scalars(select(Poll).order_by(Poll.created_at.desc(), Poll.id.desc()).limit(wanted))
    items = sorted([*sent, *polls], key=lambda item: (went_out(item), isinstance(item, Survey), item.id),
                   reverse=True)
    return items[offset:offset + limit], len(items) > offset + limit


async def unsent(session: AsyncSession, *, offset: int, limit: int) -> list[Survey]:
    """Drafts not sent yet, newest first: one page of them."""
    return list(await session.scalars(
        select(Survey).where(Survey.status == DRAFT)
        .order_by(Survey.created_at.desc(), Survey.id.desc()).offset(offset).limit(limit)))


async def count_unsent(session: AsyncSession) -> int:
    """How many drafts are waiting to be sent."""
    return await session.scalar(select(func.count()).select_from(Survey).where(Survey.status == DRAFT)) or 0


def clean_title(text: str | None) -> dict[str, str]:
    """A title, question or label: 'English', or 'English' then 'Khmer' on the next line. Raises InvalidInput."""
    return forms.clean_lines_pair(text, TITLE_MAX)


def clean_options(text: str | None) -> list[dict[str, str]]:
    """One option a line, 'English | Khmer' (the Khmer part optional): two to twelve, none repeated. Raises
    InvalidInput."""
    return forms.clean_options(text, xlsform.MAX_CHOICE_LABEL, BUILDER_OPTIONS)


def built_question(index: int, kind: str, label: dict[str, str], options: list[dict] | None = None) -> dict:
    """A question made in the chat, in the same shape as one read from an XLSForm."""
    question = {"name": f"q{index + 1}", "type": kind, "label": label, "row": None, "relevant": [],
                "constraint": None, "required": kind != "text"}
    if kind == "select_one":
        question["choices"] = [{"name": f"c{i + 1}", "label": o} for i, o in enumerate(options or [])]
    if kind == "rating":
        question["range"] = {"start": 1, "end": 5, "step": 1}
    return question


def set_audience(survey: Survey, audience: Audience) -> None:
    """The survey goes to these members (and no longer to an event's attendees)."""
    survey.audience = audience.to_json()
    survey.event_id = None


async def attach_event(session: AsyncSession, survey: Survey, event_id: int) -> Event | None:
    """The survey goes to the event's checked-in attendees; None if there is no such (live) event."""
    event = await session.get(Event, event_id)
    if event is None or event.status == "cancelled":
        return None
    survey.event_id = event.id
    return event


async def attached_event(session: AsyncSession, survey: Survey) -> Event | None:
    """The event whose checked-in attendees get the survey, if it goes to one."""
    return await session.get(Event, survey.event_id) if survey.event_id else None


async def events_to_attach(session: AsyncSession, now: datetime, limit: int = 8) -> list[Event]:
    """Published events that ended in the last 60 days or are still to come, soonest end first."""
    return list(await session.scalars(
        select(Event).where(Event.status == "published", Event.ends_at >= now - timedelta(days=60))
        .order_by(Event.ends_at.desc()).limit(limit)))


def set_closing(survey: Survey, closes_at: datetime | None, now: datetime) -> None:
    if closes_at is not None and closes_at <= now:
        raise InvalidInput("past")
    survey.closes_at = closes_at


def cycle_reminder(survey: Survey) -> None:
    """The survey's reminder moves to the next delay; they cycle: none, 6 hours, 1, 2, 3 days."""
    minutes = survey.reminder_minutes
    index = REMINDER_CHOICES.index(minutes) if minutes in REMINDER_CHOICES else 0
    survey.reminder_minutes = REMINDER_CHOICES[(index + 1) % len(REMINDER_CHOICES)]
