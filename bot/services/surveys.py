"""Surveys: defining and sending them, members answering one question at a time, skip logic and
constraints, the post-event trigger and its reminder, and the results.

A member's place in a survey and every answer are rows, written after each step, so leaving the chat
or a restart resumes at the same question. Only the question being asked takes answers: a button from
an older message, a double press or forged data finds the response elsewhere and changes nothing.
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

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import skiplogic, xlsform
from bot.models import CheckIn, Delivery, Event, Member, OutboxMessage, Survey, SurveyAnswer, SurveyResponse
from bot.services import outbox
from bot.services.audience import Audience
from bot.text import clean_line, normalize_digits, parse_int

DRAFT, SCHEDULED, OPEN, CLOSED = "draft", "scheduled", "open", "closed"
KIND, REMINDER_KIND = "survey", "survey_reminder"
# "Today" in skip logic and constraints, and the dates members type, are Cambodia's.
LOCAL_ZONE = ZoneInfo("Asia/Phnom_Penh")
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


async def recent(session: AsyncSession, limit: int = 10) -> list[Survey]:
    """The latest surveys, newest first."""
    return list(await session.scalars(select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc()).limit(limit)))


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
_DECIMAL = re.compile(r"[+-]?(\d+([.,]\d+)?|[.,]\d+)")


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
        return block
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
    NOT_FOUND = "not_found"  # no such survey or response, or not this member's
    NOT_SENT = "not_sent"  # the survey was not sent to this member
    CLOSED = "closed"
    STALE = "stale"  # the question is no longer the one being asked
    INVALID = "invalid"  # the answer does not fit; `reason` says why
    DONE = "done"  # the member already finished (they may change their answers)


@dataclass
class Step:
    """Where a member stands after an action: the survey, their response and answers, and what happened."""

    status: Status
    survey: Survey | None = None
    response: SurveyResponse | None = None
    answers: dict[str, object] = field(default_factory=dict)
    reason: str | None = None
    finished: bool = False  # this action completed the response
    created: bool = False

    @property
    def question(self) -> dict | None:
        if self.survey is None or self.response is None or self.response.current is None:
            return None
        return self.survey.questions[self.response.current]


async def _was_sent(session: AsyncSession, survey: Survey, member_id: int) -> bool:
    if survey.delivery_id is None:
        return False
    return bool(await session.scalar(select(exists().where(
        OutboxMessage.delivery_id == survey.delivery_id, OutboxMessage.member_id == member_id))))


async def _answer_rows(session: AsyncSession, response_id: int) -> dict[str, SurveyAnswer]:
    rows = await session.scalars(select(SurveyAnswer).where(SurveyAnswer.response_id == response_id))
    return {row.question: row for row in rows}


async def _step(session: AsyncSession, survey: Survey, response: SurveyResponse, status: Status = Status.OK,
                **kwargs) -> Step:
    rows = await _answer_rows(session, response.id)
    answers = {name: (row.value if row.voice_file_id is None else _VOICE) for name, row in rows.items()}
    return Step(status, survey, response, answers, **kwargs)


# A voice note answers a text question; skip logic sees it as answered, with no text to compare.
_VOICE = "\u2063voice"


def is_voice(value) -> bool:
    return value == _VOICE


async def begin(session: AsyncSession, survey_id: int, member_id: int, now: datetime) -> Step:
    """Starts the member's response (or finds it): at the first question, or where they left off."""
    survey = await session.get(Survey, survey_id)
    if survey is None or survey.status in (DRAFT, SCHEDULED):
        return Step(Status.NOT_FOUND)
    if not await _was_sent(session, survey, member_id):
        return Step(Status.NOT_SENT, survey)
    response = await session.scalar(select(SurveyResponse).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.member_id == member_id))
    if not is_open(survey, now):
        return Step(Status.CLOSED, survey, response)
    if response is None:
        response = SurveyResponse(survey_id=survey.id, member_id=member_id, started_at=now, updated_at=now)
        response.current = next_index(survey.questions, {}, -1, local_today(now))
        session.add(response)
        await session.flush()
        if response.current is None:
            await _complete(session, survey, response, {}, now)
            return await _step(session, survey, response, finished=True, created=True)
        return await _step(session, survey, response, created=True)
    if response.current is None:
        return await _step(session, survey, response, Status.DONE)
    return await _step(session, survey, response)


async def _load(session: AsyncSession, response_id: int, member_id: int, now: datetime,
                index: int | None) -> tuple[Step | None, Survey | None, SurveyResponse | None]:
    """The member's own response, with the survey open and `index` the question being asked; or why not."""
    response = await session.get(SurveyResponse, response_id)
    if response is None or response.member_id != member_id:
        return Step(Status.NOT_FOUND), None, None
    survey = await session.get(Survey, response.survey_id)
    if not is_open(survey, now):
        return Step(Status.CLOSED, survey, response), None, None
    if index is not None and response.current != index:
        return await _step(session, survey, response, Status.STALE), None, None
    return None, survey, response


async def edit(session: AsyncSession, response_id: int, member_id: int, now: datetime) -> Step:
    """Takes a finished member back to the first question, their answers kept, to change them."""
    problem, survey, response = await _load(session, response_id, member_id, now, None)
    if problem:
        return problem
    if response.current is None:
        rows = await _answer_rows(session, response.id)
        response.current = next_index(survey.questions, {n: r.value for n, r in rows.items()}, -1, local_today(now))
        response.updated_at = now
    return await _step(session, survey, response)


async def resume(session: AsyncSession, response_id: int, member_id: int, now: datetime) -> Step:
    """The member's response as it stands, to show the question they are on."""
    problem, survey, response = await _load(session, response_id, member_id, now, None)
    if problem:
        return problem
    return await _step(session, survey, response, Status.OK if response.current is not None else Status.DONE)


async def _save(session: AsyncSession, response: SurveyResponse, name: str, value, now: datetime, *,
                voice: tuple[str, int] | None = None) -> None:
    row = await session.scalar(select(SurveyAnswer).where(SurveyAnswer.response_id == response.id,
                                                          SurveyAnswer.question == name))
    if row is None:
        row = SurveyAnswer(response_id=response.id, question=name)
        session.add(row)
    row.value = value
    row.voice_file_id, row.voice_duration = voice if voice else (None, None)
    row.answered_at = now
    response.updated_at = now
    await session.flush()


async def _forget(session: AsyncSession, response: SurveyResponse, names: list[str]) -> None:
    if names:
        await session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id == response.id,
                                                         SurveyAnswer.question.in_(names)))


async def _complete(session: AsyncSession, survey: Survey, response: SurveyResponse, answers: dict, now: datetime):
    """Finishes the response; answers to questions skip logic now rules out are dropped, as Kobo leaves them blank."""
    values = values_of(survey.questions, answers)
    today = local_today(now)
    ruled_out = [q["name"] for q in survey.questions if q["name"] in answers and not is_relevant(q, values, today)]
    await _forget(session, response, ruled_out)
    response.current, response.completed_at, response.updated_at = None, now, now


async def _advance(session: AsyncSession, survey: Survey, response: SurveyResponse, now: datetime) -> Step:
    rows = await _answer_rows(session, response.id)
    answers = {name: (row.value if row.voice_file_id is None else _VOICE) for name, row in rows.items()}
    following = next_index(survey.questions, answers, response.current, local_today(now))
    if following is None:
        await _complete(session, survey, response, answers, now)
        await session.flush()
        return await _step(session, survey, response, finished=True)
    response.current, response.updated_at = following, now
    return await _step(session, survey, response)


async def choose(session: AsyncSession, response_id: int, member_id: int, index: int, choice: int,
                 now: datetime) -> Step:
    """Records a choice (select_one) or a rating pressed on the question being asked, and moves on."""
    problem, survey, response = await _load(session, response_id, member_id, now, index)
    if problem:
        return problem
    question = survey.questions[index]
    if question["type"] == "select_one" and 0 <= choice < len(question["choices"]):
        value = question["choices"][choice]["name"]
    elif question["type"] == "rating" and 0 <= choice < len(xlsform.rating_values(question)):
        value = xlsform.rating_values(question)[choice]
    else:
        return await _step(session, survey, response, Status.STALE)
    return await _record(session, survey, response, question, value, now)


async def _record(session: AsyncSession, survey: Survey, response: SurveyResponse, question: dict, value,
                  now: datetime, voice: tuple[str, int] | None = None) -> Step:
    current = await _step(session, survey, response)
    if voice is None and not satisfies(question, value, values_of(survey.questions, current.answers),
                                       local_today(now)):
        return await _step(session, survey, response, Status.INVALID, reason="constraint")
    await _save(session, response, question["name"], value, now, voice=voice)
    return await _advance(session, survey, response, now)


async def toggle(session: AsyncSession, response_id: int, member_id: int, index: int, choice: int,
                 now: datetime) -> Step:
    """Ticks or unticks one choice of a select_multiple question; the list is saved at once."""
    problem, survey, response = await _load(session, response_id, member_id, now, index)
    if problem:
        return problem
    question = survey.questions[index]
    if question["type"] != "select_multiple" or not 0 <= choice < len(question["choices"]):
        return await _step(session, survey, response, Status.STALE)
    current = await _step(session, survey, response)
    chosen = set(current.answers.get(question["name"]) or [])
    chosen ^= {question["choices"][choice]["name"]}
    ordered = [c["name"] for c in question["choices"] if c["name"] in chosen]
    if ordered:
        await _save(session, response, question["name"], ordered, now)
    else:
        await _forget(session, response, [question["name"]])
        response.updated_at = now
    return await _step(session, survey, response)


async def done(session: AsyncSession, response_id: int, member_id: int, index: int, now: datetime) -> Step:
    """Confirms the ticked choices of a select_multiple question and moves on."""
    problem, survey, response = await _load(session, response_id, member_id, now, index)
    if problem:
        return problem
    question = survey.questions[index]
    if question["type"] != "select_multiple":
        return await _step(session, survey, response, Status.STALE)
    current = await _step(session, survey, response)
    chosen = current.answers.get(question["name"]) or []
    if not chosen and question["required"]:
        return await _step(session, survey, response, Status.INVALID, reason="choose")
    if chosen and not satisfies(question, chosen, values_of(survey.questions, current.answers), local_today(now)):
        return await _step(session, survey, response, Status.INVALID, reason="constraint")
    return await _advance(session, survey, response, now)


async def skip(session: AsyncSession, response_id: int, member_id: int, index: int, now: datetime) -> Step:
    """Leaves an optional question unanswered (clearing an earlier answer) and moves on."""
    problem, survey, response = await _load(session, response_id, member_id, now, index)
    if problem:
        return problem
    question = survey.questions[index]
    if question["required"] or question["type"] == "note":
        return await _step(session, survey, response, Status.STALE)
    await _forget(session, response, [question["name"]])
    return await _advance(session, survey, response, now)


async def proceed(session: AsyncSession, response_id: int, member_id: int, index: int, now: datetime) -> Step:
    """Goes on from a note, or keeps the answer a revisited question already has."""
    problem, survey, response = await _load(session, response_id, member_id, now, index)
    if problem:
        return problem
    question = survey.questions[index]
    current = await _step(session, survey, response)
    if question["type"] != "note" and current.answers.get(question["name"]) is None:
        return await _step(session, survey, response, Status.STALE)
    return await _advance(session, survey, response, now)


async def back(session: AsyncSession, response_id: int, member_id: int, index: int, now: datetime) -> Step:
    """Goes back to the previous question the member was asked."""
    problem, survey, response = await _load(session, response_id, member_id, now, index)
    if problem:
        return problem
    current = await _step(session, survey, response)
    previous = previous_index(survey.questions, current.answers, index, local_today(now))
    if previous is None:
        return await _step(session, survey, response, Status.STALE)
    response.current, response.updated_at = previous, now
    return await _step(session, survey, response)


async def answer_typed(session: AsyncSession, response_id: int, member_id: int, text: str, now: datetime) -> Step:
    """Records a typed answer to the question being asked (checked against its type and constraint)."""
    problem, survey, response = await _load(session, response_id, member_id, now, None)
    if problem:
        return problem
    if response.current is None:
        return await _step(session, survey, response, Status.DONE)
    question = survey.questions[response.current]
    try:
        value = parse_typed(question, text)
    except InvalidInput as exc:
        return await _step(session, survey, response, Status.INVALID, reason=exc.reason)
    return await _record(session, survey, response, question, value, now)


async def answer_voice(session: AsyncSession, response_id: int, member_id: int, file_id: str, duration: int,
                       now: datetime) -> Step:
    """Records a voice note as the answer to a free-text question."""
    problem, survey, response = await _load(session, response_id, member_id, now, None)
    if problem:
        return problem
    if response.current is None:
        return await _step(session, survey, response, Status.DONE)
    question = survey.questions[response.current]
    if question["type"] != "text":
        return await _step(session, survey, response, Status.INVALID, reason="no_voice")
    if duration > VOICE_MAX_SECONDS:
        return await _step(session, survey, response, Status.INVALID, reason="voice_long")
    return await _record(session, survey, response, question, None, now, voice=(file_id[:200], duration))


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
