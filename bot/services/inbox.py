"""The inbox: every Telegram update is stored here before Telegram is told it arrived, then handled once.

A row is claimed by one process under a lease (seconds since the epoch, wall clock) that the process
renews while it works; a row whose lease ran out belongs to a process that died and is claimed again.
A sender's updates are handled in order: a row is claimed only when no earlier row of its sender waits,
together with the sender's later rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import execute_direct
from bot.models import InboxUpdate

# Telegram keeps an unconfirmed update for 24 hours, so a repeat (the same delivery again) can only come
# within that; past it, the same id is a new update (ids restart at random after a week without any).
REPEAT_WINDOW = timedelta(days=2)
# Handled rows are kept this long (for the repeat check and for looking into what happened), then pruned.
KEEP_FOR = REPEAT_WINDOW
# An update that failed this many times is set aside as handled, so it cannot block its sender for good.
MAX_ATTEMPTS = 3

_KINDS_WITHOUT_SENDER = ("poll",)


def sender_of(raw: dict) -> int | None:
    """Whose updates must keep their order: the sender's id (or, without one, the chat's)."""
    for kind, body in raw.items():
        if kind == "update_id" or not isinstance(body, dict) or kind in _KINDS_WITHOUT_SENDER:
            continue
        person = body.get("from") or body.get("user")
        if isinstance(person, dict) and isinstance(person.get("id"), int):
            return person["id"]
        chat = body.get("chat") or (body.get("message") or {}).get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return chat["id"]
    return None


@dataclass(frozen=True)
class Row:
    """A claimed inbox row: the update as Telegram sent it."""

    id: int
    update_id: int
    payload: str

    def raw(self) -> dict:
        return json.loads(self.payload)


# Built once per dialect and run with a batch's rows as parameters: a statement holding a whole batch's values
# took longer to build each time than to run.
_INSERTS = {name: (dialect.insert(InboxUpdate.__table__).on_conflict_do_nothing(index_elements=["update_id"])
                   .returning(InboxUpdate.__table__.c.update_id))
            for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}


async def store(session: AsyncSession, raws: list[dict], now: datetime) -> int:
    """Stores new updates; a repeat of one stored within the window is left out. Returns how many were new."""
    if not raws:
        return 0
    rows = {raw["update_id"]: {"update_id": raw["update_id"], "sender": sender_of(raw), "received_at": now,
                               "payload": json.dumps(raw, ensure_ascii=False), "attempts": 0} for raw in raws}
    stored = await _insert_new(session, list(rows.values()))
    if len(stored) < len(rows):
        # The same id seen long ago is a different update (ids restart after a quiet week): the old row gives way.
        clashing = [update_id for update_id in rows if update_id not in stored]
        result = await session.execute(delete(InboxUpdate).where(InboxUpdate.update_id.in_(clashing),
                                                                  InboxUpdate.received_at < now - REPEAT_WINDOW))
        if result.rowcount:
            stored |= await _insert_new(session, [rows[update_id] for update_id in clashing])
    return len(stored)


async def _insert_new(session: AsyncSession, rows: list[dict]) -> set[int]:
    statement = _INSERTS["postgresql" if session.bind.dialect.name == "postgresql" else "sqlite"]
    result = await session.execute(statement, rows)
    return set(result.scalars())


_TABLE = InboxUpdate.__table__
_EARLIER = _TABLE.alias("earlier")


def _claimable(wall: float):
    return and_(_TABLE.c.handled_at.is_(None), or_(_TABLE.c.lease_until.is_(None), _TABLE.c.lease_until < wall))


async def claim(session: AsyncSession, *, me: str, wall: float, lease: float, limit: int,
                skip_locked: bool, senders: list[int] | None = None) -> list[Row]:
    """Claims waiting rows whose sender has nothing earlier waiting, with that sender's later rows; oldest first.
    With `senders`, only those senders' rows (what waited behind updates this process just finished)."""
    table = _TABLE
    heads = (select(table.c.id, table.c.sender).where(
        _claimable(wall),
        ~exists().where(_EARLIER.c.sender == table.c.sender, _EARLIER.c.handled_at.is_(None),
                        _EARLIER.c.id < table.c.id),
    ).order_by(table.c.id).limit(limit))
    if senders is not None:
        heads = heads.where(table.c.sender.in_(senders))
    if skip_locked:
        heads = heads.with_for_update(skip_locked=True, of=table)
    found = (await session.execute(heads)).all()
    if not found:
        return []
    head_ids = [row.id for row in found]
    senders = sorted({row.sender for row in found if row.sender is not None})
    chosen = table.c.id.in_(head_ids)
    if senders:
        chosen = or_(chosen, and_(table.c.sender.in_(senders), table.c.id > min(head_ids)))
    result = await session.execute(
        update(table).where(chosen, _claimable(wall))
        .values(claimed_by=me, lease_until=wall + lease, attempts=table.c.attempts + 1)
        .returning(table.c.id, table.c.update_id, table.c.payload))
    return sorted((Row(*row) for row in result), key=lambda r: r.id)


# Core statements on the table (no ORM bookkeeping): this one runs for every update.
_MARK = (update(_TABLE).where(_TABLE.c.update_id == bindparam("uid"), _TABLE.c.handled_at.is_(None))
         .values(handled_at=bindparam("at")))


async def mark_handled(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Marks the update handled, in the transaction of its effects; False if it already was (a repeat).
    It runs for every update: straight on the driver's connection where that can be (db.execute_direct)."""
    _, changed = await execute_direct(session, _MARK, {"uid": update_id, "at": now})
    return changed == 1


async def finish(session: AsyncSession, update_ids: list[int], now: datetime) -> None:
    """The handlers of these updates are done (their replies sent or given up): their claims end, and an
    update whose handler wrote nothing is marked handled."""
    if update_ids:
        # An update whose handler wrote nothing is marked handled here too.
        await session.execute(update(_TABLE).where(_TABLE.c.update_id.in_(update_ids))
                              .values(finished_at=now, claimed_by=None, lease_until=None,
                                      handled_at=func.coalesce(_TABLE.c.handled_at, now)))


async def claim_cut_off(session: AsyncSession, *, me: str, wall: float, lease: float, limit: int,
                        skip_locked: bool) -> list[Row]:
    """Claims updates whose effects were committed by a process that died before its handler finished
    (so its reply may never have gone out)."""
    table = _TABLE
    found = (select(table.c.id).where(table.c.handled_at.is_not(None), table.c.finished_at.is_(None),
                                      or_(table.c.lease_until.is_(None), table.c.lease_until < wall))
             .order_by(table.c.id).limit(limit))
    if skip_locked:
        found = found.with_for_update(skip_locked=True, of=table)
    ids = list(await session.scalars(found))
    if not ids:
        return []
    result = await session.execute(update(table).where(table.c.id.in_(ids))
                                   .values(claimed_by=me, lease_until=wall + lease)
                                   .returning(table.c.id, table.c.update_id, table.c.payload))
    return sorted((Row(*row) for row in result), key=lambda r: r.id)


async def release(session: AsyncSession, update_id: int, *, wall: float, retry_in: float, now: datetime) -> bool:
    """After a failed attempt: the update is tried again later, or set aside once it failed too often.
    Returns True if it was set aside."""
    attempts = await session.scalar(select(InboxUpdate.attempts).where(InboxUpdate.update_id == update_id,
                                                                       InboxUpdate.handled_at.is_(None)))
    if attempts is None:
        return False
    if attempts >= MAX_ATTEMPTS:
        await mark_handled(session, update_id, now)
        await finish(session, [update_id], now)
        return True
    await session.execute(update(InboxUpdate).where(InboxUpdate.update_id == update_id)
                          .values(claimed_by=None, lease_until=wall + retry_in))
    return False


async def renew(session: AsyncSession, *, me: str, lease_until: float) -> int:
    """Extends this process's claims on the rows it still works on."""
    result = await session.execute(update(_TABLE).where(_TABLE.c.claimed_by == me, _TABLE.c.finished_at.is_(None))
                                   .values(lease_until=lease_until))
    return result.rowcount


async def reclaim_all(session: AsyncSession) -> int:
    """For the only process there can be (SQLite): claims left by an earlier run end now."""
    result = await session.execute(update(_TABLE).where(_TABLE.c.finished_at.is_(None),
                                                        _TABLE.c.claimed_by.is_not(None))
                                   .values(claimed_by=None, lease_until=None))
    return result.rowcount


@dataclass(frozen=True)
class Depth:
    waiting: int
    oldest: datetime | None


async def depth(session: AsyncSession) -> Depth:
    """How many updates wait to be handled, and when the oldest of them arrived."""
    row = (await session.execute(select(func.count(), func.min(InboxUpdate.received_at))
                                 .where(InboxUpdate.handled_at.is_(None)))).one()
    return Depth(waiting=row[0], oldest=row[1])


async def prune(session: AsyncSession, now: datetime) -> int:
    """Forgets handled updates older than any repeat could be."""
    result = await session.execute(delete(InboxUpdate).where(InboxUpdate.handled_at.is_not(None),
                                                             InboxUpdate.received_at < now - KEEP_FOR))
    return result.rowcount


async def release_mine(session: AsyncSession, *, me: str) -> int:
    """On a clean stop: this process's claims on updates not yet handled end, for another to take at once."""
    result = await session.execute(update(_TABLE).where(_TABLE.c.claimed_by == me, _TABLE.c.handled_at.is_(None))
                                   .values(claimed_by=None, lease_until=None))
    return result.rowcount


async def any_waiting(session: AsyncSession, *, wall: float) -> bool:
    """Whether an update waits that no live process holds (it may wait behind its sender's earlier one)."""
    return await session.scalar(select(exists().where(_claimable(wall)))) or False
