"""Members: registration, profile, language, opt-out and deletion."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.db import direct_select, execute_direct, load_direct, shape
from bot.i18n import LANGUAGES
from bot.models import Member
from bot.text import clean_line, normalize_digits
from bot.vocab import ABROAD, GENDERS, PROFILE_STEPS, PROVINCES, STAKEHOLDERS, Step

NAME_MAX = 100
ORGANISATION_MAX = 200


class InvalidAnswer(ValueError):
    """The answer does not fit the question; `reason` says why, as a short code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Built once: a member is looked up on nearly every update, and building the statement cost more than running it.
_BY_TELEGRAM_ID = direct_select(Member, Member.telegram_id == bindparam("telegram_id"))


async def get(session: AsyncSession, telegram_id: int) -> Member | None:
    return await load_direct(session, Member, _BY_TELEGRAM_ID, {"telegram_id": telegram_id})


# A member's fields are written with one UPDATE built once per set of fields, and set on the object as
# stored: the ORM's flush of one changed object cost several times the statement.
_TABLE = Member.__table__
_UPDATES: dict[tuple[str, ...], object] = {}


async def _write(session: AsyncSession, member: Member, **values) -> None:
    fields = tuple(sorted(values))
    statement = _UPDATES.get(fields)
    if statement is None:
        statement = _UPDATES[fields] = (update(_TABLE).where(_TABLE.c.id == bindparam("member_id"))
                                        .values({name: bindparam(f"new_{name}") for name in fields}))
    await execute_direct(session, statement,
                         {"member_id": member.id} | {f"new_{name}": value for name, value in values.items()})
    for name, value in values.items():
        set_committed_value(member, name, value)


# Every field of a new member's row is written (those not given empty): one statement, compiled once.
_EMPTY = {column.key: None for column in _TABLE.c if column.key != "id"}
_ADD = insert(_TABLE).values({key: bindparam(key) for key in _EMPTY}).returning(_TABLE.c.id)


async def start(session: AsyncSession, *, telegram_id: int, payload: str | None, now: datetime,
                language: str = "en") -> tuple[Member, bool]:
    """Finds or creates the member who sent /start; keeps a deep-link payload for later. Returns (member, created).

    A newcomer's language starts as their Telegram app's, until they choose one.
    """
    member = await get(session, telegram_id)
    kept = {"start_payload": payload[:64]} if payload else {}
    if member is not None:
        await _write(session, member, reachable=True, updated_at=now, **kept)
        return member, False
    values = {"telegram_id": telegram_id, "language": language if language in LANGUAGES else "en",
              "step": Step.LANGUAGE, "editing": False, "receives_announcements": True, "reachable": True,
              "created_at": now, "updated_at": now, **kept}
    rows, _ = await execute_direct(session, _ADD, _EMPTY | values)
    return shape(Member).written(session, values | {"id": rows[0][0]}), True


async def choose_language(session: AsyncSession, member: Member, language: str, now: datetime) -> None:
    """Sets the member's language; at the first screen, moves on to the consent screen."""
    if language not in LANGUAGES:
        raise InvalidAnswer("language")
    moved = {"step": Step.CONSENT} if member.step == Step.LANGUAGE else {}
    await _write(session, member, language=language, updated_at=now, **moved)


async def give_consent(session: AsyncSession, member: Member, now: datetime) -> None:
    await _write(session, member, consented_at=now, step=PROFILE_STEPS[0], updated_at=now)


async def forget(session: AsyncSession, member: Member) -> None:
    """Removes the member's row and every personal field in it."""
    await session.execute(delete(Member).where(Member.id == member.id))


def clean_name(value: str) -> str:
    name = clean_line(value)
    if not name:
        raise InvalidAnswer("empty")
    if len(name) > NAME_MAX:
        raise InvalidAnswer("too_long")
    return name


def clean_organisation(value: str) -> str:
    organisation = clean_line(value)
    if not organisation:
        raise InvalidAnswer("empty")
    if len(organisation) > ORGANISATION_MAX:
        raise InvalidAnswer("too_long")
    return organisation


def clean_phone(value: str) -> str:
    """Accepts a phone number typed with ASCII or Khmer digits, spaces, dashes and a leading +."""
    raw = normalize_digits(value).strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    if any(ch not in "0123456789+-() ." for ch in raw) or not 8 <= len(digits) <= 15:
        raise InvalidAnswer("phone")
    return ("+" + digits) if raw.startswith("+") else digits


def _validated(step: Step, value: str | None) -> str | None:
    if step == Step.NAME:
        return clean_name(value or "")
    if step == Step.GENDER and value in GENDERS:
        return value
    if step == Step.STAKEHOLDER and value in STAKEHOLDERS:
        return value
    if step == Step.ORGANISATION:
        return None if value is None else clean_organisation(value)
    if step == Step.PROVINCE and (value in PROVINCES or value == ABROAD):
        return value
    if step == Step.PHONE:
        return None if value is None else clean_phone(value)
    raise InvalidAnswer("choice")


async def answer(session: AsyncSession, member: Member, step: Step, value: str | None, now: datetime) -> None:
    """Stores the answer to the question the member is on and moves to the next one.

    `value` None skips an optional question (organisation, phone). Raises InvalidAnswer and changes
    nothing when the answer does not fit.
    """
    if member.step != step:
        raise InvalidAnswer("stale")
    values = {step.value: _validated(step, value), "updated_at": now}
    if member.editing or member.registered_at is not None:
        values |= {"editing": False, "step": Step.SUMMARY if member.registered_at is None else None}
    else:
        index = PROFILE_STEPS.index(step)
        values["step"] = PROFILE_STEPS[index + 1] if index + 1 < len(PROFILE_STEPS) else Step.SUMMARY
    await _write(session, member, **values)


async def edit(session: AsyncSession, member: Member, step: Step, now: datetime) -> None:
    """Reopens one question from the summary or the profile."""
    if step not in PROFILE_STEPS or member.consented_at is None:
        raise InvalidAnswer("choice")
    if member.registered_at is None and member.step != Step.SUMMARY:
        raise InvalidAnswer("stale")
    await _write(session, member, step=step, editing=True, updated_at=now)


async def cancel_edit(session: AsyncSession, member: Member, now: datetime) -> None:
    """Leaves a field unchanged and goes back to the summary or profile."""
    await _write(session, member, editing=False, step=Step.SUMMARY if member.registered_at is None else None,
                 updated_at=now)


async def confirm(session: AsyncSession, member: Member, now: datetime) -> str | None:
    """Completes registration; returns (and clears) the deep-link payload kept from /start."""
    if member.step != Step.SUMMARY or member.registered_at is not None:
        raise InvalidAnswer("stale")
    payload = member.start_payload
    await _write(session, member, registered_at=now, step=None, editing=False, updated_at=now, start_payload=None)
    return payload


def take_payload(member: Member) -> str | None:
    payload, member.start_payload = member.start_payload, None
    return payload


async def set_announcements(session: AsyncSession, member: Member, enabled: bool, now: datetime) -> None:
    reachable = {"reachable": True} if enabled else {}
    await _write(session, member, receives_announcements=enabled, updated_at=now, **reachable)


_SET_REACHABLE = (update(_TABLE).where(_TABLE.c.telegram_id == bindparam("of_user"))
                  .values(reachable=bindparam("new_reachable"), updated_at=bindparam("now")))


async def set_reachable(session: AsyncSession, telegram_id: int, reachable: bool, now: datetime) -> None:
    await session.execute(_SET_REACHABLE, {"of_user": telegram_id, "new_reachable": reachable, "now": now})


@dataclass(frozen=True)
class Breakdown:
    """Counts of registered members, by field."""

    total: int
    by_gender: Counter
    by_stakeholder: Counter
    by_province: Counter
    by_language: Counter
    unreachable: int
    opted_out: int


async def registered(session: AsyncSession) -> list[Member]:
    result = await session.scalars(
        select(Member).where(Member.registered_at.is_not(None)).order_by(Member.registered_at, Member.id)
    )
    return list(result)


async def breakdown(session: AsyncSession) -> Breakdown:
    """Counts registered members by gender, stakeholder type, province and language."""
    rows = await registered(session)
    return Breakdown(
        total=len(rows),
        by_gender=Counter(m.gender or "undisclosed" for m in rows),
        by_stakeholder=Counter(m.stakeholder or "other" for m in rows),
        by_province=Counter(m.province or "" for m in rows),
        by_language=Counter(m.language for m in rows),
        unreachable=sum(1 for m in rows if not m.reachable),
        opted_out=sum(1 for m in rows if not m.receives_announcements),
    )
