"""Registration throughput: N members register at once through the fake Bot API, measured against a
bare python-telegram-bot echo bot driven the same way in the same run.

    python bench/registration.py --members 300
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the repository (bench, tests, bot) importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    APP_COMMAND,
    BenchTelegram,
    BotDied,
    Conversation,
    ECHO_COMMAND,
    Exchange,
    Result,
    cancel_on_sigterm,
    checked_args,
    client_note,
    command,
    exit_code,
    lacks_button,
    machine_note,
    press,
    print_ratio,
    print_table,
    ratio_arguments,
    replied_with,
    run_main,
    run_scenario,
    shows_button,
    shows_reply_button,
    type_text,
)
from bot.i18n import translator  # noqa: E402
from handlers.registration.callbacks import ANSWER, CONFIRM, CONSENT, LANGUAGE  # noqa: E402
from handlers.ui.callbacks import PREFIXES  # noqa: E402

TARGET_RATIO = 0.5
FIRST_USER_ID = 700_001
PROVINCE = "Kampot"  # found by its English name whatever the member's language


def registration(number: int, *, earlier: bool = False) -> tuple[str, list[Exchange]]:
    """Member `number`'s registration, in Khmer or English by turns: (language, steps).

    Each step says what the bot's answer must show before the member goes on: the screen of the
    next question, found by callback_data so the check does not depend on the wording. With `earlier`,
    the buttons are written with their prefixes' earlier short forms (`reg:`), as versions before the
    prefixes were spelt out sent them.
    """
    language = "km" if number % 2 == 0 else "en"
    _ = translator(language)
    name = f"សុខា ចាន់ {number}" if language == "km" else f"Dara Sok {number}"
    gender = "woman" if number % 4 < 2 else "man"
    skip = _("Skip")
    d = short if earlier else (lambda data: data)
    return language, [
        command("start", shows_button(d(LANGUAGE.data(language)))),
        press(d(LANGUAGE.data(language)), shows_button(d(CONSENT.data("yes")))),
        press(d(CONSENT.data("yes")), shows_button(d(answers("name")))),
        type_text(name, shows_button(d(answers("gender")))),
        press(d(ANSWER.data("gender", gender)), shows_button(d(answers("stake")))),
        press(d(ANSWER.data("stake", "farmer")), shows_button(d(ANSWER.data("org", "skip")))),
        press(d(ANSWER.data("org", "skip")), shows_button(d(answers("prov")))),
        type_text(PROVINCE, shows_reply_button(skip)),
        type_text(skip, shows_button(d(CONFIRM.data()))),
        # Confirming turns the summary into the welcome, without buttons.
        press(d(CONFIRM.data()), lacks_button(d(CONFIRM.data()))),
    ]


def answers(question: str) -> str:
    """The start of the callback data of the buttons that answer a registration question."""
    return ANSWER.data(question, "x").removesuffix("x")


def short(data: str) -> str:
    """The callback data with its prefix's earlier short form (`join:confirm` → `reg:confirm`)."""
    head, _, rest = data.partition(":")
    return f"{PREFIXES[head].earlier}:{rest}"


def registrations(members: int, *, earlier: bool = False) -> Callable[[BenchTelegram], list[Conversation]]:
    """The conversations of the registration scenario, for a given server (`earlier`: see registration)."""
    def build(server: BenchTelegram) -> list[Conversation]:
        plays = []
        for number in range(members):
            language, steps = registration(number, earlier=earlier)
            user = server.user(FIRST_USER_ID + number, f"Member{number}",
                               language_code=language)
            plays.append((user, steps))
        return plays
    return build


def echoes(members: int, per_member: int) -> Callable[[BenchTelegram], list[Conversation]]:
    """The echo scenario: as many plain text messages per user as a registration has updates."""
    def build(server: BenchTelegram) -> list[Conversation]:
        plays = []
        for number in range(members):
            user = server.user(FIRST_USER_ID + number, f"Member{number}")
            texts = [f"hello {step} from {number}" for step in range(per_member)]
            plays.append((user, [type_text(text, replied_with(text)) for text in texts]))
        return plays
    return build


def count_registered(database: Path) -> int:
    """Members whose registration completed, read from the bot's SQLite file."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return connection.execute(
            "SELECT count(*) FROM member WHERE registered_at IS NOT NULL").fetchone()[0]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = ratio_arguments("registration", "Registration throughput of the real app against a bare echo bot.",
                             members=300, what="conversations", timeout=60.0, app="registration")
    return checked_args(parser, argv)


async def run(args: argparse.Namespace) -> int:
    """Echo then registration, each on a fresh server, `rounds` times; returns the exit code."""
    cancel_on_sigterm()
    concurrency = args.concurrency or args.members
    machine = machine_note()
    client = client_note()
    per_member = len(registration(0)[1])
    results: list[Result] = []
    registered: list[int] = []
    died: BotDied | None = None
    with tempfile.TemporaryDirectory(prefix="sahakor-bench-") as tmp:
        try:
            for round_number in range(1, args.rounds + 1):
                suffix = f" {round_number}" if args.rounds > 1 else ""
                workdir = Path(tmp) / f"round-{round_number}"
                if not args.app_only:
                    results.append(await run_scenario(
                        "echo" + suffix, ECHO_COMMAND, echoes(args.members, per_member),
                        workdir=workdir / "echo", settings={}, concurrency=concurrency,
                        timeout=args.timeout))
                if not args.echo_only:
                    database = workdir / "registration" / "sahakor.sqlite3"
                    results.append(await run_scenario(
                        "registration" + suffix, APP_COMMAND, registrations(args.members),
                        workdir=workdir / "registration", concurrency=concurrency,
                        timeout=args.timeout, settings={
                            "DATABASE_URL": f"sqlite:///{database}",
                            "LOG_LEVEL": "WARNING"}))
                    registered.append(count_registered(database))
        except BotDied as exc:
            died = exc  # still report what was measured before

    print(f"{args.members} members, {per_member} updates each, concurrency {concurrency}"
          + (f"; before the run: {machine}" if machine else ""))
    if client:
        print(f"note: {client}")
    print_table(results)
    print_ratio(results, "registration", TARGET_RATIO, args.rounds)
    if registered:
        print("registered members in the SQLite file: "
              + ", ".join(str(count) for count in registered) + f" of {args.members}")

    return exit_code(results, died, [f"{args.members - count} members are not registered in the database"
                                     for count in registered if count != args.members])


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return run_main(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
