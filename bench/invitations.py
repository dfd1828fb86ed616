"""Invitation send rate: a coordinator publishes an event to N members in the chat, and the app's
outbox sends the invitations against the fake Bot API server held to Telegram's 30 messages a second.

    python bench/invitations.py                  # 10,000 members: about 5½ minutes
    python bench/invitations.py --members 1000   # a quick look

The target: a sustained rate (the first second left out) of at least 95% of the limit, and every
member invited exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the repository (bench, tests, bot) importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    APP_COMMAND,
    BenchTelegram,
    BotDied,
    BotProcess,
    Driver,
    add_members,
    cancel_on_sigterm,
    command,
    cpu_seconds,
    fresh_database,
    lacks_button,
    machine_note,
    member_rows,
    press,
    run_main,
    shows_button,
    workshop_draft,
)

TARGET_SHARE = 0.95
FIRST_USER_ID = 730_001
COORDINATOR_ID = 9_001


class PacedTelegram(BenchTelegram):
    """The fake server, noting when each invitation reached which member's chat."""

    def __init__(self, members: range, event_id: int, rate: float) -> None:
        super().__init__(global_rate=rate)
        self.members = members
        from handlers.events.callbacks import ANSWER

        self.prefix = ANSWER.data(event_id, "y").removesuffix("y")  # the answer buttons of this event
        self.sent_at: list[float] = []  # perf_counter of every invitation delivered
        self.per_chat: Counter[int] = Counter()

    async def _dispatch(self, request, name, entry, params):
        """Serve the call; a successful sendMessage with the event's answer buttons is an invitation."""
        response = await super()._dispatch(request, name, entry, params)
        if (name == "sendMessage" and response.status == 200 and params.get("chat_id") in self.members
                and self._invites(params.get("reply_markup"))):
            self.sent_at.append(time.perf_counter())
            self.per_chat[params["chat_id"]] += 1
        return response

    def _invites(self, markup) -> bool:
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return any(b.get("callback_data", "").startswith(self.prefix) for row in rows for b in row)


async def seed(database: Path, members: int) -> tuple[str, int]:
    """A fresh database: N registered members, and the coordinator's /newevent draft at its preview,
    ready to publish. Returns the URL and the event id."""
    from sqlalchemy import insert

    from bot.db import Database
    from bot.models import Member
    from bot.services import drafts, events
    from handlers.events.screens import KIND

    url = await fresh_database(database)
    db = Database(url)
    now = datetime.now(UTC)
    # Not among the invited (no announcements), so that the audience is exactly the N members.
    coordinator = member_rows(COORDINATOR_ID, 1, now)[0] | {
        "language": "en", "name": "Coordinator", "receives_announcements": False}
    try:
        async with db.session() as session:
            await add_members(session, FIRST_USER_ID, members, now)
            await session.execute(insert(Member), [coordinator])
            data = workshop_draft(now)
            event = await events.save_draft(session, data, created_by=COORDINATOR_ID, now=now)
            await drafts.begin(session, COORDINATOR_ID, KIND, step="preview", now=now,
                               data=data | {"event_id": event.id, "editing": None})
            event_id = event.id
    finally:
        await db.dispose()
    return url, event_id


def publishing(event_id: int):
    """The coordinator's last steps: /newevent, Continue the draft, Publish."""
    from handlers.events.callbacks import PUBLISH, RESUME

    publish, resume = PUBLISH.data(event_id), RESUME.data()
    return [command("newevent", shows_button(resume)),
            press(resume, shows_button(publish)),
            press(publish, lacks_button(publish))]


@dataclass
class Sending:
    """What one run measured."""

    members: int
    limit: float
    sent_at: list[float] = field(default_factory=list)
    per_chat: Counter[int] = field(default_factory=Counter)
    published_at: float = 0.0
    http_429: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    bot_cpu: float | None = None
    failure: str | None = None

    @property
    def seconds(self) -> float:
        return self.sent_at[-1] - self.sent_at[0] if len(self.sent_at) > 1 else 0.0

    @property
    def rate(self) -> float:
        """Invitations per second from the first to the last."""
        return (len(self.sent_at) - 1) / self.seconds if self.seconds else 0.0

    @property
    def sustained(self) -> float:
        """Invitations per second after the first second (a full bucket allows a burst in it)."""
        if self.seconds <= 2.0:
            return self.rate
        start = self.sent_at[0] + 1.0
        later = sum(1 for t in self.sent_at if t > start)
        return later / (self.sent_at[-1] - start)

    @property
    def lost(self) -> int:
        return self.members - len(self.per_chat)

    @property
    def duplicated(self) -> int:
        return sum(count - 1 for count in self.per_chat.values())

    def problems(self) -> list[str]:
        found = []
        if self.failure:
            found.append(self.failure)
        if self.lost:
            found.append(f"{self.lost} members got no invitation")
        if self.duplicated:
            found.append(f"{self.duplicated} invitations were sent twice")
        if self.statuses.get("sent", 0) != self.members:
            found.append(f"the outbox records {self.statuses} for {self.members} members")
        return found


def outbox_statuses(database: Path, event_id: int) -> tuple[str | None, dict[str, int]]:
    """The invitation delivery's status and its messages by status, read from the bot's SQLite file."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
        row = connection.execute("SELECT id, status FROM delivery WHERE kind = 'invitation' AND ref_id = ?",
                                 (event_id,)).fetchone()
        if row is None:
            return None, {}
        counts = connection.execute("SELECT status, count(*) FROM outbox_message WHERE delivery_id = ?"
                                    " GROUP BY status", (row[0],)).fetchall()
    return row[1], dict(counts)


async def finished(database: Path, event_id: int, timeout: float) -> None:
    """Wait until the outbox has finished the invitation delivery (every message sent or given up)."""
    async with asyncio.timeout(timeout):
        while (await asyncio.to_thread(outbox_statuses, database, event_id))[0] not in ("done", "cancelled"):
            await asyncio.sleep(0.5)


async def run_once(args: argparse.Namespace, workdir: Path) -> Sending:
    """Fresh database, server and app; the coordinator publishes; the outbox sends until done."""
    database = workdir / "sahakor.sqlite3"
    url, event_id = await seed(database, args.members)
    members = range(FIRST_USER_ID, FIRST_USER_ID + args.members)
    measured = Sending(args.members, args.rate)
    server = PacedTelegram(members, event_id, args.rate)
    server.history_limit = 2
    await server.start()
    for chat_id in members:
        server.add_chat(chat_id)
    bot = None
    try:
        bot = await BotProcess.start("app", APP_COMMAND, workdir=workdir, settings={
            "TELEGRAM_BOT_TOKEN": server.token, "TELEGRAM_API_BASE_URL": server.base_url,
            "DATABASE_URL": url, "COORDINATOR_IDS": str(COORDINATOR_ID), "LOG_LEVEL": "WARNING",
            "SEND_RATE_PER_SECOND": f"{args.rate:g}"})
        try:
            await bot.guard(server.polling.wait(), 120)
        except TimeoutError:
            raise BotDied(f"the app did not poll within 120 s; its last output:\n{bot.log_tail()}") from None
        coordinator = server.user(COORDINATOR_ID, "Coordinator", language_code="en")
        driver = Driver(server, args.timeout)
        cpu_before = cpu_seconds(bot.pid)
        await bot.guard(driver.run([(coordinator, publishing(event_id))], 1))
        if driver.failures:
            measured.failure = f"publishing failed: {driver.failures[0]}"
            return measured
        measured.published_at = driver.last_answer or 0.0
        try:
            await bot.guard(finished(database, event_id, args.members / args.rate * 1.5 + 120))
        except TimeoutError:
            measured.failure = "the outbox did not finish the invitations in time"
        cpu_after = cpu_seconds(bot.pid)
        if cpu_before is not None and cpu_after is not None:
            measured.bot_cpu = cpu_after - cpu_before
    finally:
        if bot is not None:
            await bot.stop()
        await server.stop()
    measured.sent_at, measured.per_chat = server.sent_at, server.per_chat
    measured.http_429 = server.stats["outcomes"]["429"]
    measured.statuses = outbox_statuses(database, event_id)[1]
    return measured


def print_report(runs: list[Sending], limit: float) -> None:
    """One line per run, then the verdict on the best one."""
    header = (f"{'run':<5}{'members':>9}{'invited':>9}{'seconds':>9}{'msg/s':>8}{'after 1st s':>13}"
              f"{'of limit':>10}{'429s':>6}{'lost':>6}{'dup':>5}{'bot cpu':>9}")
    print(header)
    print("-" * len(header))
    for number, run in enumerate(runs, 1):
        cpu = f"{run.bot_cpu / run.seconds:.2f}" if run.bot_cpu is not None and run.seconds else "-"
        print(f"{number:<5}{run.members:>9}{len(run.per_chat):>9}{run.seconds:>9.1f}{run.rate:>8.2f}"
              f"{run.sustained:>13.2f}{run.sustained / limit:>10.1%}{run.http_429:>6}{run.lost:>6}"
              f"{run.duplicated:>5}{cpu:>9}")
    for number, run in enumerate(runs, 1):
        if run.sent_at and run.published_at:
            delay = 1000 * (run.sent_at[0] - run.published_at)
            print(f"  run {number}: first invitation {delay:.0f} ms after the Publish press was answered;"
                  f" outbox rows {run.statuses}")
    measured = [run for run in runs if run.sent_at]
    if measured:
        best = max(run.sustained for run in measured) / limit
        verdict = "met" if best >= TARGET_SHARE else "NOT met"
        which = " (best run)" if len(runs) > 1 else ""
        print(f"sustained rate {best:.1%} of the {limit:g} msg/s limit{which}"
              f" (target ≥ {TARGET_SHARE:.0%}: {verdict}); 429s provoked: {sum(r.http_429 for r in runs)}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python bench/invitations.py",
        description="Invitation send rate of the real app against the fake server's rate limit.")
    parser.add_argument("--members", type=int, default=10_000, help="members invited (default: 10000)")
    parser.add_argument("--rate", type=float, default=30.0,
                        help="the server's limit in messages per second, and the app's setting (default: 30)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="publish this many times, each afresh (default: 1)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds the coordinator waits for one answer before giving up (default: 60)")
    args = parser.parse_args(argv)
    if args.members < 1 or args.rounds < 1:
        parser.error("--members and --rounds must be at least 1")
    if args.rate <= 0:
        parser.error("--rate must be positive")
    return args


async def run(args: argparse.Namespace) -> int:
    """`rounds` runs on fresh databases; returns the exit code."""
    cancel_on_sigterm()
    machine = machine_note()
    # The load first, so that a long run says at once what else the machine is doing.
    print(f"{args.members} members invited by publishing an event, the server's limit {args.rate:g} msg/s"
          + (f"; before the run: {machine}" if machine else ""), flush=True)
    runs: list[Sending] = []
    died: BotDied | None = None
    with tempfile.TemporaryDirectory(prefix="sahakor-bench-") as tmp:
        try:
            for number in range(1, args.rounds + 1):
                runs.append(await run_once(args, Path(tmp) / f"round-{number}"))
        except BotDied as exc:
            died = exc
    print_report(runs, args.rate)
    failed = died is not None
    if died is not None:
        sys.stdout.flush()
        print(f"error: {died}", file=sys.stderr)
    for sending in runs:
        for problem in sending.problems():
            print(f"error: {problem}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return run_main(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
