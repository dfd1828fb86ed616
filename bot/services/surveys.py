"""Surveys: defining and sending them, members answering one question at a time, skip logic and
constraints, the post-event trigger and its reminder, and the results.

A member's place in a survey and every answer are rows, written after each step, so leaving the chat
or a restart resumes at the same question. Only the question being asked takes answers: a button from
an older message, a double press or forged data finds the response elsewhere and changes nothing.

Answering is the hot path: an action reads the response with its survey, the member and their draft in
one statement and the answers in a second, works on those objects, and leaves the writes (the answer,
the position) to the unit of work that commits it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import config, skiplogic, xlsform
from bot.models import (
    CheckIn,
    Delivery,
    Draft,
    Event,
    Member,
    OutboxMessage,
    Poll,
    Survey,
    SurveyAnswer,
    SurveyResponse,
)
from bot.services import outbox
from bot.services.audience import Audience
from bot.text import clean_line, normalize_digits, parse_int

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


class InvalidInput(ValueError):
    """Typed input that does not fit; `reason` is a short code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- defining


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


def clean_title(text: str) -> dict[str, str]:
    """'English' or 'English' then 'Khmer' on the next line."""
    lines = [clean_line(line) for line in (text or "").splitlines() if clean_line(line)]
    if not lines:
        raise InvalidInput("empty")
    if len(lines) > 2:
        raise InvalidInput("lines")
    if any(len(line) > TITLE_MAX for line in lines):
        raise InvalidInput("too_long")
    return {"en": lines[0], "km": lines[-1]}


def clean_options(text: str) -> list[dict[str, str]]:
    """One option a line, 'English | Khmer' (the Khmer part optional): two to twelve, none repeated."""
    options = []
    for line in (text or "").splitlines():
        parts = [clean_line(p) for p in line.split("|")]
        if not any(parts):
            continue
        if len(parts) > 2 or not parts[0]:
            raise InvalidInput("option_format")
        en = parts[0]
        km = parts[1] if len(parts) == 2 and parts[1] else en
        if max(len(en), len(km)) > xlsform.MAX_CHOICE_LABEL:
            raise InvalidInput("option_long")
        options.append({"en": en, "km": km})
    low, high = BUILDER_OPTIONS
    if not low <= len(options) <= high:
        raise InvalidInput("option_count")
    for language in ("en", "km"):
        if len({o[language].casefold() for o in options}) != len(options):
            raise InvalidInput("option_repeated")
    return options


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


async def events_to_attach(session: AsyncSession, now: datetime, limit: int = 8) -> list[Event]:
    """Published events that ended in the last 60 days or are still to come, soonest end first."""
    return list(await session.scalars(
        select(Event).where(Event.status == "published", Event.ends_at >= now - timedelta(days=60))
        .order_by(Event.ends_at.desc()).limit(limit)))


def set_closing(survey: Survey, closes_at: datetime | None, now: datetime) -> None:
    if closes_at is not None and closes_at <= now:
        raise InvalidInput("past")
    survey.closes_at = closes_at


def next_reminder_choice(minutes: int | None) -> int | None:
    """The reminder delays cycle: none, 6 hours, 1, 2, 3 days."""
    index = REMINDER_CHOICES.index(minutes) if minutes in REMINDER_CHOICES else 0
    return REMINDER_CHOICES[(index + 1) % len(REMINDER_CHOICES)]


def recipients(survey: Survey):
    """(chat id, member id, language) of whoever the survey goes to."""
    if survey.event_id is not None:
        return (select(Member.telegram_id, Member.id, Member.language)
                .join(CheckIn, and_(CheckIn.member_id == Member.id, CheckIn.event_id == survey.event_id))
                .where(Member.registered_at.is_not(None), Member.reachable.is_(True)).order_by(Member.id))
    return Audience.from_json(survey.audience).where(select(Member.telegram_id, Member.id, Member.language))


class Sent(StrEnum):
    SENT = "sent"
    SCHEDULED = "scheduled"
    NOT_DRAFT = "not_draft"
    NOBODY = "nobody"  # no one would receive it now; nothing was changed


async def send(session: AsyncSession, survey: Survey, *, now: datetime, content: ContentBuilder,
               status_chat_id: int | None = None, status_language: str | None = None) -> Sent:
    """Sends the intro with its Start button now, or, for an event still going on, when the event ends."""
    if survey.status != DRAFT:
        return Sent.NOT_DRAFT
    if survey.event_id is not None:
        event = await session.get(Event, survey.event_id)
        if event is not None and event.ends_at > now:
            survey.status = SCHEDULED
            return Sent.SCHEDULED
    if not await session.scalar(select(func.count()).select_from(recipients(survey).subquery())):
        return Sent.NOBODY
    await _send_now(session, survey, now=now, content=content, status_chat_id=status_chat_id,
                    status_language=status_language)
    return Sent.SENT


async def _send_now(session: AsyncSession, survey: Survey, *, now: datetime, content: ContentBuilder,
                    status_chat_id: int | None = None, status_language: str | None = None) -> Delivery:
    survey.status, survey.sent_at = OPEN, now
    survey.reminder_due_at = now + timedelta(minutes=survey.reminder_minutes) if survey.reminder_minutes else None
    delivery = await outbox.create(session, kind=KIND, content=content(survey), send_at=now, ref_id=survey.id,
                                   created_by=survey.created_by, status_chat_id=status_chat_id,
                                   status_language=status_language, now=now)
    await outbox.add_query(session, delivery, recipients(survey))
    survey.delivery_id = delivery.id
    return delivery


async def close(session: AsyncSession, survey: Survey, now: datetime) -> bool:
    """Closes an open (or still scheduled) survey: answers are no longer taken. False if it was not open."""
    if survey.status not in (OPEN, SCHEDULED):
        return False
    survey.status, survey.closed_at = CLOSED, now
    return True


async def discard(session: AsyncSession, survey: Survey) -> bool:
    """Deletes a survey that was never sent."""
    if survey.status != DRAFT:
        return False
    await session.delete(survey)
    return True


def is_open(survey: Survey, now: datetime) -> bool:
    return survey.status == OPEN and (survey.closes_at is None or now < survey.closes_at)


# ---------------------------------------------------------------- after an event, reminders, closing


@dataclass
class Due:
    """What one pass over due survey work did, by survey id."""

    sent: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)


def _not_finished(survey: Survey):
    """Recipients of the survey who have not finished it (reminders go to them)."""
    finished = exists().where(SurveyResponse.survey_id == survey.id, SurveyResponse.member_id == Member.id,
                              SurveyResponse.completed_at.is_not(None))
    return (select(Member.telegram_id, Member.id, Member.language)
            .join(OutboxMessage, and_(OutboxMessage.member_id == Member.id,
                                      OutboxMessage.delivery_id == survey.delivery_id))
            .where(OutboxMessage.status == outbox.SENT, Member.reachable.is_(True), ~finished)
            .order_by(Member.id))


async def run_due(session: AsyncSession, now: datetime, *, content: ContentBuilder,
                  reminder_content: ContentBuilder) -> Due:
    """Sends surveys whose event has ended, the one reminder of each that is due, and closes those past closing."""
    due = Due()
    scheduled = await session.scalars(
        select(Survey).join(Event, Event.id == Survey.event_id)
        .where(Survey.status == SCHEDULED, Event.ends_at <= now).order_by(Survey.id))
    for survey in list(scheduled):
        delivery = await _send_now(session, survey, now=now, content=content)
        due.sent.append(survey.id)
        due.deliveries.append(delivery.id)
    reminders = await session.scalars(
        select(Survey).where(Survey.status == OPEN, Survey.reminded_at.is_(None), Survey.reminder_due_at <= now)
        .order_by(Survey.id))
    for survey in list(reminders):
        survey.reminded_at = now
        if survey.closes_at is not None and survey.closes_at <= now:
            continue
        delivery = await outbox.create(session, kind=REMINDER_KIND, content=reminder_content(survey), send_at=now,
                                       ref_id=survey.id, now=now)
        if await outbox.add_query(session, delivery, _not_finished(survey)):
            due.deliveries.append(delivery.id)
        due.reminded.append(survey.id)
    closing = await session.scalars(select(Survey).where(Survey.status == OPEN, Survey.closes_at <= now))
    for survey in list(closing):
        survey.status, survey.closed_at = CLOSED, survey.closes_at
        due.closed.append(survey.id)
    await session.flush()
    return due


async def next_due(session: AsyncSession) -> datetime | None:
    """The next moment run_due has something to do (an event ending, a reminder, a closing), if any."""
    moments = [
        await session.scalar(select(func.min(Event.ends_at)).join(Survey, Survey.event_id == Event.id)
                             .where(Survey.status == SCHEDULED)),
        await session.scalar(select(func.min(Survey.reminder_due_at))
                             .where(Survey.status == OPEN, Survey.reminded_at.is_(None))),
        await session.scalar(select(func.min(Survey.closes_at)).where(Survey.status == OPEN)),
    ]
    found = [m for m in moments if m is not None]
    if not found:
        return None
    # min() over values from func.min loses the UTC type on some backends; normalise.
    return min(m if m.tzinfo else m.replace(tzinfo=ZoneInfo("UTC")) for m in found)


# ---------------------------------------------------------------- skip logic and answers


@lru_cache(maxsize=2048)
def _parsed(text: str) -> skiplogic.Node:
    return skiplogic.parse(text)


def local_today(now: datetime) -> date:
    return now.astimezone(LOCAL_ZONE).date()


def _python_value(question: dict, value):
    """A stored answer as skip logic reads it (dates as dates)."""
    if value is not None and question["type"] == "date":
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            return None
    return value


def values_of(questions: list[dict], answers: dict[str, object]) -> dict[str, object]:
    by_name = {q["name"]: q for q in questions}
    return {name: _python_value(by_name[name], value) for name, value in answers.items() if name in by_name}


def is_relevant(question: dict, values: dict[str, object], today: date) -> bool:
    return all(skiplogic.evaluate(_parsed(text), values, today=today) for text in question["relevant"])


def next_index(questions: list[dict], answers: dict[str, object], after: int, today: date) -> int | None:
    """The next question to ask after `after` (-1 for the first), skipping those skip logic rules out."""
    values = values_of(questions, answers)
    for index in range(after + 1, len(questions)):
        if is_relevant(questions[index], values, today):
            return index
    return None


def previous_index(questions: list[dict], answers: dict[str, object], before: int, today: date) -> int | None:
    values = values_of(questions, answers)
    for index in range(before - 1, -1, -1):
        if is_relevant(questions[index], values, today):
            return index
    return None


def asked_count(questions: list[dict]) -> int:
    """Questions that take an answer (notes excluded), for 'question 3 of 10'."""
    return sum(1 for q in questions if q["type"] != "note")


def position(questions: list[dict], index: int) -> int:
    return sum(1 for q in questions[:index + 1] if q["type"] != "note")


_DATE_DMY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_MONTH_MY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{4})")
_MONTH_ISO = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR = re.compile(r"\d{4}")
_DECIMAL = re.compile(r"[+-]?(\d+([.,]\d+)?|[.,]\d+)")
_DIGITS = re.compile(r"\d+")


def parse_typed(question: dict, text: str):
    """A typed answer as stored: int, float, ISO date or text (Khmer digits accepted); raises InvalidInput."""
    kind = question["type"]
    cleaned = (text or "").strip()
    if kind == "text":
        block = "\n".join(clean_line(line) for line in cleaned.splitlines()).strip()
        if not block:
            raise InvalidInput("empty")
        if len(block) > TEXT_MAX:
            raise InvalidInput("too_long")
        return _digits_only(block) if question.get("digits") else block
    digits = normalize_digits(clean_line(cleaned))
    if kind == "integer":
        value = parse_int(digits)
        if value is None or abs(value) > NUMBER_MAX:
            raise InvalidInput("integer")
        return value
    if kind == "decimal":
        compact = digits.replace(" ", "")
        if not _DECIMAL.fullmatch(compact):
            raise InvalidInput("decimal")
        value = float(compact.replace(",", "."))
        if abs(value) > NUMBER_MAX:
            raise InvalidInput("decimal")
        return int(value) if value.is_integer() and "." not in compact and "," not in compact else value
    if kind == "date" and question.get("precision"):
        return _month_or_year(question["precision"], digits)
    if kind == "date":
        match = _DATE_DMY.fullmatch(digits)
        if match:
            day, month, year = (int(g) for g in match.groups())
        else:
            match = _DATE_ISO.fullmatch(digits)
            if match is None:
                raise InvalidInput("date")
            year, month, day = (int(g) for g in match.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            raise InvalidInput("date") from None
    raise InvalidInput("buttons")


def _digits_only(text: str) -> str:
    """Text typed as digits only (ODK's `numbers`), kept as text so that leading zeros stay: Khmer digits
    become ASCII ones, spaces between groups are dropped."""
    digits = normalize_digits(re.sub(r"\s+", "", text))
    if not _DIGITS.fullmatch(digits) or not digits.isascii():
        raise InvalidInput("digits")
    return digits


def _month_or_year(precision: str, digits: str) -> str:
    """A month typed as month/year, or a year, stored as its first day (as ODK stores them)."""
    if precision == "year":
        if not _YEAR.fullmatch(digits):
            raise InvalidInput("year")
        year, month = int(digits), 1
    else:
        match = _MONTH_MY.fullmatch(digits)
        if match:
            month, year = (int(g) for g in match.groups())
        else:
            match = _MONTH_ISO.fullmatch(digits)
            if match is None:
                raise InvalidInput("month")
            year, month = (int(g) for g in match.groups())
    try:
        return date(year, month, 1).isoformat()
    except ValueError:
        raise InvalidInput(precision) from None


def satisfies(question: dict, value, answers: dict[str, object], today: date) -> bool:
    """Whether an answer passes the question's constraint (`.` is the answer)."""
    if not question.get("constraint"):
        return True
    current = _python_value(question, value)
    return skiplogic.evaluate(_parsed(question["constraint"]), lambda name: _lookup(name, question, answers, current),
                              current=current, today=today)


def _lookup(name: str, question: dict, answers: dict[str, object], current):
    if name == question["name"]:
        return current
    return answers.get(name)


class Status(StrEnum):
    OK = "ok"
    NOT_FOUND = "not_found"  # no such survey or response, not this member's, or the member is not registered
    NOT_SENT = "not_sent"  # the survey was not sent to this member
    CLOSED = "closed"
    STALE = "stale"  # the question is no longer the one being asked
    INVALID = "invalid"  # the answer does not fit; `reason` says why
    DONE = "done"  # the member already finished (they may change their answers)


# The member's draft through which typed answers and voice notes reach the response they are answering;
# its data holds the response id and the id of the message that asks the question.
FOCUS = "survey"
FOCUS_STEP = "answer"


@dataclass
class Step:
    """Where a member stands after an action: the survey, their response and answers, and what happened.

    Everything an action needs is read once, at its start; the action then changes these objects, and the
    unit of work writes what changed.
    """

    status: Status
    survey: Survey | None = None
    response: SurveyResponse | None = None
    answers: dict[str, object] = field(default_factory=dict)
    reason: str | None = None
    finished: bool = False  # this action completed the response
    created: bool = False
    member: Member | None = None  # the member acting, when their response (or the survey) was found
    focus: Draft | None = None  # the member's FOCUS draft, whichever response it points at
    focus_first: bool = False  # whether typed input goes to that draft (no conversation was touched since)
    asked: int | None = None  # the question being asked when the action came (a typed answer answers it)
    rows: dict[str, SurveyAnswer] = field(default_factory=dict, repr=False)

    @property
    def question(self) -> dict | None:
        if self.survey is None or self.response is None or self.response.current is None:
            return None
        return self.survey.questions[self.response.current]

    def becomes(self, status: Status, reason: str | None = None) -> Step:
        self.status, self.reason = status, reason
        return self


# A voice note answers a text question; skip logic sees it as answered, with no text to compare.
_VOICE = "\u2063voice"


def is_voice(value) -> bool:
    return value == _VOICE


def _first_waiting():
    """The draft typed input goes to, ordered as drafts.awaiting_input orders them, for the query's member."""
    waiting = aliased(Draft)
    return (select(waiting.id).where(waiting.telegram_id == Member.telegram_id, waiting.step.is_not(None))
            .order_by(waiting.updated_at.desc(), waiting.id.desc()).limit(1).correlate(Member).scalar_subquery())


_FOCUS_JOIN = and_(Draft.telegram_id == Member.telegram_id, Draft.kind == FOCUS)
# Built once: these run on every answer, and building a statement costs more than SQLite running it.
_BEGIN = (
    select(Survey, SurveyResponse, Member, Draft, _first_waiting(),
           exists().where(OutboxMessage.delivery_id == Survey.delivery_id,
                          OutboxMessage.member_id == Member.id).label("was_sent"))
    .join_from(Member, Survey, Survey.id == bindparam("survey_id"))
    .outerjoin(SurveyResponse, and_(SurveyResponse.survey_id == Survey.id, SurveyResponse.member_id == Member.id))
    .outerjoin(Draft, _FOCUS_JOIN)
    .where(Member.telegram_id == bindparam("telegram_id"), Member.registered_at.is_not(None)))
_RESPONSE = (
    select(SurveyResponse, Survey, Member, Draft, _first_waiting())
    .join(Survey, Survey.id == SurveyResponse.survey_id)
    .join(Member, Member.id == SurveyResponse.member_id)
    .outerjoin(Draft, _FOCUS_JOIN)
    .where(SurveyResponse.id == bindparam("response_id"), Member.telegram_id == bindparam("telegram_id"),
           Member.registered_at.is_not(None)))
_ANSWERS = select(SurveyAnswer).where(SurveyAnswer.response_id == bindparam("response_id"))


def _found(survey: Survey, response: SurveyResponse | None, member: Member, focus: Draft | None,
           first_waiting: int | None) -> Step:
    return Step(Status.OK, survey, response, member=member, focus=focus,
                focus_first=focus is not None and first_waiting == focus.id,
                asked=response.current if response is not None else None)


async def _read_answers(session: AsyncSession, step: Step) -> Step:
    rows = await session.scalars(_ANSWERS, {"response_id": step.response.id})
    step.rows = {row.question: row for row in rows}
    step.answers = {name: (row.value if row.voice_file_id is None else _VOICE) for name, row in step.rows.items()}
    return step


async def begin(session: AsyncSession, survey_id: int, telegram_id: int, now: datetime) -> Step:
    """Starts the member's response (or finds it): at the first question, or where they left off."""
    row = (await session.execute(_BEGIN, {"survey_id": survey_id, "telegram_id": telegram_id})).first()
    if row is None:
        return Step(Status.NOT_FOUND)
    survey, response, member, focus, first_waiting, sent = row
    step = _found(survey, response, member, focus, first_waiting)
    if survey.status in (DRAFT, SCHEDULED):
        return step.becomes(Status.NOT_FOUND)
    if not sent:
        return step.becomes(Status.NOT_SENT)
    if not is_open(survey, now):
        return step.becomes(Status.CLOSED)
    if response is None:
        return await _create(session, step, now)
    if response.current is None:
        return step.becomes(Status.DONE)
    return await _read_answers(session, step)


async def _create(session: AsyncSession, step: Step, now: datetime) -> Step:
    step.response = SurveyResponse(survey_id=step.survey.id, member_id=step.member.id, started_at=now,
                                   updated_at=now, current=next_index(step.survey.questions, {}, -1,
                                                                       local_today(now)))
    step.created = True
    session.add(step.response)
    await session.flush()  # its id goes into the buttons
    if step.response.current is None:
        await _complete(session, step, now)
    return step


async def _load(session: AsyncSession, response_id: int, telegram_id: int, now: datetime,
                index: int | None) -> Step:
    """The member's own response with its survey and answers, in one read (two statements); status OK if the
    survey is open and `index` is the question being asked (any question when None)."""
    row = (await session.execute(_RESPONSE, {"response_id": response_id, "telegram_id": telegram_id})).first()
    if row is None:
        return Step(Status.NOT_FOUND)
    response, survey, member, focus, first_waiting = row
    step = _found(survey, response, member, focus, first_waiting)
    if not is_open(survey, now):
        return step.becomes(Status.CLOSED)
    if index is not None and response.current != index:
        return step.becomes(Status.STALE)
    return await _read_answers(session, step)


async def edit(session: AsyncSession, response_id: int, telegram_id: int, now: datetime) -> Step:
    """Takes a finished member back to the first question, their answers kept, to change them."""
    step = await _load(session, response_id, telegram_id, now, None)
    if step.status is Status.OK and step.response.current is None:
        step.response.current = next_index(step.survey.questions, step.answers, -1, local_today(now))
        step.response.updated_at = now
    return step


def _save(session: AsyncSession, step: Step, name: str, value, now: datetime, *,
          voice: tuple[str, int] | None = None) -> None:
    row = step.rows.get(name)
    if row is None:
        row = step.rows[name] = SurveyAnswer(response_id=step.response.id, question=name)
        session.add(row)
    row.value = value
    row.voice_file_id, row.voice_duration = voice if voice else (None, None)
    row.answered_at = now
    step.answers[name] = _VOICE if voice else value
    step.response.updated_at = now


async def _forget(session: AsyncSession, step: Step, names: list[str]) -> None:
    doomed = [step.rows.pop(name) for name in names if name in step.rows]
    for name in names:
        step.answers.pop(name, None)
    stored = [row.id for row in doomed if row.id is not None]
    if stored:
        await session.execute(delete(SurveyAnswer).where(SurveyAnswer.id.in_(stored))
                              .execution_options(synchronize_session=False))
    for row in doomed:
        session.expunge(row)


async def _complete(session: AsyncSession, step: Step, now: datetime) -> None:
    """Finishes the response; answers to questions skip logic now rules out are dropped, as Kobo leaves them blank."""
    questions = step.survey.questions
    values = values_of(questions, step.answers)
    today = local_today(now)
    await _forget(session, step, [q["name"] for q in questions
                                  if q["name"] in step.answers and not is_relevant(q, values, today)])
    response = step.response
    response.current, response.completed_at, response.updated_at = None, now, now
    step.finished = True


async def _advance(session: AsyncSession, step: Step, now: datetime) -> Step:
    following = next_index(step.survey.questions, step.answers, step.response.current, local_today(now))
    if following is None:
        await _complete(session, step, now)
    else:
        step.response.current, step.response.updated_at = following, now
    return step


async def _record(session: AsyncSession, step: Step, question: dict, value, now: datetime,
                  voice: tuple[str, int] | None = None) -> Step:
    if voice is None and not satisfies(question, value, values_of(step.survey.questions, step.answers),
                                       local_today(now)):
        return step.becomes(Status.INVALID, "constraint")
    _save(session, step, question["name"], value, now, voice=voice)
    return await _advance(session, step, now)


async def choose(session: AsyncSession, response_id: int, telegram_id: int, index: int, choice: int,
                 now: datetime) -> Step:
    """Records a choice (select_one) or a rating pressed on the question being asked, and moves on."""
    step = await _load(session, response_id, telegram_id, now, index)
    if step.status is not Status.OK:
        return step
    question = step.survey.questions[index]
    if question["type"] == "select_one" and 0 <= choice < len(question["choices"]):
        value = question["choices"][choice]["name"]
    elif question["type"] == "rating" and 0 <= choice < len(xlsform.rating_values(question)):
        value = xlsform.rating_values(question)[choice]
    else:
        return step.becomes(Status.STALE)
    return await _record(session, step, question, value, now)


async def toggle(session: AsyncSession, response_id: int, telegram_id: int, index: int, choice: int,
                 now: datetime) -> Step:
    """Ticks or unticks one choice of a select_multiple question; the list is saved at once."""
    step = await _load(session, response_id, telegram_id, now, index)
    if step.status is not Status.OK:
        return step
    question = step.survey.questions[index]
    if question["type"] != "select_multiple" or not 0 <= choice < len(question["choices"]):
        return step.becomes(Status.STALE)
    chosen = set(step.answers.get(question["name"]) or [])
    chosen ^= {question["choices"][choice]["name"]}
    ordered = [c["name"] for c in question["choices"] if c["name"] in chosen]
    if ordered:
        _save(session, step, question["name"], ordered, now)
    else:
        await _forget(session, step, [question["name"]])
        step.response.updated_at = now
    return step


async def done(session: AsyncSession, response_id: int, telegram_id: int, index: int, now: datetime) -> Step:
    """Confirms the ticked choices of a select_multiple question and moves on."""
    step = await _load(session, response_id, telegram_id, now, index)
    if step.status is not Status.OK:
        return step
    question = step.survey.questions[index]
    if question["type"] != "select_multiple":
        return step.becomes(Status.STALE)
    chosen = step.answers.get(question["name"]) or []
    if not chosen and question["required"]:
        return step.becomes(Status.INVALID, "choose")
    if chosen and not satisfies(question, chosen, values_of(step.survey.questions, step.answers), local_today(now)):
        return step.becomes(Status.INVALID, "constraint")
    return await _advance(session, step, now)


async def skip(session: AsyncSession, response_id: int, telegram_id: int, index: int, now: datetime) -> Step:
    """Leaves an optional question unanswered (clearing an earlier answer) and moves on."""
    step = await _load(session, response_id, telegram_id, now, index)
    if step.status is not Status.OK:
        return step
    question = step.survey.questions[index]
    if question["required"] or question["type"] == "note":
        return step.becomes(Status.STALE)
    await _forget(session, step, [question["name"]])
    return await _advance(session, step, now)


async def proceed(session: AsyncSession, response_id: int, telegram_id: int, index: int, now: datetime) -> Step:
    """Goes on from a note, or keeps the answer a revisited question already has."""
    step = await _load(session, response_id, telegram_id, now, index)
    if step.status is not Status.OK:
        return step
    question = step.survey.questions[index]
    if question["type"] != "note" and step.answers.get(question["name"]) is None:
        return step.becomes(Status.STALE)
    return await _advance(session, step, now)


async def back(session: AsyncSession, response_id: int, telegram_id: int, index: int, now: datetime) -> Step:
    """Goes back to the previous question the member was asked."""
    step = await _load(session, response_id, telegram_id, now, index)
    if step.status is not Status.OK:
        return step
    previous = previous_index(step.survey.questions, step.answers, index, local_today(now))
    if previous is None:
        return step.becomes(Status.STALE)
    step.response.current, step.response.updated_at = previous, now
    return step


async def answer_typed(session: AsyncSession, response_id: int, telegram_id: int, text: str,
                       now: datetime) -> Step:
    """Records a typed answer to the question being asked (checked against its type and constraint)."""
    step = await _load(session, response_id, telegram_id, now, None)
    if step.status is not Status.OK:
        return step
    if step.response.current is None:
        return step.becomes(Status.DONE)
    question = step.question
    try:
        value = parse_typed(question, text)
    except InvalidInput as exc:
        return step.becomes(Status.INVALID, exc.reason)
    return await _record(session, step, question, value, now)


async def answer_voice(session: AsyncSession, response_id: int, telegram_id: int, file_id: str, duration: int,
                       now: datetime) -> Step:
    """Records a voice note as the answer to a free-text question."""
    step = await _load(session, response_id, telegram_id, now, None)
    if step.status is not Status.OK:
        return step
    if step.response.current is None:
        return step.becomes(Status.DONE)
    question = step.question
    if question["type"] != "text":
        return step.becomes(Status.INVALID, "no_voice")
    if question.get("digits"):
        return step.becomes(Status.INVALID, "digits")
    if duration > VOICE_MAX_SECONDS:
        return step.becomes(Status.INVALID, "voice_long")
    return await _record(session, step, question, None, now, voice=(file_id[:200], duration))


async def hold_focus(session: AsyncSession, step: Step, now: datetime, message_id: int | None = None) -> None:
    """Points the member's typed input at this response while it has a question open (`message_id`: the message
    asking it, when known), and lets go once the response is finished. Writes only what changed."""
    response, focus = step.response, step.focus
    if response is None or step.member is None:
        return
    if response.current is not None and step.status in (Status.OK, Status.INVALID):
        data = dict(focus.data) if focus is not None and focus.data.get("response_id") == response.id else {}
        data["response_id"] = response.id
        if message_id is not None:
            data["message_id"] = message_id
        if focus is None:
            step.focus = Draft(telegram_id=step.member.telegram_id, kind=FOCUS, step=FOCUS_STEP, data=data,
                               created_at=now, updated_at=now)
            session.add(step.focus)
        elif data != focus.data or focus.step != FOCUS_STEP or not step.focus_first:
            focus.data, focus.step, focus.updated_at = data, FOCUS_STEP, now
        step.focus_first = True
    elif (step.finished or step.status is Status.DONE) and focus is not None \
            and focus.data.get("response_id") == response.id:
        await session.delete(focus)
        step.focus = None


def focus_message(step: Step) -> int | None:
    """The message asking the question typed input answers, as last remembered."""
    if step.focus is None or step.response is None or step.focus.data.get("response_id") != step.response.id:
        return None
    return step.focus.data.get("message_id")


async def remember_message(session: AsyncSession, step: Step, message_id: int) -> None:
    """Notes the message that now asks the member's question (sent after the action's unit of work)."""
    focus = step.focus
    if focus is None or focus.id is None or step.response is None or focus.data.get("response_id") != step.response.id:
        return
    focus.data = {**focus.data, "message_id": message_id}
    await session.execute(update(Draft).where(Draft.id == focus.id).values(data=focus.data)
                          .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class MemberSurvey:
    survey: Survey
    response: SurveyResponse | None


async def for_member(session: AsyncSession, member_id: int, now: datetime) -> list[MemberSurvey]:
    """Open surveys sent to the member, with their response so far, newest first."""
    rows = await session.execute(
        select(Survey, SurveyResponse)
        .join(OutboxMessage, and_(OutboxMessage.delivery_id == Survey.delivery_id, OutboxMessage.member_id == member_id))
        .outerjoin(SurveyResponse, and_(SurveyResponse.survey_id == Survey.id, SurveyResponse.member_id == member_id))
        .where(Survey.status == OPEN).order_by(Survey.sent_at.desc(), Survey.id.desc()))
    return [MemberSurvey(s, r) for s, r in rows if is_open(s, now)]


async def voice_answer(session: AsyncSession, answer_id: int) -> tuple[SurveyAnswer, Survey, Member] | None:
    """A voice-note answer with its survey and the member who sent it."""
    answer = await session.get(SurveyAnswer, answer_id)
    if answer is None or answer.voice_file_id is None:
        return None
    response = await session.get(SurveyResponse, answer.response_id)
    return answer, await session.get(Survey, response.survey_id), await session.get(Member, response.member_id)


# ---------------------------------------------------------------- results


@dataclass
class Tally:
    """Answers to one question by one group of respondents."""

    answered: int = 0
    counts: Counter = field(default_factory=Counter)
    numbers: list[float] = field(default_factory=list)

    @property
    def mean(self) -> float | None:
        return sum(self.numbers) / len(self.numbers) if self.numbers else None

    def add(self, question: dict, value) -> None:
        self.answered += 1
        if question["type"] == "select_multiple":
            self.counts.update(value)
        elif question["type"] == "select_one":
            self.counts[value] += 1
        elif question["type"] in ("rating", "integer", "decimal"):
            self.numbers.append(float(value))
            if question["type"] == "rating":
                self.counts[value] += 1


@dataclass
class QuestionResult:
    question: dict
    overall: Tally
    by_gender: dict[str, Tally]
    by_stakeholder: dict[str, Tally]
    voice_notes: int = 0


@dataclass
class Results:
    survey: Survey
    sent: int
    complete: int
    in_progress: int
    questions: list[QuestionResult]

    @property
    def rate(self) -> float | None:
        return self.complete / self.sent if self.sent else None


@dataclass
class Record:
    """One finished response for the export: the member and their answers by question name."""

    response: SurveyResponse
    member: Member | None
    answers: dict[str, SurveyAnswer]


async def records(session: AsyncSession, survey_id: int) -> list[Record]:
    """Every finished response with its member and answers, in the order they were finished."""
    rows = (await session.execute(
        select(SurveyResponse, Member).outerjoin(Member, Member.id == SurveyResponse.member_id)
        .where(SurveyResponse.survey_id == survey_id, SurveyResponse.completed_at.is_not(None))
        .order_by(SurveyResponse.completed_at, SurveyResponse.id))).all()
    answers: dict[int, dict[str, SurveyAnswer]] = {r.id: {} for r, _m in rows}
    if answers:
        for answer in await session.scalars(select(SurveyAnswer).where(SurveyAnswer.response_id.in_(list(answers)))):
            answers[answer.response_id][answer.question] = answer
    return [Record(r, m, answers[r.id]) for r, m in rows]


async def results(session: AsyncSession, survey: Survey) -> Results:
    """Response counts and, per question, counts, means and the breakdown by gender and stakeholder type."""
    sent = 0
    if survey.delivery_id is not None:
        sent = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.delivery_id == survey.delivery_id, OutboxMessage.status == outbox.SENT)) or 0
    in_progress = await session.scalar(select(func.count()).select_from(SurveyResponse).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.completed_at.is_(None))) or 0
    finished = await records(session, survey.id)
    per_question = []
    for question in survey.questions:
        if question["type"] == "note":
            continue
        result = QuestionResult(question, Tally(), {}, {})
        for record in finished:
            answer = record.answers.get(question["name"])
            if answer is None:
                continue
            if answer.voice_file_id is not None:
                result.voice_notes += 1
            if answer.value is None:
                result.overall.answered += 1
                continue
            gender = (record.member.gender if record.member else None) or ""
            stakeholder = (record.member.stakeholder if record.member else None) or ""
            for tally in (result.overall, result.by_gender.setdefault(gender, Tally()),
                          result.by_stakeholder.setdefault(stakeholder, Tally())):
                tally.add(question, answer.value)
        per_question.append(result)
    return Results(survey, sent, len(finished), in_progress, per_question)
