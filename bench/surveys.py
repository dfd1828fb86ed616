"""Survey throughput: N members answer a 10-question survey at once, one question at a time, through
the fake Bot API, measured against a bare python-telegram-bot echo bot driven the same way in the
same run.

    python bench/surveys.py --members 1000
"""

from __future__ import annotations

import argparse
import json
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
    Exchange,
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
    press_matching,
    print_ratio,
    print_table,
    ratio_arguments,
    run_main,
    run_scenario,
    shows_button,
    type_text,
)
from bot.fakeapi import FakeUser  # noqa: E402

TARGET_RATIO = 0.5
FIRST_USER_ID = 720_001
COORDINATOR_ID = 9_001  # who sent the survey; the outbox reports its progress to them
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")

# (type, label, choices): mostly buttons, two ratings from 1 to 5, one number typed in.
QUESTIONS = [
    ("select_one", {"en": "Which part of the workshop did you attend?",
                    "km": "តើអ្នកបានចូលរួមផ្នែកណាខ្លះនៃសិក្ខាសាលា?"},
     [{"en": "Morning", "km": "ពេលព្រឹក"}, {"en": "Afternoon", "km": "ពេលរសៀល"},
      {"en": "Both", "km": "ទាំងពីរ"}]),
    ("select_one", {"en": "How did you hear about the workshop?",
                    "km": "តើអ្នកបានដឹងអំពីសិក្ខាសាលាតាមរយៈអ្វី?"},
     [{"en": "Telegram", "km": "តេឡេក្រាម"}, {"en": "A colleague", "km": "មិត្តរួមការងារ"},
      {"en": "Our cooperative", "km": "សហគមន៍របស់យើង"}, {"en": "Other", "km": "ផ្សេងៗ"}]),
    ("rating", {"en": "How useful was the workshop?", "km": "តើសិក្ខាសាលាមានប្រយោជន៍កម្រិតណា?"}, None),
    ("select_one", {"en": "Do you practise agroecology on your farm?",
                    "km": "តើអ្នកអនុវត្តកសិអេកូឡូស៊ីនៅកសិដ្ឋានរបស់អ្នកដែរឬទេ?"},
     [{"en": "Yes", "km": "បាទ/ចាស"}, {"en": "Partly", "km": "ខ្លះៗ"}, {"en": "Not yet", "km": "មិនទាន់"}]),
    ("integer", {"en": "How many people work on your farm?",
                 "km": "តើមានមនុស្សប៉ុន្មាននាក់ធ្វើការនៅកសិដ្ឋានរបស់អ្នក?"}, None),
    ("select_one", {"en": "Which topic matters most to you?", "km": "តើប្រធានបទណាសំខាន់បំផុតសម្រាប់អ្នក?"},
     [{"en": "Soil health", "km": "សុខភាពដី"}, {"en": "Water", "km": "ទឹក"},
      {"en": "Markets", "km": "ទីផ្សារ"}, {"en": "Seeds", "km": "គ្រាប់ពូជ"}]),
    ("rating", {"en": "How satisfied are you with the network's support?",
                "km": "តើអ្នកពេញចិត្តនឹងការគាំទ្ររបស់បណ្តាញកម្រិតណា?"}, None),
    ("select_one", {"en": "Would you come to a field day?", "km": "តើអ្នកនឹងមកចូលរួមទិវាចុះកសិដ្ឋានដែរឬទេ?"},
     [{"en": "Yes", "km": "បាទ/ចាស"}, {"en": "Maybe", "km": "ប្រហែល"}, {"en": "No", "km": "ទេ"}]),
    ("select_one", {"en": "How would you like to receive news?", "km": "តើអ្នកចង់ទទួលព័ត៌មានតាមរបៀបណា?"},
     [{"en": "Telegram", "km": "តេឡេក្រាម"}, {"en": "Phone call", "km": "ការហៅទូរស័ព្ទ"},
      {"en": "Meetings", "km": "កិច្ចប្រជុំ"}]),
    ("select_one", {"en": "Would you recommend the network to a neighbour?",
                    "km": "តើអ្នកនឹងណែនាំបណ្តាញនេះដល់អ្នកជិតខាងដែរឬទេ?"},
     [{"en": "Yes", "km": "បាទ/ចាស"}, {"en": "No", "km": "ទេ"}]),
]
RATINGS = 5


def questions() -> list[dict]:
    """The survey's questions, in the shape surveys built in the chat have."""
    from bot.services import surveys

    built = []
    for index, (kind, label, choices) in enumerate(QUESTIONS):
        question = surveys.built_question(index, kind, label, choices)
        if kind == "integer":
            question["constraint"] = ". >= 1 and . <= 500"
        built.append(question)
    return built


async def seed(database: Path, members: int) -> tuple[str, int]:
    """A fresh SQLite file filled as `fill` does. Returns the URL and the survey id."""
    url = await fresh_database(database)
    return url, await fill(url, members)


async def fill(url: str, members: int) -> int:
    """Into an empty database: registered members and a survey sent to all of them, its intro waiting in the
    outbox as the coordinator's Send leaves it. Returns the survey id."""
    from bot.db import Database
    from bot.services import surveys
    from bot.services.audience import Audience
    from handlers.surveys.screens import intro_content

    db = Database(url)
    now = datetime.now(UTC)
    try:
        async with db.session() as session:
            await add_members(session, FIRST_USER_ID, members, now)
            title = {"en": "Post-workshop feedback", "km": "មតិយោបល់ក្រោយសិក្ខាសាលា"}
            survey = await surveys.create(session, title=title, questions=questions(), source="chat",
                                          created_by=COORDINATOR_ID, now=now)
            surveys.set_audience(survey, Audience())
            sent = await surveys.send(session, survey, now=now, content=intro_content,
                                      status_chat_id=COORDINATOR_ID, status_language="en")
            if sent is not surveys.Sent.SENT:
                raise RuntimeError(f"the survey was not sent: {sent}")
            survey_id = survey.id
    finally:
        await db.dispose()
    return survey_id


def intros_delivered(members: int, survey_id: int, timeout: float) -> Callable[[BenchTelegram], Awaitable[None]]:
    """A warm-up: every member has the survey's intro with its Start button (sent by the app's outbox)."""
    return button_delivered(range(FIRST_USER_ID, FIRST_USER_ID + members), f"survey:start:{survey_id}", timeout)


def shows_question(index: int) -> Answered:
    """The bot's latest message asks question `index` (every question past the first has Back)."""
    if index >= len(QUESTIONS):
        return shows_button("survey:edit:")  # the thanks, with "Change my answers"
    return lambda user, before: _asks(user, index)


def _asks(user: FakeUser, index: int) -> bool:
    msg = user.server.latest(user.id)
    if msg is None or not msg.has_inline_keyboard:
        return False
    for row in msg.buttons():
        for b in row:
            parts = b.get("callback_data", "").split(":")
            if len(parts) >= 4 and parts[0] == "survey" and parts[3] == str(index):
                return True
    return False


def choice(number: int, index: int) -> int:
    """The button member `number` presses on question `index` (a choice, or a rating less one)."""
    kind, _label, choices = QUESTIONS[index]
    return (number + index) % (len(choices) if kind == "select_one" else RATINGS)


def typed_number(number: int) -> int:
    return number % 40 + 1


def expected_answers(number: int) -> dict[str, object]:
    """What member `number` answers, by question name, as the database keeps it."""
    answers: dict[str, object] = {}
    for index, (kind, _label, _choices) in enumerate(QUESTIONS):
        if kind == "select_one":
            answers[f"q{index + 1}"] = f"c{choice(number, index) + 1}"
        elif kind == "rating":
            answers[f"q{index + 1}"] = choice(number, index) + 1
        else:
            answers[f"q{index + 1}"] = typed_number(number)
    return answers


def answering(number: int, survey_id: int, language: str) -> list[Exchange]:
    """Member `number`'s updates: Start, then each question answered on the latest question message
    (the number typed in Khmer digits by Khmer readers)."""
    steps = [press(f"survey:start:{survey_id}", shows_question(0))]
    for index, (kind, _label, _choices) in enumerate(QUESTIONS):
        if kind == "integer":
            typed = str(typed_number(number))
            steps.append(type_text(typed.translate(KHMER_DIGITS) if language == "km" else typed,
                                   shows_question(index + 1)))
        else:
            steps.append(press_matching(rf"survey:c:\d+:{index}:{choice(number, index)}",
                                        shows_question(index + 1)))
    return steps


def respondents(members: int, survey_id: int) -> Callable[[BenchTelegram], list[Conversation]]:
    """The conversations of the survey scenario, for a given server."""
    def build(server: BenchTelegram) -> list[Conversation]:
        plays = []
        for number in range(members):
            language = "km" if number % 2 == 0 else "en"
            user = server.user(FIRST_USER_ID + number, f"Member{number}", language_code=language)
            plays.append((user, answering(number, survey_id, language)))
        return plays
    return build


@dataclass(frozen=True)
class Stored:
    """The responses in the database after the run."""

    responses: int
    complete: int
    full: int  # complete responses with an answer to every question
    wrong: int  # members whose stored answers differ from what they pressed or typed

    def problems(self, members: int) -> list[str]:
        found = []
        if self.complete != members:
            found.append(f"{members - self.complete} of {members} responses are not complete")
        if self.full != members:
            found.append(f"{members - self.full} responses lack answers")
        if self.wrong:
            found.append(f"{self.wrong} responses hold answers other than the ones given")
        return found


def stored_responses(database: Path, survey_id: int, members: int) -> Stored:
    """Counts read from the bot's SQLite file, and every answer checked against what was given."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        responses, complete = connection.execute(
            "SELECT count(*), count(completed_at) FROM survey_response WHERE survey_id = ?",
            (survey_id,)).fetchone()
        rows = connection.execute(
            "SELECT m.telegram_id, a.question, a.value FROM survey_answer a"
            " JOIN survey_response r ON r.id = a.response_id JOIN member m ON m.id = r.member_id"
            " WHERE r.survey_id = ? AND r.completed_at IS NOT NULL", (survey_id,)).fetchall()
    given: dict[int, dict[str, object]] = {}
    for telegram_id, question, value in rows:
        # A JSON column has numeric affinity in SQLite: numbers come back as numbers, the rest as JSON text.
        given.setdefault(telegram_id, {})[question] = json.loads(value) if isinstance(value, str) else value
    full = sum(1 for answers in given.values() if len(answers) == len(QUESTIONS))
    wrong = sum(1 for number in range(members)
                if given.get(FIRST_USER_ID + number, expected_answers(number)) != expected_answers(number))
    return Stored(responses, complete, full, wrong)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = ratio_arguments("surveys", "Survey answering throughput of the real app against a bare echo bot.",
                             members=1000, what="members answering", timeout=120.0, app="survey")
    return checked_args(parser, argv)


async def run_survey(args: argparse.Namespace, workdir: Path, concurrency: int) -> tuple[Result, Stored]:
    """One survey scenario on a fresh database: intros delivered first, then every member answers."""
    database = workdir / "sahakor.sqlite3"
    url, survey_id = await seed(database, args.members)
    chats = [COORDINATOR_ID, *range(FIRST_USER_ID, FIRST_USER_ID + args.members)]
    result = await run_scenario(
        workdir.name, APP_COMMAND, respondents(args.members, survey_id), workdir=workdir,
        concurrency=concurrency, timeout=args.timeout, before_start=know_chats(chats),
        warm_up=intros_delivered(args.members, survey_id, timeout=60 + args.members / 20),
        # Intros go out unpaced so that the warm-up is short; the outbox is idle while measuring.
        settings={"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "SEND_RATE_PER_SECOND": "0"})
    return result, stored_responses(database, survey_id, args.members)


async def run(args: argparse.Namespace) -> int:
    """Echo then the survey, each on a fresh server, `rounds` times; returns the exit code."""
    cancel_on_sigterm()
    concurrency = args.concurrency or args.members
    machine = machine_note()
    per_member = 1 + len(QUESTIONS)
    # The load first, so that a long run says at once what else the machine is doing.
    print(f"{args.members} members, Start then {len(QUESTIONS)} answers each ({per_member} updates),"
          f" concurrency {concurrency}" + (f"; before the run: {machine}" if machine else ""), flush=True)
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
                    echoes = echo_conversations(FIRST_USER_ID, args.members, per_member)
                    results.append(await run_scenario(
                        "echo" + suffix, ECHO_COMMAND, echoes, workdir=workdir / "echo", settings={},
                        concurrency=concurrency, timeout=args.timeout))
                if not args.echo_only:
                    result, responses = await run_survey(args, workdir / ("survey" + suffix), concurrency)
                    results.append(result)
                    stored.append(responses)
        except BotDied as exc:
            died = exc  # still report what was measured before

    if client:
        print(f"note: {client}")
    print_table(results)
    answers_per_second = [r.rate * len(QUESTIONS) / per_member for r in results
                          if r.scenario.startswith("survey") and r.rate]
    if answers_per_second:
        print(f"survey answers per second: {max(answers_per_second):.1f}"
              + (" (best round)" if len(answers_per_second) > 1 else "")
              + " (updates/s above also counts the Start press)")
    print_ratio(results, "survey", TARGET_RATIO, args.rounds)

    for responses in stored:
        print(f"responses in the SQLite file: {responses.complete} complete of {args.members}"
              f" ({responses.responses} started), {responses.full} with all {len(QUESTIONS)} answers,"
              f" {responses.wrong} with answers other than those given")
    return exit_code(results, died, [problem for responses in stored
                                     for problem in responses.problems(args.members)])


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return run_main(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
