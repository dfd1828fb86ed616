"""What a member's update costs, flow by flow: N members each send one update of a flow at once, through the
fake Bot API, measured against two echo bots in the same run (python-telegram-bot with its defaults, and the
echo bot at its best on the app's own transport), and against the floor of each flow: the echo bot at its best
making as many Bot API calls per update as the flow does.

    python bench/flows.py --members 1000
    python bench/flows.py --members 1000 --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
    python bench/flows.py --flows start english --py-spy /tmp/profiles    # where the app's time goes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the repository (bench, tests, bot) importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import rsvp, stacks, surveys  # noqa: E402
from bench._common import (  # noqa: E402
    APP_COMMAND,
    BEST_ECHO,
    BEST_ECHO_COMMAND,
    ECHO,
    ECHO_COMMAND,
    BenchTelegram,
    BotDied,
    Conversation,
    Exchange,
    Result,
    add_members,
    app_database,
    cancel_on_sigterm,
    command,
    echo_conversations,
    exit_code,
    is_postgres,
    know_chats,
    machine_note,
    named,
    one_after_another,
    played,
    press,
    press_matching,
    print_table,
    ratios,
    run_main,
    run_scenario,
    shows_button,
)
from handlers.registration.callbacks import CONSENT, EDIT, LANGUAGE  # noqa: E402

ENGLISH = LANGUAGE.data("en")
AGREE = CONSENT.data("yes")
EDIT_BUTTONS = EDIT.data("name").removesuffix("name")  # the profile screen's buttons that correct a field

TARGET_RATIO = 0.5  # of the echo bot at its best
# The echo bot at its best making as many Bot API calls per update as a flow (k messages for each one): what
# python-telegram-bot itself costs for those calls, the floor of a flow that makes them.
FLOORS = {calls: f"{BEST_ECHO} x{calls}" for calls in (2, 3)}
FIRST_USER_ID = 730_001  # the RSVP and survey flows use their own benchmark's members


@dataclass(frozen=True)
class Pace:
    """How the warm-up's own conversations are played: as many at once as the measured ones."""

    concurrency: int
    timeout: float


@dataclass(frozen=True)
class Plan:
    """How one flow is measured, once its database is filled: the update each member sends, and what must
    happen before (chats the bot writes to first, members brought to the screen the update answers)."""

    conversations: Callable[[BenchTelegram], list[Conversation]]
    before_start: Callable[[BenchTelegram], None] | None = None
    warm_up: Callable[[BenchTelegram], Awaitable[None]] | None = None


# A flow fills the fresh database at `url` for `members` members and returns how to measure it.
Planner = Callable[[str, int, Pace], Awaitable[Plan]]


def members_playing(first_id: int, members: int,
                    steps: Callable[[int], Sequence[Exchange]]) -> Callable[[BenchTelegram], list[Conversation]]:
    """Each of `members` members (Khmer and English Telegram apps by turns) plays steps(number)."""
    def build(server: BenchTelegram) -> list[Conversation]:
        plays = []
        for number in range(members):
            language = "km" if number % 2 == 0 else "en"
            user = server.user(first_id + number, f"Member{number}", language_code=language)
            plays.append((user, steps(number)))
        return plays
    return build


def first_start(number: int) -> list[Exchange]:
    """A newcomer's /start, answered with the language screen."""
    return [command("start", shows_button(ENGLISH))]


async def plan_start(url: str, members: int, pace: Pace) -> Plan:
    """(a) The first /start of members the bot has never seen: an empty database."""
    return Plan(members_playing(FIRST_USER_ID, members, first_start))


async def plan_english(url: str, members: int, pace: Pace) -> Plan:
    """(b) One registration step: "English" pressed on the first screen, answered with the consent screen;
    each member's /start before it is not measured."""
    def english(number: int) -> list[Exchange]:
        return [press(ENGLISH, shows_button(AGREE))]

    return Plan(members_playing(FIRST_USER_ID, members, english),
                warm_up=played(members_playing(FIRST_USER_ID, members, first_start),
                               concurrency=pace.concurrency, timeout=pace.timeout))


async def plan_rsvp(url: str, members: int, pace: Pace) -> Plan:
    """(c) "Going" pressed on an invitation the app's outbox delivered before the measurement."""
    event_id = await rsvp.fill(url, members, capacity=None)
    return Plan(rsvp.presses(members, event_id),
                before_start=know_chats([rsvp.COORDINATOR_ID, *range(rsvp.FIRST_USER_ID, rsvp.FIRST_USER_ID + members)]),
                warm_up=rsvp.invitations_delivered(members, event_id, timeout=60 + members / 20))


async def plan_survey(url: str, members: int, pace: Pace) -> Plan:
    """(d) The answer to a survey's first question (a button), answered with the second question; the intro
    (delivered by the outbox) and the Start press before it are not measured."""
    survey_id = await surveys.fill(url, members)

    def start(number: int) -> list[Exchange]:
        return [press(f"survey:start:{survey_id}", surveys.shows_question(0))]

    def first_answer(number: int) -> list[Exchange]:
        return [press_matching(rf"survey:c:\d+:0:{surveys.choice(number, 0)}", surveys.shows_question(1))]

    first = surveys.FIRST_USER_ID
    return Plan(members_playing(first, members, first_answer),
                before_start=know_chats([surveys.COORDINATOR_ID, *range(first, first + members)]),
                warm_up=one_after_another(
                    surveys.intros_delivered(members, survey_id, timeout=60 + members / 20),
                    played(members_playing(first, members, start), concurrency=pace.concurrency,
                           timeout=pace.timeout)))


async def plan_profile(url: str, members: int, pace: Pace) -> Plan:
    """(e) /profile of registered members (put in the database), answered with the profile screen."""
    from bot.db import Database

    db = Database(url)
    try:
        async with db.session() as session:
            await add_members(session, FIRST_USER_ID, members, datetime.now(UTC))
    finally:
        await db.dispose()

    def profile(number: int) -> list[Exchange]:
        return [command("profile", shows_button(EDIT_BUTTONS))]

    return Plan(members_playing(FIRST_USER_ID, members, profile))


FLOWS: dict[str, tuple[str, Planner]] = {
    "start": ("first /start of a new member", plan_start),
    "english": ('"English" on the first screen', plan_english),
    "rsvp": ('"Going" on an invitation', plan_rsvp),
    "survey": ("a survey answer (a button)", plan_survey),
    "profile": ("/profile of a registered member", plan_profile),
}


def py_spy(folder: Path | None, name: str) -> Callable[[int], contextlib.AbstractAsyncContextManager] | None:
    """A `measuring` hook of run_scenario: py-spy records the bot while it is measured, into folder/name.txt
    (collapsed stacks, one sample per line group; see bench/stacks.py)."""
    if folder is None:
        return None

    @contextlib.asynccontextmanager
    async def record(pid: int) -> AsyncIterator[None]:
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / f"{name.replace(' ', '-')}.txt"
        process = await asyncio.create_subprocess_exec(
            "py-spy", "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "--nolineno",
            "--output", str(out), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        await asyncio.sleep(1.0)  # attaching takes a moment; the samples must cover the whole measurement
        try:
            yield
        finally:
            # Like Ctrl-C: py-spy stops sampling and writes what it has.
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
            _, errors = await process.communicate()
            if process.returncode != 0 and not out.exists():
                print(f"py-spy did not record {name}: {errors.decode(errors='replace').strip()}", file=sys.stderr)
    return record


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python bench/flows.py", description=(
        "What one member update costs, flow by flow, against two echo bots measured in the same run."))
    parser.add_argument("--members", type=int, default=1000,
                        help="members, each sending one update of each flow (default: 1000)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="run every scenario this many times; the best round of each counts (default: 3)")
    parser.add_argument("--flows", nargs="+", choices=list(FLOWS), default=list(FLOWS),
                        help="which flows to measure (default: all)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server (postgresql+asyncpg://...) where each run of the app gets a"
                             " database of its own, created and dropped (default: a SQLite file per run)")
    parser.add_argument("--concurrency", type=int, default=None, help="members at a time (default: all at once)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a member waits for one answer before giving up (default: 120)")
    parser.add_argument("--log-level", default="INFO",
                        help="the app's LOG_LEVEL (default: INFO, the app's own default: a line per update)")
    parser.add_argument("--no-echo", action="store_true", help="measure the flows only")
    parser.add_argument("--py-spy", type=Path, default=None, metavar="FOLDER",
                        help="record the app with py-spy while each flow is measured, summarise where its time"
                             " went, and keep the profiles in FOLDER (the figures are then a little lower)")
    args = parser.parse_args(argv)
    if args.members < 1 or args.rounds < 1:
        parser.error("--members and --rounds must be at least 1")
    if args.concurrency is not None and args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    if args.py_spy is not None and shutil.which("py-spy") is None:
        parser.error("--py-spy needs py-spy on the PATH (pip install py-spy)")
    if args.database_url is not None and not is_postgres(args.database_url):
        parser.error("--database-url must name a PostgreSQL server, e.g."
                     " postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    return args


async def run_flow(name: str, args: argparse.Namespace, workdir: Path, pace: Pace, scenario: str) -> Result:
    """One flow on a fresh database and a fresh app."""
    async with app_database(workdir, args.database_url) as url:
        plan = await FLOWS[name][1](url, args.members, pace)
        return await run_scenario(
            scenario, APP_COMMAND, plan.conversations, workdir=workdir, concurrency=pace.concurrency,
            timeout=args.timeout, before_start=plan.before_start, warm_up=plan.warm_up,
            measuring=py_spy(args.py_spy, scenario),
            # Invitations and survey intros go out unpaced so that the warm-up is short; the outbox is idle
            # while measuring.
            settings={"DATABASE_URL": url, "LOG_LEVEL": args.log_level, "SEND_RATE_PER_SECOND": "0"})


async def run(args: argparse.Namespace) -> int:
    """Both echo bots then every flow, each on a fresh server, `rounds` times; returns the exit code."""
    cancel_on_sigterm()
    pace = Pace(args.concurrency or args.members, args.timeout)
    database = "PostgreSQL" if args.database_url else "SQLite"
    machine = machine_note()
    # The load first, so that a long run says at once what else the machine is doing.
    print(f"{args.members} members, one update each per flow, concurrency {pace.concurrency}, the app on {database}"
          f" (LOG_LEVEL {args.log_level}), {args.rounds} round{'s' if args.rounds > 1 else ''}"
          + (f"; before the run: {machine}" if machine else ""), flush=True)
    results: list[Result] = []
    died: BotDied | None = None
    with tempfile.TemporaryDirectory(prefix="sahakor-bench-") as tmp:
        try:
            for round_number in range(1, args.rounds + 1):
                suffix = f" {round_number}" if args.rounds > 1 else ""
                workdir = Path(tmp) / f"round-{round_number}"
                if not args.no_echo:
                    echoes = [(ECHO, ECHO_COMMAND, 1), (BEST_ECHO, BEST_ECHO_COMMAND, 1),
                              *((floor, BEST_ECHO_COMMAND, calls) for calls, floor in FLOORS.items())]
                    for echo, echo_command, calls in echoes:
                        results.append(await run_scenario(
                            echo + suffix, echo_command, echo_conversations(FIRST_USER_ID, args.members, 1),
                            workdir=workdir / echo.replace(" ", "-"), settings={"BENCH_ECHO_REPLIES": str(calls)},
                            concurrency=pace.concurrency, timeout=args.timeout))
                for name in args.flows:
                    results.append(await run_flow(name, args, workdir / name, pace, name + suffix))
                print(f"round {round_number} done" + (f"; {note}" if (note := machine_note()) else ""), flush=True)
        except BotDied as exc:
            died = exc  # still report what was measured before

    print_table(results)
    print()
    print_summary(results, args)
    if args.py_spy is not None:
        print_profiles(args.py_spy, args.flows)
    return exit_code(results, died, [])


def calls_per_update(results: Sequence[Result]) -> int:
    """The Bot API calls a scenario makes per update (getUpdates aside), from its best round."""
    best = max(results, key=lambda r: r.rate)
    calls = sum(count for method, count in best.methods.items() if method != "getUpdates")
    return max(1, round(calls / best.updates)) if best.updates else 1


def floor_ratio(results: Sequence[Result], name: str) -> tuple[str, float, float | None] | None:
    """The flow against the echo bot at its best making as many calls per update: (that echo, rate ratio, CPU
    ratio), or None if the run measured no such echo."""
    measured = named(results, name)
    floor = FLOORS.get(calls_per_update(measured), BEST_ECHO) if measured else None
    echo = named(results, floor) if floor else []
    if not measured or not echo:
        return None
    costs = ([r.cpu_per_update for r in echo if r.cpu_per_update],
             [r.cpu_per_update for r in measured if r.cpu_per_update])
    return (floor, max(r.rate for r in measured) / max(r.rate for r in echo),
            min(costs[0]) / min(costs[1]) if all(costs) else None)


def _cell(rate: float, cpu: float | None) -> str:
    return f"{rate:.2f} ({cpu:.2f})" if cpu is not None else f"{rate:.2f}"


def print_summary(results: Sequence[Result], args: argparse.Namespace) -> None:
    """One line per flow (and per echo bot): best round's updates/s and CPU per update, and the ratios."""
    best = ", best of each" if args.rounds > 1 else ""
    print(f"ratios: updates/s ÷ the echo's (the echo's CPU per update ÷ the flow's){best};"
          f" target ≥ {TARGET_RATIO:.2f} × the {BEST_ECHO}; the floor is the {BEST_ECHO} making as many Bot API"
          f" calls per update as the flow")
    header = (f"{'flow':<34}{'updates/s':>10}{'cpu ms/upd':>12}{'÷ ' + ECHO:>14}{'÷ ' + BEST_ECHO:>16}"
              f"{'÷ floor':>18}  target")
    print(header)
    print("-" * len(header))
    rows = [(name, name) for name in (ECHO, BEST_ECHO, *FLOORS.values())] + [(FLOWS[name][0], name)
                                                                          for name in args.flows]
    for label, name in rows:
        measured = named(results, name)
        if not measured:
            continue
        rate = max(r.rate for r in measured)
        costs = [r.cpu_per_update for r in measured if r.cpu_per_update]
        cost = f"{min(costs) * 1000:.2f}" if costs else "-"
        against = {ratio.echo: ratio for ratio in ratios(results, name)}
        cells = ["-" if against.get(echo) is None else _cell(against[echo].rate, against[echo].cpu)
                 for echo in (ECHO, BEST_ECHO)]
        verdict, floor = "", "-"
        if name in FLOWS:
            if BEST_ECHO in against:
                verdict = "met" if against[BEST_ECHO].rate >= TARGET_RATIO else "NOT met"
            if (found := floor_ratio(results, name)) is not None:
                floor = _cell(found[1], found[2]) + ("" if found[0] == BEST_ECHO else f" x{found[0][-1]}")
        print(f"{label:<34}{rate:>10.1f}{cost:>12}{cells[0]:>14}{cells[1]:>16}{floor:>18}  {verdict}")


def print_profiles(folder: Path, flows: Sequence[str]) -> None:
    """Where the app's time went in each flow's profiled rounds (all rounds of a flow together)."""
    for name in flows:
        files = sorted(folder.glob(f"{name}.txt")) + sorted(folder.glob(f"{name}-*.txt"))
        if files:
            print()
            print(f"where the app's time went: {FLOWS[name][0]} ({', '.join(f.name for f in files)})")
            print(stacks.summary(stacks.load(files)))


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return run_main(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
