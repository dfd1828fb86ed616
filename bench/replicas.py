"""Replicas on PostgreSQL: 1, 2 and 3 processes of `sahakor run --webhook` behind a round-robin proxy.

For each count: members' updates handled per second and the bots' CPU per update, a broadcast's send
rate in total against the limit (one budget for all replicas), and, with two or more, how long after the
leader is killed another replica runs a scheduled job.

    python bench/replicas.py [--members 200] [--recipients 600] [--rate 30]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench._common import cpu_seconds  # noqa: E402
from bot.clock import Clock  # noqa: E402
from bot.db import Database, migrate  # noqa: E402
from bot.fakeapi import FakeTelegram  # noqa: E402
from bot.models import InboxUpdate, OutboxMessage, Reminder  # noqa: E402
from tests.conftest import _pg_admin  # noqa: E402
from tests.helpers import Replicas  # noqa: E402
from tests.helpers_events import event_with_a_reminder  # noqa: E402
from tests.helpers_members import seed_members  # noqa: E402
from tests.helpers_outbox import create_delivery  # noqa: E402

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def count(db: Database, query) -> int:
    async with db.session() as session:
        return await session.scalar(query)


async def until(check, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.05)


async def one_count(replicas: int, args: argparse.Namespace, server_url: str) -> dict:
    name = f"sahakor_bench_{uuid.uuid4().hex[:8]}"
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, _pg_admin, server_url, f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await loop.run_in_executor(None, migrate, url)
    db = Database(url)
    # Members' replies are not held to the broadcast limit here, so the replicas' own speed shows.
    telegram = FakeTelegram(global_rate=None)
    telegram.record_requests = False
    await telegram.start()
    group = Replicas(telegram, url, replicas)
    result: dict = {"replicas": replicas}
    try:
        await group.start()
        pids = [p.process.pid for p in group.processes.values()]
        # Members' updates, posted by Telegram one at a time as it does for one bot.
        users = [telegram.user(60_000 + i, f"Member {i}") for i in range(args.members)]
        cpu_before = [cpu_seconds(pid) or 0.0 for pid in pids]
        started = time.monotonic()
        for _ in range(args.updates):
            for user in users:
                telegram.push_update({"message": user._message(text="/help", entities=[
                    {"type": "bot_command", "offset": 0, "length": 5}])})
        total = args.members * args.updates
        await until(lambda: _all_handled(db, total))
        elapsed = time.monotonic() - started
        cpu = sum((cpu_seconds(pid) or 0.0) - before for pid, before in zip(pids, cpu_before, strict=True))
        result.update(updates_per_s=total / elapsed, cpu_ms=cpu / total * 1000)
        # A broadcast at the limit.
        clock = Clock()
        await seed_members(db, telegram, clock, args.recipients, start_id=70_000)
        telegram.global_rate = args.rate  # from now on Telegram answers 429 above the limit
        telegram.reset_stats()
        started = time.monotonic()
        delivery_id = await create_delivery(db, clock)
        await until(lambda: _delivered(db, delivery_id))
        result.update(msgs_per_s=args.recipients / (time.monotonic() - started),
                      too_many=telegram.stats["outcomes"]["429"])
        if replicas > 1:
            result["failover_s"] = await _failover(group, db, telegram, clock)
    finally:
        await group.stop()
        await telegram.stop()
        await db.dispose()
        await loop.run_in_executor(None, _pg_admin, server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return result


async def _all_handled(db: Database, total: int) -> bool:
    handled = await count(db, select(func.count()).select_from(InboxUpdate).where(InboxUpdate.handled_at.is_not(None)))
    return handled >= total


async def _delivered(db: Database, delivery_id: int) -> bool:
    return await count(db, select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.delivery_id == delivery_id, OutboxMessage.status.in_(("pending", "sending")))) == 0


async def _failover(group: Replicas, db: Database, telegram: FakeTelegram, clock: Clock) -> float:
    """Kills the leader; seconds until another replica has run a reminder that fell due just then."""
    await event_with_a_reminder(db, telegram, clock)
    leader = await group.leader()
    await group.processes[leader].kill()
    killed = time.monotonic()
    async with db.session() as session:
        await session.execute(update(Reminder).values(due_at=datetime.now(UTC) - timedelta(seconds=1)))

    async def fired() -> bool:
        return await count(db, select(func.count()).select_from(Reminder).where(Reminder.status == "sent")) > 0

    await until(fired, 60)
    return time.monotonic() - killed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/replicas.py", description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--updates", type=int, default=5, help="updates each member sends (default: 5)")
    parser.add_argument("--recipients", type=int, default=600)
    parser.add_argument("--rate", type=float, default=30.0, help="Telegram's limit and the bot's (msg/s)")
    parser.add_argument("--database", default=SERVER, help=f"a PostgreSQL server URL (default: {SERVER})")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> int:
    rows = [await one_count(n, args, args.database) for n in (1, 2, 3)]
    print(f"{args.members} members × {args.updates} updates by webhook; a broadcast to {args.recipients} "
          f"at a limit of {args.rate:g} msg/s (Telegram's side answers 429 above it)")
    print("replicas  updates/s  cpu ms/update  msgs/s  of limit  429s  failover s")
    for row in rows:
        failover = f"{row['failover_s']:.1f}" if "failover_s" in row else "-"
        print(f"{row['replicas']:>8}  {row['updates_per_s']:>9.1f}  {row['cpu_ms']:>13.2f}  {row['msgs_per_s']:>6.1f}"
              f"  {row['msgs_per_s'] / args.rate:>7.1%}  {row['too_many']:>4}  {failover:>10}")
    base = rows[0]["updates_per_s"]
    print("updates/s relative to one replica: " + ", ".join(f"{r['updates_per_s'] / base:.2f}" for r in rows))
    return 0 if all(r["too_many"] == 0 for r in rows) else 1


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
