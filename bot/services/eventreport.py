"""Everything the bot collected about one event, gathered for its report: attendance, working-group interest
from the event, survey results, consultation inputs by theme and the organisations that took part."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import CheckIn, Consultation, GroupInterest, Member, Survey, WorkingGroup
from bot.services import attendance, consultations, groups, surveys
from bot.services.attendance import Report


@dataclass(frozen=True)
class GroupInterestCount:
    """People who expressed interest in a working group through this event, by gender and stakeholder type."""

    group: WorkingGroup
    stage: groups.Stage


@dataclass(frozen=True)
class Need:
    """One theme of the consultations held at the event, with its inputs (typed texts; voice notes only counted)."""

    label_en: str
    label_km: str
    count: int
    texts: list[str]

    @property
    def voice_notes(self) -> int:
        return self.count - len(self.texts)

    def label(self, language: str) -> str:
        return (self.label_km if language == "km" else self.label_en) or self.label_en


@dataclass(frozen=True)
class Organisation:
    name: str
    people: int


@dataclass(frozen=True)
class EventReport:
    attendance: Report
    interest: list[GroupInterestCount]
    results: list[surveys.Results]
    questions: list[Consultation]
    needs: list[Need]
    organisations: list[Organisation]

    @property
    def event(self):
        return self.attendance.event


async def collect(session: AsyncSession, event_id: int) -> EventReport | None:
    """The report of a published event; None if there is no such event."""
    report = await attendance.report(session, event_id)
    if report is None:
        return None
    asked = list(await session.scalars(select(Consultation).where(Consultation.event_id == event_id)
                                       .order_by(Consultation.id)))
    return EventReport(
        attendance=report,
        interest=await interest_from(session, event_id),
        results=await survey_results(session, event_id),
        questions=asked,
        needs=[Need(*row) for row in await consultations.needs_by_theme(session, event_id)],
        organisations=organisations(report),
    )


async def interest_from(session: AsyncSession, event_id: int) -> list[GroupInterestCount]:
    """Working groups people joined the queue of from this event (withdrawals left out), most interest first."""
    rows = await session.execute(
        select(GroupInterest, Member).outerjoin(Member, Member.id == GroupInterest.member_id)
        .where(GroupInterest.event_id == event_id, GroupInterest.status != groups.WITHDRAWN))
    people: dict[int, list[groups.Person]] = {}
    for interest, member in rows.all():
        people.setdefault(interest.group_id, []).append(groups.Person(interest, member))
    found = []
    for group_id, persons in people.items():
        group = await session.get(WorkingGroup, group_id)
        stage = groups.Stage(total=len(persons), by_gender=Counter(p.gender or "undisclosed" for p in persons),
                             by_stakeholder=Counter(p.stakeholder or "other" for p in persons))
        found.append(GroupInterestCount(group, stage))
    return sorted(found, key=lambda item: (-item.stage.total, item.group.name_en))


async def survey_results(session: AsyncSession, event_id: int) -> list[surveys.Results]:
    """Results of the surveys sent for this event that someone finished."""
    attached = await session.scalars(select(Survey).where(Survey.event_id == event_id, Survey.status != surveys.DRAFT)
                                     .order_by(Survey.id))
    results = [await surveys.results(session, survey) for survey in attached]
    return [result for result in results if result.complete]


def organisations(report: Report) -> list[Organisation]:
    """Organisations of the people who checked in (members and walk-ins), each once, by name."""
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for person in report.attendees:
        name = " ".join((person.organisation or "").split())
        if name:
            key = name.casefold()
            spelling.setdefault(key, name)
            counts[key] += 1
    return [Organisation(spelling[key], counts[key]) for key in sorted(counts, key=lambda k: spelling[k].casefold())]


async def attendee_member_ids(session: AsyncSession, event_id: int) -> list[int]:
    """Members who checked in at the event (walk-ins have no chat to reach)."""
    rows = await session.scalars(select(CheckIn.member_id).where(CheckIn.event_id == event_id,
                                                                 CheckIn.member_id.is_not(None)))
    return sorted(set(rows))
