"""RSVP throughput: N members press "Going" on their invitation at once, through the fake Bot API,
measured against a bare python-telegram-bot echo bot driven the same way in the same run.

    python bench/rsvp.py --members 2000
    python bench/rsvp.py --members 2000 --capacity 1000    # half of them join the waiting list
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the repository (bench, tests, bot) importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    APP_COMMAND,
    Answered,
    BenchTelegram,
    BotDied,
    Conversation,
    ECHO_COMMAND,
    Result,
    add_members,
    button_delivered,
    cancel_on_sigterm,
    checked_args,
    client_note,
    echo_conversations,
    exit_code,
    fresh_database,
    know_chats,
    machine_note,
    press,
    print_ratio,
    print_table,
    ratio_arguments,
    run_main,
    run_scenario,
    workshop_draft,
)
from bot.fakeapi import FakeUser  # noqa: E402

TARGET_RATIO = 0.5
FIRST_USER_ID = 710_001
COORDINATOR_ID = 9_001  # who published the event; the outbox reports its progress to them


async def seed(database: Path, members: int, capacity: int | None) -> tuple[str, int]:
    """A fresh SQLite file filled as `fill` does. Returns the URL and the event id."""
    url = await fresh_database(database)
    return url, await fill(url, members, capacity)


async def fill(url: str, members: int, capacity: int | None) -> int:
    """Into an empty database: registered members and one event published to all of them, its invitations
    waiting in the outbox as the coordinator's Publish leaves them. Returns the event id."""
    from bot.db import Database
    from handlers.events.screens import invitation_content
    from bot.services import events

    db = Database(url)
    now = datetime.now(UTC)
    try:
        async with db.session() as session:
            await add_members(session, FIRST_USER_ID, members, now)
            draft = await events.save_draft(session, workshop_draft(now, capacity), created_by=COORDINATOR_ID,
                                            now=now)
            event = await events.publish(session, draft.id, now)
            await events.invite(session, event, invitation_content(event), coordinator_chat=COORDINATOR_ID,
                                language="en", now=now)
            event_id = event.id
    finally:
        await db.dispose()
    return event_id


def invitations_delivered(members: int, event_id: int, timeout: float) -> Callable[[BenchTelegram], Awaitable[None]]:
    """A warm-up: every member has the invitation with its answer buttons (sent by the app's outbox)."""
    from handlers.events.callbacks import ANSWER

    return button_delivered(range(FIRST_USER_ID, FIRST_USER_ID + members), ANSWER.data(event_id, "y"), timeout)


def confirmed(invitation_id: int) -> Answered:
    """The invitation was redrawn with the answer ticked (⏳ for a member on the waiting list), and a confirmation
    came after it."""
    def check(user: FakeUser, before: int) -> bool:
        latest = user.server.latest(user.id)
        invitation = user.server.message(user.id, invitation_id)
        return (latest is not None and latest.message_id > invitation_id and invitation is not None
                and any(label.startswith(("✅", "⏳")) for label in invitation.button_texts()))
    return check


def presses(members: int, event_id: int) -> Callable[[BenchTelegram], list[Conversation]]:
    """Each member presses Going once, on the invitation the bot sent them."""
    from handlers.events.callbacks import ANSWER

    going = ANSWER.data(event_id, "y")

    def build(server: BenchTelegram) -> list[Conversation]:
        plays = []
        for number in range(members):
            language = "km" if number % 2 == 0 else "en"
            user = server.user(FIRST_USER_ID + number, f"Member{number}", language_code=language)
            invitation = server.latest(user.id)
            plays.append((user, [press(going, confirmed(invitation.message_id))]))
        return plays
    return build


@dataclass(frozen=True)
class Stored:
    """The answers in the database after the run."""

    rows: int
    members: int
    seated: int
    waiting: int
    seats_taken: int

    def problems(self, members: int, capacity: int | None) -> list[str]:
        """What is wrong with these answers, if anything."""
        seats = members if capacity is None else min(capacity, members)
        found = []
        if self.members != members:
            found.append(f"{members - self.members} RSVPs lost")
        if self.rows != self.members:
            found.append(f"{self.rows - self.members} RSVPs duplicated")
        if (self.seated, self.waiting, self.seats_taken) != (seats, self.members - seats, seats):
            found.append(f"{self.seated} seated, {self.waiting} waiting and {self.seats_taken} seats counted;"
                         f" expected {seats} seated")
        return found


def stored_answers(database: Path, event_id: int) -> Stored:
    """Counts read from the bot's SQLite file."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows, members, seated, waiting = connection.execute(
            "SELECT count(*), count(DISTINCT member_id),"
            " coalesce(sum(answer = 'going' AND NOT waitlisted), 0), coalesce(sum(waitlisted), 0)"
            " FROM rsvp WHERE event_id = ?", (event_id,)).fetchone()
        seats_taken = connection.execute("SELECT seats_taken FROM event WHERE id = ?",
                                         (event_id,)).fetchone()[0]
    return Stored(rows, members, seated, waiting, seats_taken)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = ratio_arguments("rsvp", "RSVP button throughput of the real app against a bare echo bot.",
                             members=2000, what="members pressing", timeout=120.0, app="RSVPs")
    parser.add_argument("--capacity", type=int, default=None,
                        help="seats at the event; the others join the waiting list (default: no limit)")
    args = checked_args(parser, argv)
    if args.capacity is not None and args.capacity < 1:
        parser.error("--capacity must be at least 1")
    return args


async def run_rsvps(args: argparse.Namespace, workdir: Path, concurrency: int) -> tuple[Result, Stored]:
    """One RSVP scenario on a fresh database: invitations delivered first, then every member presses."""
    database = workdir / "sahakor.sqlite3"
    url, event_id = await seed(database, args.members, args.capacity)
    chats = [COORDINATOR_ID, *range(FIRST_USER_ID, FIRST_USER_ID + args.members)]
    result = await run_scenario(
        workdir.name, APP_COMMAND, presses(args.members, event_id), workdir=workdir,
        concurrency=concurrency, timeout=args.timeout, before_start=know_chats(chats),
        warm_up=invitations_delivered(args.members, event_id, timeout=60 + args.members / 20),
        # Invitations go out unpaced so that the warm-up is short; the outbox is idle while measuring.
        settings={"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "SEND_RATE_PER_SECOND": "0"})
    return result, stored_answers(database, event_id)


async def run(args: argparse.Namespace) -> int:
    """Echo then RSVPs, each on a fresh server, `rounds` times; returns the exit code."""
    cancel_on_sigterm()
    concurrency = args.concurrency or args.members
    machine = machine_note()
    seats = "no seat limit" if args.capacity is None else f"{args.capacity} seats"
    # The load first, so that a long run says at once what else the machine is doing.
    print(f"{args.members} members pressing Going once, {seats}, concurrency {concurrency}"
          + (f"; before the run: {machine}" if machine else ""), flush=True)
    client = client_note()
    results: list[Result] = []
    stored: list[Stored] = []
    died: BotDied | None = None
    with tempfile.TemporaryDirectory(prefix="sahakor-bench-") as tmp:
        try:
            for round_number in range(1, args.rounds + 1):
                suffix = f" {round_number}" if args.rounds > 1 else ""
                workdir = Path(tmp) / f"round-{round_number}"
                if not args.app_only:
                    results.append(await run_scenario(
                        "echo" + suffix, ECHO_COMMAND, echo_conversations(FIRST_USER_ID, args.members, 1),
                        workdir=workdir / "echo", settings={}, concurrency=concurrency,
                        timeout=args.timeout))
                if not args.echo_only:
                    result, answers = await run_rsvps(args, workdir / ("rsvp" + suffix), concurrency)
                    results.append(result)
                    stored.append(answers)
        except BotDied as exc:
            died = exc  # still report what was measured before

    if client:
        print(f"note: {client}")
    print_table(results)
    presses_per_second = [r.rate for r in results if r.scenario.startswith("rsvp") and r.rate]
    if presses_per_second:
        print(f"button presses answered per second: {max(presses_per_second):.1f}"
              + (" (best round)" if len(presses_per_second) > 1 else ""))
    print_ratio(results, "rsvp", TARGET_RATIO, args.rounds)

    for answers in stored:
        print(f"RSVPs in the SQLite file: {answers.members} members answered of {args.members}"
              f" ({answers.rows} rows); {answers.seated} seated, {answers.waiting} on the waiting list,"
              f" seats_taken {answers.seats_taken}")
    return exit_code(results, died, [problem for answers in stored
                                     for problem in answers.problems(args.members, args.capacity)])


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return run_main(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
