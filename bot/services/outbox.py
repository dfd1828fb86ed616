"""The outbox: every mass send is a delivery plus one row per recipient, sent by the delivery worker.

Rows are written in the caller's transaction, so a broadcast (or invitation, or reminder) and its
messages are stored together or not at all. The worker claims rows in small windows; a row in
`sending` is in flight, which bounds what a crash can send twice. Several processes may send from one
database: each claim carries a lease the sender renews while its window is in flight, and a row whose lease
ran out (its sender died) is taken back by whoever claims next.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, bindparam, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Delivery, Member, OutboxMessage, UTCDateTime
from bot.services.audience import Audience, recipients

PENDING, SENDING, SENT, BLOCKED, FAILED, CANCELLED = "pending", "sending", "sent", "blocked", "failed", "cancelled"
FINAL = (SENT, BLOCKED, FAILED, CANCELLED)


async def create(session: AsyncSession, *, kind: str, content: dict[str, dict], send_at: datetime,
                 created_by: int | None = None, ref_id: int | None = None, status_chat_id: int | None = None,
                 status_language: str | None = None, now: datetime) -> Delivery:
    """Creates a delivery; add its recipients with `add_audience` or `add_query` in the same transaction."""
    delivery = Delivery(kind=kind, content=content, send_at=send_at, created_by=created_by, ref_id=ref_id,
                        status="scheduled", total=0, status_chat_id=status_chat_id, status_language=status_language,
                        created_at=now)
    session.add(delivery)
    await session.flush()
    return delivery


async def add_query(session: AsyncSession, delivery: Delivery, query: Select) -> int:
    """Adds recipients from a query of (chat id, member id, language), inside the database; returns the count."""
    rows = query.subquery()
    already = select(OutboxMessage.id).where(OutboxMessage.delivery_id == delivery.id,
                                             OutboxMessage.chat_id == rows.c[0])
    source = select(
        literal(delivery.id), rows.c[0], rows.c[1], rows.c[2], literal(PENDING), literal(0),
        literal(delivery.send_at, UTCDateTime()),
    ).where(~already.exists())
    result = await session.execute(
        insert(OutboxMessage).from_select(
            ["delivery_id", "chat_id", "member_id", "language", "status", "attempts", "due_at"], source)
    )
    added = result.rowcount if result.rowcount is not None and result.rowcount >= 0 else 0
    delivery.total = await session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.delivery_id == delivery.id))
    if delivery.total == 0 and delivery.status == "scheduled":
        # No one to send to (a reminder for an event no one is going to, say): nothing stays pending.
        delivery.status, delivery.finished_at = "done", delivery.created_at
    return added


async def add_audience(session: AsyncSession, delivery: Delivery, audience: Audience) -> int:
    return await add_query(session, delivery, recipients(audience))


async def cancel(session: AsyncSession, delivery_id: int, now: datetime) -> int:
    """Cancels what has not been sent yet; returns how many messages will not go out."""
    result = await session.execute(
        update(OutboxMessage).where(OutboxMessage.delivery_id == delivery_id, OutboxMessage.status == PENDING)
        .values(status=CANCELLED))
    await session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.status.in_(("scheduled", "sending")))
                          .values(status="cancelled", finished_at=now))
    return result.rowcount


@dataclass(frozen=True)
class Claimed:
    id: int
    delivery_id: int
    chat_id: int
    language: str
    attempts: int


@dataclass(frozen=True)
class Lease:
    """Who claims rows, the wall-clock moment it is now and the moment its claim ends unless renewed
    (seconds since the epoch: several processes, so no process's monotonic clock will do)."""

    holder: str
    now: float
    until: float


def _lapsed(now: float):
    """Rows in flight whose lease ran out (or that never had one): the process sending them is gone."""
    return and_(OutboxMessage.status == SENDING,
                or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now))


async def claim(session: AsyncSession, *, now: datetime, limit: int, skip_locked: bool,
                lease: Lease | None = None) -> list[Claimed]:
    """Marks up to `limit` due rows as in flight and returns them, oldest first.

    With a lease, rows whose sender died mid-window (their lease ran out) are taken back first; claiming
    one counts as another attempt.
    """
    ids: list[int] = []
    if lease is not None:
        ids += await _lock_ids(session, select(OutboxMessage.id).where(_lapsed(lease.now))
                               .order_by(OutboxMessage.id).limit(limit), skip_locked)
    if len(ids) < limit:
        ids += await _lock_ids(session, select(OutboxMessage.id)
                               .where(OutboxMessage.status == PENDING, OutboxMessage.due_at <= now)
                               .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit - len(ids)),
                               skip_locked)
    if not ids:
        return []
    claimable = OutboxMessage.status == PENDING
    values = dict(status=SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
    if lease is not None:
        claimable = or_(claimable, _lapsed(lease.now))
        values.update(claimed_by=lease.holder, lease_until=lease.until)
    result = await session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids), claimable).values(**values)
        .returning(OutboxMessage.id, OutboxMessage.delivery_id, OutboxMessage.chat_id, OutboxMessage.language,
                   OutboxMessage.attempts))
    claimed = [Claimed(*row) for row in result]
    delivery_ids = {c.delivery_id for c in claimed}
    await session.execute(update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status == "scheduled")
                          .values(status="sending"))
    return sorted(claimed, key=lambda c: c.id)


async def _lock_ids(session: AsyncSession, query: Select, skip_locked: bool) -> list[int]:
    if skip_locked:
        # Several bot processes may share one PostgreSQL database: each claims different rows.
        query = query.with_for_update(skip_locked=True)
    return list(await session.scalars(query))


async def renew(session: AsyncSession, ids: list[int], lease: Lease) -> int:
    """Extends the holder's lease on rows it still has in flight; returns how many it still holds."""
    result = await session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == SENDING,
                                    OutboxMessage.claimed_by == lease.holder)
        .values(lease_until=lease.until).execution_options(synchronize_session=False))
    return result.rowcount


async def recover(session: AsyncSession, now: datetime, *, wall: float | None = None,
                  holder: str | None = None) -> int:
    """At start: rows left in flight go back to the queue (they may have gone out once already).

    Without `wall` (one process owns the database) that is every row in flight. With it, only rows whose
    lease ran out by `wall`, or that `holder` (this process, under the same name before a restart) claimed:
    rows another live process holds are left to it.
    """
    stuck = OutboxMessage.status == SENDING
    if wall is not None:
        stuck = _lapsed(wall)
        if holder is not None:
            stuck = or_(stuck, and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_by == holder))
    result = await session.execute(update(OutboxMessage).where(stuck)
                                   .values(status=PENDING, due_at=now, claimed_by=None, lease_until=None)
                                   .execution_options(synchronize_session=False))
    return result.rowcount


@dataclass(frozen=True)
class Outcome:
    id: int
    status: str
    chat_id: int
    telegram_message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None
    # Telegram's id of a poll that was sent (answers to it name this id, not the message).
    poll_id: str | None = None


async def record(session: AsyncSession, outcomes: list[Outcome], now: datetime, *, holder: str | None = None) -> None:
    """Writes the outcome of a window of sends, and marks blocked members unreachable, in one transaction.

    With `holder`, only rows it still holds are written: a row another process took over after this one's
    lease ran out keeps that process's outcome.
    """
    if not outcomes:
        return
    table = OutboxMessage.__table__
    values = []
    for o in outcomes:
        row = {"row_id": o.id, "status": o.status, "error": (o.error or None) and o.error[:200],
               "telegram_message_id": o.telegram_message_id, "sent_at": now if o.status == SENT else None,
               "lease_until": None}
        if o.status == PENDING:
            row["due_at"] = o.retry_at or now
        values.append(row)
    for keys in {tuple(sorted(v)) for v in values}:
        statement = update(table).where(table.c.id == bindparam("row_id"))
        if holder is not None:
            statement = statement.where(table.c.status == SENDING, table.c.claimed_by == holder)
        await session.execute(statement.values({k: bindparam(k) for k in keys if k != "row_id"}),
                              [v for v in values if tuple(sorted(v)) == keys])
    blocked = sorted({o.chat_id for o in outcomes if o.status == BLOCKED})
    if blocked:
        await session.execute(update(Member).where(Member.telegram_id.in_(blocked)).values(reachable=False, updated_at=now))


async def finish_done(session: AsyncSession, delivery_ids: set[int], now: datetime) -> list[int]:
    """Marks deliveries with nothing left to send as done; returns their ids.

    Each delivery's row is locked first, so two processes finishing its last rows at once do not both miss
    (each seeing the other's rows still in flight) or both report the end.
    """
    done = []
    for delivery_id in sorted(delivery_ids):
        await session.execute(select(Delivery.id).where(Delivery.id == delivery_id).with_for_update())
        # One index probe per delivery, however many of its rows are already sent.
        unsent = select(OutboxMessage.id).where(OutboxMessage.delivery_id == delivery_id,
                                                OutboxMessage.status.in_((PENDING, SENDING))).limit(1)
        if await session.scalar(unsent) is None:
            done.append(delivery_id)
    if done:
        await session.execute(update(Delivery).where(Delivery.id.in_(done), Delivery.status == "sending")
                              .values(status="done", finished_at=now))
    return done


async def unsent_count(session: AsyncSession) -> int:
    """Messages waiting or in flight, over every delivery (for the health check and the metrics)."""
    return await session.scalar(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status.in_((PENDING, SENDING)))) or 0


async def next_due(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(func.min(OutboxMessage.due_at)).where(OutboxMessage.status == PENDING))


@dataclass(frozen=True)
class Progress:
    """Where a delivery stands: counts by status, and the reasons messages failed."""

    delivery_id: int
    total: int
    by_status: Counter
    errors: Counter
    status: str

    @property
    def done(self) -> int:
        return sum(self.by_status[s] for s in FINAL)


async def progress(session: AsyncSession, delivery_id: int) -> Progress | None:
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None:
        return None
    rows = await session.execute(select(OutboxMessage.status, func.count()).where(
        OutboxMessage.delivery_id == delivery_id).group_by(OutboxMessage.status))
    errors = await session.execute(select(OutboxMessage.error, func.count()).where(
        and_(OutboxMessage.delivery_id == delivery_id, OutboxMessage.status == FAILED)).group_by(OutboxMessage.error))
    return Progress(delivery_id=delivery_id, total=delivery.total, by_status=Counter(dict(rows.all())),
                    errors=Counter({e or "": n for e, n in errors}), status=delivery.status)


async def recent(session: AsyncSession, *, kind: str, limit: int = 10) -> list[Delivery]:
    """The latest deliveries of one kind, scheduled ones included, newest first."""
    rows = await session.scalars(select(Delivery).where(Delivery.kind == kind)
                                 .order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit))
    return list(rows)


RETRY_BACKOFF = (timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10))
