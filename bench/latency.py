"""Reply latency during a broadcast: members who talk to the bot while it sends a big broadcast must
not wait behind it.

    python bench/latency.py                  # about 3 minutes
    python bench/latency.py --seconds 20     # a quicker look

Fifty members send /profile over and over (each waits for the answer, then pauses a moment) while
the app (`python -m bot.cli run`) is (a) idle, (b) sending a 10,000-recipient broadcast at the
30 msg/s limit, and (c) sending a 30,000-recipient one with no limit at all. The target: in (b), 95%
of the replies arrive within a second, and in every scenario no reply is lost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
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
    add_members,
    cancel_on_sigterm,
    cpu_seconds,
    fresh_database,
    machine_note,
    member_rows,
    percentile,
    run_main,
)
from bot.fakeapi import FakeUser  # noqa: E402
from handlers.registration.callbacks import LANGUAGE_MENU  # noqa: E402

TARGET_P95 = 1.0  # seconds, in the scenario at Telegram's limit
FIRST_ACTIVE_ID = 790_001
FIRST_RECIPIENT_ID = 800_001
COORDINATOR_ID = 9_001
# The broadcast goes to the recipients' province only, so the active members (another province)
# are not among its audience and every message in their chats is a reply to them.
RECIPIENT_PROVINCE, ACTIVE_PROVINCE = "07", "12"
BROADCAST_EN = "<b>Policy brief</b>: the ALiSEA Policy Dialogue Workshop report is out."
BROADCAST_KM = "<b>សេចក្តីសង្ខេបគោលនយោបាយ</b>៖ របាយការណ៍សិក្ខាសាលាសន្ទនាគោលនយោបាយ ALiSEA បានចេញហើយ។"
PROFILE_BUTTON = LANGUAGE_MENU.data()  # on the /profile screen: how the server tells the reply apart


class LatencyTelegram(BenchTelegram):
    """The fake server, noting when each broadcast message and each /profile reply arrived."""

    def __init__(self, recipients: range, active: range, rate: float | None, limit_replies: bool) -> None:
        super().__init__(global_rate=rate)
        self.recipients = recipients
        self.active = active
        self.limit_replies = limit_replies
        self.broadcast_at: list[float] = []  # perf_counter of every broadcast message delivered
        self.replies: dict[int, list[float]] = defaultdict(list)  # chat -> perf_counter of each reply
        self.refused = {"broadcast": 0, "reply": 0}  # 429s
        self.broadcast_done = asyncio.Event()

    def _rate_limit(self, chat_id: int) -> None:
        """Telegram's overall limit on the broadcast only, unless replies are to count against it too.

        FakeTelegram applies one bucket to every send; this keeps it off the active members' chats.
        """
        if chat_id in self.active and not self.limit_replies:
            return
        super()._rate_limit(chat_id)

    async def _dispatch(self, request, name, entry, params):
        """Serve the call (waking the member it concerns), then note what it was."""
        response = await super()._dispatch(request, name, entry, params)
        chat_id = params.get("chat_id")
        if name != "sendMessage" or not isinstance(chat_id, int):
            return response
        kind = "broadcast" if chat_id in self.recipients else "reply" if chat_id in self.active else None
        if kind is None:
            return response
        if response.status == 429:
            self.refused[kind] += 1
        elif response.status == 200 and kind == "broadcast":
            self.broadcast_at.append(time.perf_counter())
            if len(self.broadcast_at) >= len(self.recipients):
                self.broadcast_done.set()
        elif response.status == 200 and _has_button(params.get("reply_markup"), PROFILE_BUTTON):
            # No await since the waiter was woken: the member sees this before checking.
            self.replies[chat_id].append(time.perf_counter())
        return response


def _has_button(markup, data: str) -> bool:
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return any(b.get("callback_data") == data for row in rows for b in row)


@dataclass(frozen=True)
class Scenario:
    """What one scenario runs: a broadcast or not, and Telegram's limit."""

    key: str  # a, b or c
    name: str
    recipients: int  # 0: no broadcast
    rate: float | None  # the server's limit; None: no limit
    send_rate: float | None  # the app's SEND_RATE_PER_SECOND; None: no limit
    seconds: float  # how long the members talk (at most)
    gated: bool = False  # the target applies to this scenario


@dataclass
class Measured:
    """What one scenario measured."""

    scenario: Scenario
    load: float | None = None
    started: float = 0.0  # perf_counter when the members began
    ended: float = 0.0  # when the last member stopped, or the broadcast ended if sooner
    sent: list[tuple[float, float]] = field(default_factory=list)  # (pushed, latency) of each reply
    lost: list[str] = field(default_factory=list)
    broadcast_at: list[float] = field(default_factory=list)
    broadcast_total: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    bot_cpu: float | None = None
    server_cpu: float = 0.0  # this process: the fake server and the members
    failure: str | None = None

    @property
    def seconds(self) -> float:
        return max(0.0, self.ended - self.started)

    @property
    def latencies(self) -> list[float]:
        """Of the commands sent within the window."""
        return [latency for pushed, latency in self.sent if pushed <= self.ended]

    @property
    def broadcast_in_window(self) -> int:
        return sum(1 for t in self.broadcast_at if self.started <= t <= self.ended)

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)

    @property
    def passed(self) -> bool:
        return bool(self.latencies) and self.p(95) < TARGET_P95 and not self.lost and not self.failure


async def seed(database: Path, scenario: Scenario, active: int, members: int) -> str:
    """A fresh database: the recipients (10,000 registered members, say), the active members in
    another province, and, if the scenario has one, a broadcast to the recipients due now in the
    outbox, as the composer leaves it. Returns the URL."""
    from sqlalchemy import insert

    from bot.db import Database
    from bot.models import Member
    from bot.services import outbox
    from bot.services.audience import Audience

    url = await fresh_database(database)
    db = Database(url)
    now = datetime.now(UTC)
    talkers = [row | {"province": ACTIVE_PROVINCE} for row in member_rows(FIRST_ACTIVE_ID, active, now)]
    try:
        async with db.session() as session:
            await add_members(session, FIRST_RECIPIENT_ID, scenario.recipients or members, now)
            await session.execute(insert(Member), talkers)
            if scenario.recipients:
                content = {"en": {"text": BROADCAST_EN}, "km": {"text": BROADCAST_KM}}
                delivery = await outbox.create(session, kind="broadcast", content=content, send_at=now,
                                               created_by=COORDINATOR_ID, now=now)
                await outbox.add_audience(session, delivery, Audience(provinces=frozenset({RECIPIENT_PROVINCE})))
    finally:
        await db.dispose()
    return url


@dataclass
class Talker:
    """One active member: sends /profile, waits for the reply, thinks, and again."""

    user: FakeUser
    rng: random.Random
    think: tuple[float, float]
    timeout: float

    async def talk(self, server: LatencyTelegram, stopping: asyncio.Event, measured: Measured) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.think[1]))  # not all at once on the first go
        chat = self.user.id
        while not stopping.is_set():
            before = len(server.replies[chat])
            pushed = time.perf_counter()
            await self.user.command("profile")
            try:
                await server.until(chat, lambda: len(server.replies[chat]) > before, self.timeout)
            except TimeoutError:
                # A late reply would pass for the next one's: this member stops here.
                measured.lost.append(f"member {chat}: no reply to /profile within {self.timeout:g} s")
                return
            measured.sent.append((pushed, server.replies[chat][before] - pushed))
            try:
                await asyncio.wait_for(stopping.wait(), self.rng.uniform(*self.think))
            except TimeoutError:
                pass


async def talking(server: LatencyTelegram, members: list[Talker], measured: Measured) -> None:
    """The members talk until the scenario's time is up, or its broadcast has been sent."""
    stopping = asyncio.Event()
    chats = [asyncio.create_task(m.talk(server, stopping, measured)) for m in members]
    deadline = asyncio.create_task(asyncio.sleep(measured.scenario.seconds))
    finished = asyncio.create_task(server.broadcast_done.wait())
    try:
        await asyncio.wait({deadline, finished}, return_when=asyncio.FIRST_COMPLETED)
        stopping.set()
        # Each member still waits for the reply to the /profile in flight, which counts.
        await asyncio.gather(*chats)
    finally:
        for task in (deadline, finished, *chats):
            task.cancel()


async def run_scenario(scenario: Scenario, args: argparse.Namespace, workdir: Path) -> Measured:
    """Fresh database, server and app; once the broadcast is going, the members talk and are timed."""
    measured = Measured(scenario, load=os.getloadavg()[0] if hasattr(os, "getloadavg") else None)
    database = workdir / "sahakor.sqlite3"
    url = await seed(database, scenario, args.active, args.recipients)
    recipients = range(FIRST_RECIPIENT_ID, FIRST_RECIPIENT_ID + scenario.recipients)
    active = range(FIRST_ACTIVE_ID, FIRST_ACTIVE_ID + args.active)
    server = LatencyTelegram(recipients, active, scenario.rate, args.limit_replies)
    server.history_limit = 2
    await server.start()
    for chat_id in recipients:
        server.add_chat(chat_id)
    members = []
    for number, chat_id in enumerate(active):
        user = server.user(chat_id, f"Member{number}", language_code="km" if number % 2 == 0 else "en")
        members.append(Talker(user, random.Random(args.seed * 1_000 + number), tuple(args.think), args.timeout))
    bot = None
    try:
        bot = await BotProcess.start(f"app-{scenario.key}", APP_COMMAND, workdir=workdir, settings={
            "TELEGRAM_BOT_TOKEN": server.token, "TELEGRAM_API_BASE_URL": server.base_url,
            "DATABASE_URL": url, "COORDINATOR_IDS": str(COORDINATOR_ID), "LOG_LEVEL": "WARNING",
            "SEND_RATE_PER_SECOND": f"{scenario.send_rate or 0:g}"})
        await _ready(bot, server, scenario)
        measured.started = time.perf_counter()
        cpu_before, server_before = cpu_seconds(bot.pid), time.process_time()
        await bot.guard(talking(server, members, measured))
        cpu_after, measured.server_cpu = cpu_seconds(bot.pid), time.process_time() - server_before
        measured.ended = time.perf_counter()
        if cpu_before is not None and cpu_after is not None:
            measured.bot_cpu = cpu_after - cpu_before
    except BotDied as exc:
        measured.failure = str(exc)
    finally:
        if bot is not None:
            await bot.stop()
        await server.stop()
    _keep_broadcast_window(measured, server)
    return measured


async def _ready(bot: BotProcess, server: LatencyTelegram, scenario: Scenario) -> None:
    """Wait until the app polls and, in a broadcast scenario, its worker has begun sending."""
    try:
        await bot.guard(server.polling.wait(), 120)
    except TimeoutError:
        raise BotDied(f"the app did not poll within 120 s; its last output:\n{bot.log_tail()}") from None
    if not scenario.recipients:
        return
    try:
        async with asyncio.timeout(60):
            while not server.broadcast_at:
                await bot.guard(asyncio.sleep(0.05))
    except TimeoutError:
        raise BotDied(f"the broadcast did not start within 60 s; its last output:\n{bot.log_tail()}") from None


def _keep_broadcast_window(measured: Measured, server: LatencyTelegram) -> None:
    """Copy the server's counts; if the broadcast ended before the members stopped, the window (and
    the replies measured) ends with its last message."""
    measured.broadcast_at = server.broadcast_at
    measured.broadcast_total = len(server.broadcast_at)
    measured.refused = dict(server.refused)
    if measured.scenario.recipients and server.broadcast_done.is_set():
        measured.ended = min(measured.ended or server.broadcast_at[-1], server.broadcast_at[-1])


def print_report(results: list[Measured]) -> None:
    """One line per scenario, then the 429s and the verdict."""
    header = (f"{'scenario':<28}{'recipients':>11}{'seconds':>9}{'replies':>9}{'lost':>6}{'p50 ms':>9}"
              f"{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'bcast sent':>12}{'bcast/s':>9}{'bot cpu':>9}"
              f"{'tg cpu':>8}{'load':>6}  p95 < 1 s")
    print(header)
    print("-" * len(header))
    for r in results:
        s = r.scenario
        rate = r.broadcast_in_window / r.seconds if r.seconds else 0.0
        cpu = f"{r.bot_cpu / r.seconds:.2f}" if r.bot_cpu is not None and r.seconds else "-"
        server_cpu = f"{r.server_cpu / r.seconds:.2f}" if r.seconds else "-"
        load = f"{r.load:.2f}" if r.load is not None else "-"
        verdict = ("PASS" if r.passed else "FAIL") + (" (target)" if s.gated else "")
        p50, p95, p99 = (r.p(q) * 1000 for q in (50, 95, 99))
        worst = max(r.latencies, default=0.0) * 1000
        print(f"{s.name:<28}{s.recipients:>11,}{r.seconds:>9.1f}{len(r.latencies):>9}{len(r.lost):>6}"
              f"{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{worst:>9.1f}{r.broadcast_in_window:>12,}{rate:>9.1f}"
              f"{cpu:>9}{server_cpu:>8}{load:>6}  {verdict}")
    for r in results:
        if r.scenario.recipients:
            ended = "finished" if r.broadcast_total >= r.scenario.recipients else "still sending when stopped"
            print(f"  {r.scenario.name}: {r.broadcast_total:,} of {r.scenario.recipients:,} broadcast messages"
                  f" sent ({ended}); 429s: {r.refused.get('broadcast', 0)} on the broadcast,"
                  f" {r.refused.get('reply', 0)} on replies")


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    """Baseline, at Telegram's limit, and unlimited, as the options pick them."""
    paced = f"b: limit {args.rate:g} msg/s" + (f", app {args.send_rate:g}" if args.send_rate else "")
    every = {
        "a": Scenario("a", "a: no broadcast", 0, None, None, args.baseline_seconds),
        "b": Scenario("b", paced, args.recipients, args.rate, args.send_rate or args.rate,
                      args.seconds, gated=True),
        "c": Scenario("c", "c: no limit", args.unlimited_recipients, None, None, args.seconds),
    }
    return [every[key] for key in args.only]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python bench/latency.py",
        description="Reply latency to members while the app sends a big broadcast.")
    parser.add_argument("--recipients", type=int, default=10_000,
                        help="broadcast recipients at the limit (default: 10000)")
    parser.add_argument("--unlimited-recipients", type=int, default=30_000,
                        help="broadcast recipients with no limit; more, so that the sending lasts (default: 30000)")
    parser.add_argument("--active", type=int, default=50, help="members talking to the bot (default: 50)")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="how long the members talk during a broadcast, at most (default: 60)")
    parser.add_argument("--baseline-seconds", type=float, default=30.0,
                        help="how long they talk with no broadcast (default: 30)")
    parser.add_argument("--rate", type=float, default=30.0,
                        help="the server's limit in messages per second, and the app's setting (default: 30)")
    parser.add_argument("--send-rate", type=float,
                        help="the app's SEND_RATE_PER_SECOND in scenario b, if not --rate (to leave headroom)")
    parser.add_argument("--limit-replies", action="store_true",
                        help="replies count against the server's limit too, as on Telegram (by default only"
                             " the broadcast does: 50 busy members alone would exceed it)")
    parser.add_argument("--think", type=float, nargs=2, default=(0.2, 0.6), metavar=("MIN", "MAX"),
                        help="a member's pause between a reply and their next command, in seconds (0.2 0.6)")
    parser.add_argument("--only", default="abc", help="scenarios to run, of a, b and c (default: abc)")
    parser.add_argument("--seed", type=int, default=1, help="for the members' pauses (default: 1)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds a member waits for a reply before it counts as lost (default: 30)")
    args = parser.parse_args(argv)
    if args.recipients < 1 or args.unlimited_recipients < 1 or args.active < 1:
        parser.error("--recipients, --unlimited-recipients and --active must be at least 1")
    if min(args.rate, args.seconds, args.baseline_seconds, args.send_rate or args.rate) <= 0:
        parser.error("--rate, --send-rate, --seconds and --baseline-seconds must be positive")
    if not 0 <= args.think[0] <= args.think[1]:
        parser.error("--think wants MIN ≤ MAX, both ≥ 0")
    if not args.only or set(args.only) - set("abc"):
        parser.error("--only takes letters among a, b and c")
    args.only = sorted(set(args.only))
    return args


async def run(args: argparse.Namespace) -> int:
    """Each scenario on a fresh database and app; returns the exit code."""
    cancel_on_sigterm()
    machine = machine_note()
    print(f"{args.active} members sending /profile (pauses {args.think[0]:g}–{args.think[1]:g} s) while the app"
          f" broadcasts" + (f"; before the run: {machine}" if machine else ""), flush=True)
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="sahakor-bench-") as tmp:
        for scenario in scenarios(args):
            results.append(await run_scenario(scenario, args, Path(tmp) / scenario.key))
    print_report(results)
    failed = False
    for r in results:
        problems = ([r.failure] if r.failure else []) + r.lost[:5]
        if r.lost:
            problems.append(f"{len(r.lost)} replies lost in {r.scenario.name}")
        if not r.latencies:
            problems.append(f"{r.scenario.name}: no reply measured")
        elif r.scenario.gated and r.p(95) >= TARGET_P95:
            problems.append(f"{r.scenario.name}: p95 {r.p(95) * 1000:.0f} ms, target < {TARGET_P95 * 1000:.0f} ms")
        if problems:
            sys.stdout.flush()
            failed = True
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return run_main(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
