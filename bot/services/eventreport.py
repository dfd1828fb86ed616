"""Everything the bot collected about one event, gathered for its report: attendance, working-group interest
from the event, survey results with the members' own words, consultation inputs by theme and the organisations
that took part; and the report's sending by itself to the coordinators once the event has ended."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import CheckIn, Consultation, Event, EventReportSend, GroupInterest, Member, Survey, WorkingGroup
from bot.services import attendance, consultations, coordinators, groups, surveys
from bot.services.attendance import Report

SENDING, SENT, SKIPPED = "sending", "sent", "skipped"
# An event that ended longer ago than this while no process was running gets no report by itself.
CATCH_UP = timedelta(days=3)
TEXT_TYPES = ("text",)


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
class SurveyOutcome:
    """A survey of the event: its results, whether it is still collecting answers, and the typed answers to
    its open questions (by question name, in the order they were finished)."""

    results: surveys.Results
    collecting: bool
    texts: dict[str, list[str]] = field(default_factory=dict)

    @property
    def survey(self) -> Survey:
        return self.results.survey


@dataclass(frozen=True)
class EventReport:
    attendance: Report
    interest: list[GroupInterestCount]
    results: list[SurveyOutcome]
    questions: list[Consultation]
    needs: list[Need]
    # Organisations that took part, by name, with how many of their people checked in.
    organisations: dict[str, int]

    @property
    def event(self):
        return self.attendance.event


async def collect(session: AsyncSession, event_id: int, now: datetime) -> EventReport | None:
    """The report of a published event as it stands `now`; None if there is no such event."""
    report = await attendance.report(session, event_id)
    if report is None:
        return None
    asked = list(await session.scalars(select(Consultation).where(Consultation.event_id == event_id)
                                       .order_by(Consultation.id)))
    return EventReport(
        attendance=report,
        interest=await interest_from(session, event_id),
        results=await survey_results(session, event_id, now),
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


async def survey_results(session: AsyncSession, event_id: int, now: datetime) -> list[SurveyOutcome]:
    """The event's surveys still collecting answers, and those closed that someone finished."""
    attached = await session.scalars(select(Survey).where(Survey.event_id == event_id, Survey.status != surveys.DRAFT)
                                     .order_by(Survey.id))
    found = []
    for survey in list(attached):
        collecting = survey.status == surveys.SCHEDULED or surveys.is_open(survey, now)
        results = await surveys.results(session, survey)
        if collecting or results.complete:
            found.append(SurveyOutcome(results, collecting, await typed_answers(session, survey)))
    return found


async def typed_answers(session: AsyncSession, survey: Survey) -> dict[str, list[str]]:
    """What finished respondents typed to the survey's open questions, by question name (blank ones left out)."""
    names = [q["name"] for q in survey.questions if q["type"] in TEXT_TYPES]
    texts: dict[str, list[str]] = {name: [] for name in names}
    if not names:
        return texts
    for record in await surveys.records(session, survey.id):
        for name in names:
            answer = record.answers.get(name)
            if answer is not None and isinstance(answer.value, str) and answer.value.strip():
                texts[name].append(answer.value.strip())
    return texts


def organisations(report: Report) -> dict[str, int]:
    """Organisations of the people who checked in (members and walk-ins), each once, by name."""
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for person in report.attendees:
        name = " ".join((person.organisation or "").split())
        if name:
            key = name.casefold()
            spelling.setdefault(key, name)
            counts[key] += 1
    return {spelling[key]: counts[key] for key in sorted(counts, key=lambda k: spelling[k].casefold())}


async def event(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


async def attendee_member_ids(session: AsyncSession, event_id: int) -> list[int]:
    """Members who checked in at the event (walk-ins have no chat to reach)."""
    rows = await session.scalars(select(CheckIn.member_id).where(CheckIn.event_id == event_id,
                                                                 CheckIn.member_id.is_not(None)))
    return sorted(set(rows))


# ---------------------------------------------------------------- sent by itself when the event ends


async def claim_ended(session: AsyncSession, now: datetime, configured: frozenset[int]) -> list[EventReportSend]:
    """Published events that have ended get their report addressed to their coordinators (the event's creator
    and every coordinator); returns the reports still going out, oldest first."""
    ended = await session.scalars(
        select(Event).where(Event.status == "published", Event.ends_at <= now, Event.ends_at > now - CATCH_UP,
                            ~exists().where(EventReportSend.event_id == Event.id))
        .order_by(Event.ends_at, Event.id))
    for event in list(ended):
        ids = await coordinators.all_ids(session, configured)
        session.add(EventReportSend(event_id=event.id, status=SENDING, created_at=now, sent_to=[],
                                    recipients=[event.created_by, *[i for i in ids if i != event.created_by]]))
    await session.flush()
    return list(await session.scalars(select(EventReportSend).where(EventReportSend.status == SENDING)
                                      .order_by(EventReportSend.id)))


async def next_recipient(session: AsyncSession, send_id: int, now: datetime) -> int | None:
    """The next coordinator waiting for the report; None once everyone has had it (the report is then done)."""
    row = await session.get(EventReportSend, send_id)
    if row is None or row.status != SENDING:
        return None
    waiting = [chat_id for chat_id in row.recipients if chat_id not in row.sent_to]
    if not waiting:
        row.status, row.finished_at = SENT, now
        return None
    return waiting[0]


async def take_recipient(session: AsyncSession, send_id: int, chat_id: int) -> bool:
    """Marks the report as sent to the coordinator, before it is sent (so no one gets it twice); False if it
    already was."""
    row = await session.get(EventReportSend, send_id, with_for_update=True)
    if row is None or row.status != SENDING or chat_id in row.sent_to:
        return False
    row.sent_to = [*row.sent_to, chat_id]
    return True


async def finish(session: AsyncSession, send_id: int, now: datetime) -> None:
    """Marks a report as done, sent or not (its event is gone, or it could not be written)."""
    await session.execute(update(EventReportSend)
                          .where(EventReportSend.id == send_id, EventReportSend.status == SENDING)
                          .values(status=SENT, finished_at=now))

