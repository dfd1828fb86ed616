"""Consultations: a question, its themes, and the needs members (or a table's note-taker) give under each."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Consultation, ConsultationInput, ConsultationTheme, Delivery, Event, Member, OutboxMessage
from bot.services import groups
from bot.services.groups import InvalidInput, both_languages, clean_single_line, clean_text
from bot.text import normalize_digits

QUESTION_MAX = 500
THEME_MAX = 60
THEMES_MAX = 12
INPUT_MAX = 1000
PAGE_SIZE = 10
VOICE_PREFIX = "vn_"

OPEN, CLOSED = "open", "closed"
_KHMER = re.compile("[\u1780-\u17ff\u19e0-\u19ff]")


def language_of(text: str, fallback: str) -> str:
    """'km' for text written in Khmer script, 'en' for other typed text."""
    if _KHMER.search(text):
        return "km"
    return "en" if text.strip() else fallback


def question(consultation: Consultation, language: str) -> str:
    return (consultation.question_km if language == "km" else consultation.question_en) or consultation.question_en


def label(theme: ConsultationTheme, language: str) -> str:
    return (theme.label_km if language == "km" else theme.label_en) or theme.label_en


def parse_themes(text: str) -> list[tuple[str, str]]:
    """Themes typed one per line, as 'English / Khmer' or in one language used for both."""
    themes = []
    for line in clean_text(text, THEMES_MAX * (2 * THEME_MAX + 3)).split("\n"):
        english, sep, khmer = line.rpartition("/")
        # A slash inside an English theme ("studies/research") is not the separator: Khmer follows that one.
        if not sep or not _KHMER.search(khmer) or _KHMER.search(english):
            english, khmer = line, ""
        english = clean_single_line(english, THEME_MAX) if english.strip() else ""
        khmer = clean_single_line(khmer, THEME_MAX) if khmer.strip() else ""
        if not english and not khmer:
            continue
        if _KHMER.search(english) and not khmer:
            english, khmer = "", english
        themes.append(both_languages(english, khmer))
    if not themes:
        raise InvalidInput("empty")
    if len(themes) > THEMES_MAX:
        raise InvalidInput("too_many", THEMES_MAX)
    return themes


def is_open(consultation: Consultation, now: datetime) -> bool:
    """Open for input: not closed by a coordinator and not past its closing time."""
    return consultation.status == OPEN and (consultation.closes_at is None or now < consultation.closes_at)


async def create(session: AsyncSession, *, question_en: str, question_km: str, themes: Sequence[tuple[str, str]],
                 event_id: int | None, closes_at: datetime | None, created_by: int, now: datetime) -> Consultation:
    """Opens a consultation with its themes, in the order given."""
    question_en, question_km = both_languages(question_en, question_km)
    if not question_en or not themes:
        raise InvalidInput("empty")
    consultation = Consultation(event_id=event_id, question_en=question_en, question_km=question_km, status=OPEN,
                                closes_at=closes_at, created_by=created_by, created_at=now, updated_at=now)
    session.add(consultation)
    await session.flush()
    for position, (english, khmer) in enumerate(themes[:THEMES_MAX]):
        english, khmer = both_languages(english, khmer)
        session.add(ConsultationTheme(consultation_id=consultation.id, position=position,
                                      label_en=english[:THEME_MAX], label_km=khmer[:THEME_MAX]))
    await session.flush()
    return consultation


async def get(session: AsyncSession, consultation_id: int) -> Consultation | None:
    return await session.get(Consultation, consultation_id)


async def event_of(session: AsyncSession, consultation: Consultation) -> Event | None:
    """The event the consultation is part of (None when it stands alone)."""
    return await session.get(Event, consultation.event_id) if consultation.event_id else None


async def themes(session: AsyncSession, consultation_id: int) -> list[ConsultationTheme]:
    return list(await session.scalars(select(ConsultationTheme).where(
        ConsultationTheme.consultation_id == consultation_id).order_by(ConsultationTheme.position)))


async def theme(session: AsyncSession, consultation_id: int, theme_id: int) -> ConsultationTheme | None:
    """A theme of this consultation (None for another consultation's)."""
    found = await session.get(ConsultationTheme, theme_id)
    return found if found is not None and found.consultation_id == consultation_id else None


async def recent(session: AsyncSession, *, limit: int = 10) -> list[Consultation]:
    return list(await session.scalars(select(Consultation).order_by(Consultation.created_at.desc(),
                                                                    Consultation.id.desc()).limit(limit)))


async def set_open(session: AsyncSession, consultation: Consultation, is_open_: bool, now: datetime) -> None:
    """Closes a consultation to input, or reopens it (a passed closing time is then lifted)."""
    consultation.status = OPEN if is_open_ else CLOSED
    if is_open_ and consultation.closes_at is not None and consultation.closes_at <= now:
        consultation.closes_at = None
    consultation.updated_at = now


# ---------------------------------------------------------------- inputs


class Refused(StrEnum):
    CLOSED = "closed"
    NO_THEME = "no_theme"


class InputRefused(Exception):
    def __init__(self, reason: Refused) -> None:
        super().__init__(reason)
        self.reason = reason


async def add_input(session: AsyncSession, *, consultation_id: int, theme_id: int, submitted_by: int,
                    member: Member | None, text: str | None = None, voice_file_id: str | None = None,
                    voice_seconds: int | None = None, table_notes: bool = False, now: datetime) -> ConsultationInput:
    """Stores one input under a theme; raises InputRefused (closed, unknown theme) or InvalidInput (bad text)."""
    consultation = await session.get(Consultation, consultation_id)
    if consultation is None or not is_open(consultation, now):
        raise InputRefused(Refused.CLOSED)
    if await theme(session, consultation_id, theme_id) is None:
        raise InputRefused(Refused.NO_THEME)
    fallback = member.language if member else "en"
    if voice_file_id:
        language, cleaned = fallback, None
    else:
        cleaned = clean_text(text, INPUT_MAX)
        language = language_of(cleaned, fallback)
    row = ConsultationInput(consultation_id=consultation_id, theme_id=theme_id,
                            member_id=member.id if member else None, submitted_by=submitted_by,
                            table_notes=table_notes, text=cleaned, voice_file_id=voice_file_id,
                            voice_seconds=voice_seconds if voice_file_id else None, language=language,
                            created_at=now, updated_at=now)
    session.add(row)
    await session.flush()
    return row


async def inputs_by(session: AsyncSession, consultation_id: int, submitted_by: int) -> list[ConsultationInput]:
    """What one person sent to a consultation, oldest first."""
    return list(await session.scalars(select(ConsultationInput).where(
        ConsultationInput.consultation_id == consultation_id, ConsultationInput.submitted_by == submitted_by)
        .order_by(ConsultationInput.id)))


async def delete_own(session: AsyncSession, input_id: int, submitted_by: int) -> ConsultationInput | None:
    """Deletes an input its sender no longer wants (None if it is not theirs); duplicates merged into it count again."""
    row = await session.get(ConsultationInput, input_id)
    if row is None or row.submitted_by != submitted_by:
        return None
    await session.execute(update(ConsultationInput).where(ConsultationInput.merged_into_id == row.id)
                          .values(merged_into_id=None).execution_options(synchronize_session=False))
    await session.delete(row)
    await session.flush()
    return row


async def get_input(session: AsyncSession, input_id: int) -> ConsultationInput | None:
    return await session.get(ConsultationInput, input_id)


@dataclass(frozen=True)
class ThemeCount:
    theme: ConsultationTheme
    count: int


async def counts(session: AsyncSession, consultation_id: int) -> list[ThemeCount]:
    """Every theme with its number of inputs (merged duplicates not counted), in the themes' order."""
    rows = await session.execute(
        select(ConsultationInput.theme_id, func.count()).where(
            ConsultationInput.consultation_id == consultation_id, ConsultationInput.merged_into_id.is_(None))
        .group_by(ConsultationInput.theme_id))
    by_theme = dict(rows.all())
    return [ThemeCount(t, by_theme.get(t.id, 0)) for t in await themes(session, consultation_id)]


def _with_members(query: Select) -> Select:
    return query.add_columns(Member).outerjoin(Member, Member.id == ConsultationInput.member_id)


async def theme_inputs(session: AsyncSession, consultation_id: int, theme_id: int
                       ) -> list[tuple[ConsultationInput, Member | None]]:
    """A theme's counted inputs (not merged ones) with who sent them, oldest first."""
    query = (select(ConsultationInput).where(ConsultationInput.consultation_id == consultation_id,
                                             ConsultationInput.theme_id == theme_id,
                                             ConsultationInput.merged_into_id.is_(None))
             .order_by(ConsultationInput.id))
    return [(i, m) for i, m in (await session.execute(_with_members(query))).all()]


async def input_with_member(session: AsyncSession, input_id: int) -> tuple[ConsultationInput, Member | None] | None:
    row = (await session.execute(_with_members(select(ConsultationInput).where(
        ConsultationInput.id == input_id)))).first()
    return (row[0], row[1]) if row else None


async def duplicates_of(session: AsyncSession, input_id: int) -> int:
    return await session.scalar(select(func.count()).select_from(ConsultationInput).where(
        ConsultationInput.merged_into_id == input_id)) or 0


@dataclass(frozen=True)
class InputDetails:
    input: ConsultationInput
    member: Member | None
    theme: ConsultationTheme
    duplicates: int  # inputs merged into it
    event: Event | None  # the consultation's


async def input_details(session: AsyncSession, input_id: int) -> InputDetails | None:
    """One input with who sent it, its theme, how many duplicates were merged into it and the consultation's event."""
    found = await input_with_member(session, input_id)
    if found is None:
        return None
    item, member = found
    consultation = await get(session, item.consultation_id)
    return InputDetails(item, member, await theme(session, item.consultation_id, item.theme_id),
                        await duplicates_of(session, item.id), await event_of(session, consultation))


async def move(session: AsyncSession, input_id: int, theme_id: int, now: datetime) -> ConsultationInput | None:
    """Puts an input (and the duplicates merged into it) under another theme of the same consultation."""
    row = await session.get(ConsultationInput, input_id)
    if row is None or await theme(session, row.consultation_id, theme_id) is None:
        return None
    await session.execute(update(ConsultationInput).where(ConsultationInput.merged_into_id == row.id)
                          .values(theme_id=theme_id, updated_at=now).execution_options(synchronize_session=False))
    row.theme_id = theme_id
    row.updated_at = now
    return row


async def merge(session: AsyncSession, input_id: int, into_id: int, now: datetime) -> ConsultationInput | None:
    """Marks an input as a duplicate of another in the same consultation: it keeps a link to it and stops counting."""
    row = await session.get(ConsultationInput, input_id)
    target = await session.get(ConsultationInput, into_id)
    if (row is None or target is None or row.id == target.id or row.consultation_id != target.consultation_id
            or target.merged_into_id is not None):
        return None
    # The duplicates of a duplicate follow it to the input they all repeat.
    await session.execute(update(ConsultationInput).where(ConsultationInput.merged_into_id == row.id)
                          .values(merged_into_id=target.id, theme_id=target.theme_id, updated_at=now)
                          .execution_options(synchronize_session=False))
    row.merged_into_id = target.id
    row.theme_id = target.theme_id
    row.updated_at = now
    return row


async def unmerge(session: AsyncSession, input_id: int, now: datetime) -> ConsultationInput | None:
    row = await session.get(ConsultationInput, input_id)
    if row is None or row.merged_into_id is None:
        return None
    row.merged_into_id = None
    row.updated_at = now
    return row


@dataclass(frozen=True)
class ExportRow:
    input: ConsultationInput
    theme: ConsultationTheme
    member: Member | None


async def export_rows(session: AsyncSession, consultation_id: int) -> list[ExportRow]:
    """Every input (merged ones too, marked) with its theme and sender, in theme order then oldest first."""
    query = (select(ConsultationInput, ConsultationTheme)
             .join(ConsultationTheme, ConsultationTheme.id == ConsultationInput.theme_id)
             .where(ConsultationInput.consultation_id == consultation_id)
             .order_by(ConsultationTheme.position, ConsultationInput.id))
    rows = await session.execute(_with_members(query))
    return [ExportRow(i, t, m) for i, t, m in rows.all()]


async def needs_by_theme(session: AsyncSession, event_id: int) -> list[tuple[str, str, int, list[str]]]:
    """The needs gathered at an event, by theme: (theme in English, in Khmer, count, typed texts), most first.

    Merged duplicates are left out; themes of the same name across the event's consultations are added up.
    """
    query = (select(ConsultationTheme.label_en, ConsultationTheme.label_km, ConsultationTheme.position,
                    ConsultationInput.text)
             .join(ConsultationInput, ConsultationInput.theme_id == ConsultationTheme.id)
             .join(Consultation, Consultation.id == ConsultationTheme.consultation_id)
             .where(Consultation.event_id == event_id, ConsultationInput.merged_into_id.is_(None))
             .order_by(ConsultationTheme.position, ConsultationInput.id))
    grouped: dict[tuple[str, str], tuple[int, list[str], int]] = {}
    for english, khmer, position, text in (await session.execute(query)).all():
        count, texts, first = grouped.get((english, khmer), (0, [], position))
        if text:
            texts.append(text)
        grouped[(english, khmer)] = (count + 1, texts, min(first, position))
    ordered = sorted(grouped.items(), key=lambda item: (-item[1][0], item[1][2], item[0][0]))
    return [(english, khmer, count, texts) for (english, khmer), (count, texts, _first) in ordered]


ASK_KIND = "consult_ask"


def invitees(consultation: Consultation, *, asked_by: int | None = None) -> Select:
    """(chat id, member id, language) of those to ask for input: the event's attendees, or every member;
    people asked before are left out, so asking again reaches only newcomers, and so is the coordinator asking."""
    asked = (select(OutboxMessage.chat_id).join(Delivery, Delivery.id == OutboxMessage.delivery_id)
             .where(Delivery.kind == ASK_KIND, Delivery.ref_id == consultation.id))
    query = select(Member.telegram_id, Member.id, Member.language).where(
        Member.registered_at.is_not(None), Member.reachable.is_(True), Member.receives_announcements.is_(True),
        Member.telegram_id.not_in(asked))
    if asked_by is not None:
        query = query.where(Member.telegram_id != asked_by)
    if consultation.event_id is not None:
        query = query.where(Member.id.in_(groups.attendee_ids(consultation.event_id)))
    return query


async def ask_for_input(session: AsyncSession, consultation: Consultation, *, send: bool, content: dict[str, dict],
                        by: int, report_in: str, now: datetime) -> int:
    """How many people an open consultation could ask for input (see `invitees`; none once it is closed); with
    `send`, they are asked through the outbox and the coordinator hears how it went."""
    if not is_open(consultation, now):
        return 0
    return await groups.ask(session, invitees(consultation, asked_by=by), send=send, kind=ASK_KIND, content=content,
                            ref_id=consultation.id, by=by, now=now, report_in=report_in)


_DATE_FORMATS = ("%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M")
_DAY_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


def parse_closing(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """A closing time typed as '13/12/2024 17:00' (a day alone means its end), local to `tz`, in UTC.

    Khmer digits are accepted; raises InvalidInput('date') or ('past').
    """
    cleaned = " ".join(normalize_digits(text or "").split())
    found = None
    for fmt in _DATE_FORMATS + _DAY_FORMATS:
        try:
            found = datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
        if fmt in _DAY_FORMATS:
            found = found.replace(hour=23, minute=59)
        break
    if found is None:
        raise InvalidInput("date")
    when = found.replace(tzinfo=tz).astimezone(UTC)
    if when <= now:
        raise InvalidInput("past")
    return when
