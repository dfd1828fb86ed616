"""Members answering one question at a time: a member's place in a survey and every answer are rows,
written after each step, so leaving the chat or a restart resumes at the same question. Only the
question being asked takes answers: a button from an older message, a double press or forged data finds
the response elsewhere and changes nothing.

Answering is the hot path: an action reads the response with its survey, the member and their draft in
one statement and the answers in a second, works on those objects, and leaves the writes (the answer,
the position) to the unit of work that commits it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Text, and_, bindparam, cast, delete, exists, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, defer
from sqlalchemy.orm.attributes import set_committed_value

from bot import xlsform
from bot.db import direct_select, execute_direct, shape, take_all
from bot.models import Draft, Member, OutboxMessage, Survey, SurveyAnswer, SurveyResponse
from bot.services.surveys.defining import DRAFT, OPEN, SCHEDULED, VOICE_MAX_SECONDS, InvalidInput
from bot.services.surveys.questions import (
    is_relevant,
    local_today,
    next_index,
    parse_typed,
    previous_index,
    satisfies,
    values_of,
)
from bot.services.surveys.sending import is_open


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
# The questions come as their stored text, decoded once per text (_questions) rather than on every answer.
_QUESTIONS_TEXT = cast(Survey.questions, Text)
_BEGIN = (
    select(Survey, SurveyResponse, Member, Draft, _first_waiting(), _QUESTIONS_TEXT,
           exists().where(OutboxMessage.delivery_id == Survey.delivery_id,
                          OutboxMessage.member_id == Member.id).label("was_sent"))
    .join_from(Member, Survey, Survey.id == bindparam("survey_id"))
    .outerjoin(SurveyResponse, and_(SurveyResponse.survey_id == Survey.id, SurveyResponse.member_id == Member.id))
    .outerjoin(Draft, _FOCUS_JOIN)
    .where(Member.telegram_id == bindparam("telegram_id"), Member.registered_at.is_not(None))
    .options(defer(Survey.questions)))
# Read straight into objects (db.take_all): the ORM's loading of four objects cost more than the statement.
_LOADED = (shape(SurveyResponse), shape(Survey, without=("questions",)), shape(Member), shape(Draft))
_RESPONSE = (
    select(*(column for each in _LOADED for column in each.columns), _first_waiting(), _QUESTIONS_TEXT)
    .select_from(SurveyResponse)
    .join(Survey, Survey.id == SurveyResponse.survey_id)
    .join(Member, Member.id == SurveyResponse.member_id)
    .outerjoin(Draft, _FOCUS_JOIN)
    .where(SurveyResponse.id == bindparam("response_id"), Member.telegram_id == bindparam("telegram_id"),
           Member.registered_at.is_not(None)))
_ANSWERS = direct_select(SurveyAnswer, SurveyAnswer.response_id == bindparam("response_id"))


_DECODED: dict[str, list] = {}
_DECODED_MAX = 64


def _questions(text: str | None) -> list:
    """The questions stored as `text`, decoded once for as long as they are among the latest few asked about.
    A sent survey's questions are frozen and only read here, so one decoded list serves every answer."""
    questions = _DECODED.get(text)
    if questions is None:
        questions = json.loads(text) if text is not None else None
        if len(_DECODED) >= _DECODED_MAX:
            _DECODED.pop(next(iter(_DECODED)))
        _DECODED[text] = questions
    return questions


def _found(survey: Survey, response: SurveyResponse | None, member: Member, focus: Draft | None,
           first_waiting: int | None, questions_text: str | None) -> Step:
    if "questions" not in survey.__dict__:  # deferred; already there if the survey was loaded before
        set_committed_value(survey, "questions", _questions(questions_text))
    return Step(Status.OK, survey, response, member=member, focus=focus,
                focus_first=focus is not None and first_waiting == focus.id,
                asked=response.current if response is not None else None)


async def _read_answers(session: AsyncSession, step: Step) -> Step:
    rows, _ = await execute_direct(session, _ANSWERS, {"response_id": step.response.id})
    answered = shape(SurveyAnswer)
    step.rows = {answer.question: answer for answer in (answered.take(session, row) for row in rows)}
    step.answers = {name: (row.value if row.voice_file_id is None else _VOICE) for name, row in step.rows.items()}
    return step


async def begin(session: AsyncSession, survey_id: int, telegram_id: int, now: datetime) -> Step:
    """Starts the member's response (or finds it): at the first question, or where they left off."""
    row = (await session.execute(_BEGIN, {"survey_id": survey_id, "telegram_id": telegram_id})).first()
    if row is None:
        return Step(Status.NOT_FOUND)
    survey, response, member, focus, first_waiting, questions_text, sent = row
    step = _found(survey, response, member, focus, first_waiting, questions_text)
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
    rows, _ = await execute_direct(session, _RESPONSE, {"response_id": response_id, "telegram_id": telegram_id})
    if not rows:
        return Step(Status.NOT_FOUND)
    response, survey, member, focus, first_waiting, questions_text = take_all(session, rows[0], _LOADED)
    step = _found(survey, response, member, focus, first_waiting, questions_text)
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
        if row in session:
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


async def _load_asked(session: AsyncSession, response_id: int, telegram_id: int, now: datetime) -> Step:
    """The member's step at the question being asked, for something typed or spoken: DONE once none is left."""
    step = await _load(session, response_id, telegram_id, now, None)
    if step.status is Status.OK and step.response.current is None:
        return step.becomes(Status.DONE)
    return step


async def answer_typed(session: AsyncSession, response_id: int, telegram_id: int, text: str,
                       now: datetime) -> Step:
    """Records a typed answer to the question being asked (checked against its type and constraint)."""
    step = await _load_asked(session, response_id, telegram_id, now)
    if step.status is not Status.OK:
        return step
    question = step.question
    try:
        value = parse_typed(question, text)
    except InvalidInput as exc:
        return step.becomes(Status.INVALID, exc.reason)
    return await _record(session, step, question, value, now)


async def answer_voice(session: AsyncSession, response_id: int, telegram_id: int, file_id: str, duration: int,
                       now: datetime) -> Step:
    """Records a voice note as the answer to a free-text question."""
    step = await _load_asked(session, response_id, telegram_id, now)
    if step.status is not Status.OK:
        return step
    question = step.question
    if question["type"] != "text":
        return step.becomes(Status.INVALID, "no_voice")
    if question.get("digits"):
        return step.becomes(Status.INVALID, "digits")
    if duration > VOICE_MAX_SECONDS:
        return step.becomes(Status.INVALID, "voice_long")
    return await _record(session, step, question, None, now, voice=(file_id[:200], duration))


_ANSWER_TABLE, _RESPONSE_TABLE = SurveyAnswer.__table__, SurveyResponse.__table__
_ANSWER_VALUES = {"value": bindparam("b_value"), "voice_file_id": bindparam("b_voice"),
                  "voice_duration": bindparam("b_duration"), "answered_at": bindparam("b_at")}
_INSERT_ANSWER = (_ANSWER_TABLE.insert().values(response_id=bindparam("b_response"), question=bindparam("b_question"),
                                                **_ANSWER_VALUES).returning(_ANSWER_TABLE.c.id))
_UPDATE_ANSWER = _ANSWER_TABLE.update().where(_ANSWER_TABLE.c.id == bindparam("b_id")).values(**_ANSWER_VALUES)
_UPDATE_RESPONSE = (_RESPONSE_TABLE.update().where(_RESPONSE_TABLE.c.id == bindparam("b_id"))
                    .values(current=bindparam("b_current"), completed_at=bindparam("b_completed"),
                            updated_at=bindparam("b_updated")))


def _answer_params(row: SurveyAnswer) -> dict:
    return {"b_id": row.id, "b_response": row.response_id, "b_question": row.question, "b_value": row.value,
            "b_voice": row.voice_file_id, "b_duration": row.voice_duration, "b_at": row.answered_at}


async def _write_out(session: AsyncSession, step: Step) -> None:
    """Writes the answers and the position an action changed with statements built once, straight to the
    connection where that can be (db.execute_direct), instead of leaving them to the unit of work's flush
    (several times the cost); the rows written leave the session as they are."""
    with session.no_autoflush:
        for row in step.rows.values():
            state = inspect(row)
            if state.pending:
                added, _ = await execute_direct(session, _INSERT_ANSWER, _answer_params(row))
                session.expunge(row)
                row.id = added[0][0]
            elif state.persistent and state.modified:
                await execute_direct(session, _UPDATE_ANSWER, _answer_params(row))
                session.expunge(row)
        response = step.response
        if response is not None and inspect(response).persistent and inspect(response).modified:
            await execute_direct(session, _UPDATE_RESPONSE, {"b_id": response.id, "b_current": response.current,
                                                             "b_completed": response.completed_at,
                                                             "b_updated": response.updated_at})
            session.expunge(response)


async def hold_focus(session: AsyncSession, step: Step, now: datetime, message_id: int | None = None) -> None:
    """Points the member's typed input at this response while it has a question open (`message_id`: the message
    asking it, when known), and lets go once the response is finished. Writes only what changed (the action's
    answers and position too)."""
    await _write_out(session, step)
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
