"""A survey's results: counts per question, by group of respondents, and the records behind them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Member, OutboxMessage, Survey, SurveyAnswer, SurveyResponse
from bot.services import outbox
from bot.services.surveys.defining import DRAFT


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


async def _sent(session: AsyncSession, survey_id: int) -> Survey | None:
    survey = await session.get(Survey, survey_id)
    return survey if survey is not None and survey.status != DRAFT else None


async def results_of(session: AsyncSession, survey_id: int) -> Results | None:
    """A survey's results; None if there is no such survey or it was never sent."""
    survey = await _sent(session, survey_id)
    return await results(session, survey) if survey is not None else None


async def records_of(session: AsyncSession, survey_id: int) -> tuple[Survey, list[Record]] | None:
    """A survey and its finished responses (see `records`); None if there is no such survey or it was never sent."""
    survey = await _sent(session, survey_id)
    return (survey, await records(session, survey_id)) if survey is not None else None
