"""Shared benchmark machinery: the fake Bot API with per-chat wake-ups, bot subprocesses, the
simulated-user driver and the printed report.

A benchmark runs in three processes so that no two parties share one Python thread: this one (the
fake Telegram server and the simulated users), and each bot under test as a child process that
long-polls the server over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.fakeapi import FakeTelegram, FakeUser, Msg

REPO_ROOT = Path(__file__).resolve().parent.parent

# The application under test and the reference bot, as child processes.
APP_COMMAND = [sys.executable, "-m", "bot.cli", "run"]
ECHO_COMMAND = [sys.executable, "-c", "from bench._common import run_echo_bot; run_echo_bot()"]
# The reference at its best: the same echo on the app's own HTTP transport, several updates at once.
BEST_ECHO_COMMAND = [sys.executable, "-c", "from bench._common import run_best_echo_bot; run_best_echo_bot()"]
# Scenario names of the two references (a round's number may follow, after a space), as tables print them.
ECHO, BEST_ECHO = "echo", "best echo"

# Settings the app reads from the environment: a child gets only the ones the benchmark sets.
APP_SETTINGS = frozenset({
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "TELEGRAM_API_FILE_URL", "DATABASE_URL",
    "COORDINATOR_IDS", "TIMEZONE", "LOG_LEVEL", "SEND_RATE_PER_SECOND", "CONCURRENT_UPDATES",
})

# Messages kept per chat on the fake server: the driver only ever looks at the latest one.
HISTORY_PER_CHAT = 20


# --------------------------------------------------------------------------------------------
# The Telegram side
# --------------------------------------------------------------------------------------------


class BenchTelegram(FakeTelegram):
    """The fake Bot API server, telling each waiting user only about requests to their own chat.

    FakeTelegram.wait_for wakes every waiter on every request, which with hundreds of users
    waiting costs the server more than the bot; here a request wakes at most one user.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.record_requests = False
        self.history_limit = HISTORY_PER_CHAT
        self.polling = asyncio.Event()  # set on the bot's first getUpdates
        self._answers: Counter[int] = Counter()  # chat -> successful bot requests for that chat
        self._chat_waiters: dict[int, asyncio.Future] = {}
        self._query_chat: dict[str, int] = {}
        self._last_query: dict[int, str] = {}
        self._answered_queries: set[str] = set()

    def push_update(self, update: dict) -> int:
        """Queue an update, remembering which chat a callback query belongs to."""
        update_id = super().push_update(update)
        query = update.get("callback_query")
        if query:
            chat_id = query["from"]["id"]  # private chats: the chat id is the user id
            self._query_chat[query["id"]] = chat_id
            self._last_query[chat_id] = query["id"]
        return update_id

    async def _dispatch(self, request, name, entry, params):
        """Serve a Bot API call, then wake the user whose chat it concerned.

        FakeTelegram has no public per-request hook; _dispatch sees every call's name, parameters
        and outcome.
        """
        if name == "getUpdates":
            # Set before serving: a long poll only returns once there is something to deliver.
            self.polling.set()
            return await super()._dispatch(request, name, entry, params)
        response = None
        try:
            response = await super()._dispatch(request, name, entry, params)
            return response
        finally:
            query_id = str(params.get("callback_query_id") or "")
            chat_id = params.get("chat_id")
            if not isinstance(chat_id, int):
                chat_id = self._query_chat.get(query_id)
            if chat_id is not None:
                if response is not None and response.status == 200:
                    self._answers[chat_id] += 1
                    if name == "answerCallbackQuery":
                        self._answered_queries.add(query_id)
                waiter = self._chat_waiters.pop(chat_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)

    def answers_to(self, chat_id: int) -> int:
        """How many bot requests for this chat have succeeded so far."""
        return self._answers[chat_id]

    def callback_answered(self, chat_id: int) -> bool:
        """Whether the latest button press in this chat got its answerCallbackQuery."""
        return self._last_query.get(chat_id) in self._answered_queries

    def latest(self, chat_id: int) -> Msg | None:
        """The bot's latest message in a chat, as it is now."""
        messages = self.messages(chat_id)
        return messages[-1] if messages else None

    async def until(self, chat_id: int, predicate: Callable[[], bool], timeout: float) -> None:
        """Wait until predicate() holds, re-checking after each bot request for this chat."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            while not predicate():
                waiter = loop.create_future()
                self._chat_waiters[chat_id] = waiter  # users are sequential: one per chat
                try:
                    await waiter
                finally:
                    if self._chat_waiters.get(chat_id) is waiter:
                        del self._chat_waiters[chat_id]


# --------------------------------------------------------------------------------------------
# What a simulated user does, and how they know the bot has answered
# --------------------------------------------------------------------------------------------

# Whether the bot has answered, given the user and the chat's answer count when the update left.
Answered = Callable[[FakeUser, int], bool]


@dataclass(frozen=True)
class Exchange:
    """One update a user sends, and the sign that the bot has finished answering it."""

    label: str
    send: Callable[[FakeUser], Awaitable[int]]
    answered: Answered


Conversation = tuple[FakeUser, Sequence[Exchange]]


def _buttons(msg: Msg | None) -> list[dict]:
    """All buttons of a message, inline or reply keyboard."""
    return [b for row in msg.buttons() for b in row] if msg is not None else []


def shows_button(prefix: str) -> Answered:
    """The bot's latest message offers an inline button whose callback_data starts with prefix."""
    def check(user: FakeUser, before: int) -> bool:
        msg = user.server.latest(user.id)
        return (msg is not None and msg.has_inline_keyboard
                and any(b.get("callback_data", "").startswith(prefix) for b in _buttons(msg)))
    return check


def lacks_button(data: str) -> Answered:
    """The bot answered and its latest message no longer offers that button."""
    has = shows_button(data)
    return lambda user, before: user.server.answers_to(user.id) > before and not has(user, before)


def shows_reply_button(text: str) -> Answered:
    """The bot's latest message comes with a reply keyboard that has a button with that text."""
    def check(user: FakeUser, before: int) -> bool:
        msg = user.server.latest(user.id)
        return (msg is not None and "keyboard" in (msg.reply_markup or {})
                and any(b.get("text") == text for b in _buttons(msg)))
    return check


def replied_with(text: str) -> Answered:
    """The bot sent something since, and its latest message reads exactly `text`."""
    def check(user: FakeUser, before: int) -> bool:
        msg = user.server.latest(user.id)
        return user.server.answers_to(user.id) > before and msg is not None and msg.text == text
    return check


def command(name: str, answered: Answered) -> Exchange:
    """The user sends /name."""
    return Exchange(f"/{name}", lambda user: user.command(name), answered)


def type_text(text: str, answered: Answered) -> Exchange:
    """The user types a message."""
    return Exchange(f"type {text!r}", lambda user: user.send(text), answered)


def press(data: str, answered: Answered) -> Exchange:
    """The user presses the button with that callback_data on the bot's latest message."""
    async def send(user: FakeUser) -> int:
        msg = user.server.latest(user.id)
        if not any(b.get("callback_data") == data for b in _buttons(msg)):
            offered = [b.get("callback_data") or b.get("text") for b in _buttons(msg)]
            raise AssertionError(f"no button {data!r} on the latest message; it offers {offered}")
        return await user.press_data(data, message=msg)

    def done(user: FakeUser, before: int) -> bool:
        # The answerCallbackQuery is part of the answer even when the screen changed first.
        return user.server.callback_answered(user.id) and answered(user, before)

    return Exchange(f"press {data}", send, done)


def press_matching(pattern: str, answered: Answered) -> Exchange:
    """The user presses the first button of the bot's latest message whose callback_data matches
    the regular expression (for data that carries ids only the bot knows, such as a response id)."""
    wanted = re.compile(pattern)

    async def send(user: FakeUser) -> int:
        msg = user.server.latest(user.id)
        for b in _buttons(msg):
            if wanted.fullmatch(b.get("callback_data", "")):
                return await user.press_data(b["callback_data"], message=msg)
        offered = [b.get("callback_data") or b.get("text") for b in _buttons(msg)]
        raise AssertionError(f"no button matching {pattern!r} on the latest message; it offers {offered}")

    def done(user: FakeUser, before: int) -> bool:
        return user.server.callback_answered(user.id) and answered(user, before)

    return Exchange(f"press {pattern}", send, done)


def echo_conversations(first_id: int, members: int,
                       per_member: int) -> Callable[[BenchTelegram], list[Conversation]]:
    """The reference scenario: `per_member` plain text messages from each of `members` users."""
    def build(server: BenchTelegram) -> list[Conversation]:
        plays = []
        for number in range(members):
            user = server.user(first_id + number, f"Member{number}")
            texts = [f"hello {step} from {number}" for step in range(per_member)]
            plays.append((user, [type_text(text, replied_with(text)) for text in texts]))
        return plays
    return build


async def until_all(server: BenchTelegram, chat_ids: Sequence[int], predicate: Callable[[Msg], bool],
                    timeout: float) -> None:
    """Wait until the bot's latest message in every chat satisfies predicate (TimeoutError if not)."""
    def holds(chat_id: int) -> bool:
        msg = server.latest(chat_id)
        return msg is not None and predicate(msg)

    await asyncio.gather(*(server.until(chat_id, lambda c=chat_id: holds(c), timeout)
                           for chat_id in chat_ids))


def button_delivered(chat_ids: Sequence[int], data: str,
                     timeout: float) -> Callable[[BenchTelegram], Awaitable[None]]:
    """A warm-up: the bot's latest message in every chat carries a button with this callback data
    (an invitation or a survey's intro, sent by the app's outbox)."""
    def has_button(msg: Msg) -> bool:
        return any(b.get("callback_data") == data for row in msg.buttons() for b in row)

    def wait(server: BenchTelegram) -> Awaitable[None]:
        return until_all(server, chat_ids, has_button, timeout)
    return wait


class ConversationFailed(Exception):
    """A simulated user could not go on: a button was missing or the bot did not answer in time."""


def played(conversations: Callable[[BenchTelegram], Sequence[Conversation]], *, concurrency: int,
           timeout: float) -> Callable[[BenchTelegram], Awaitable[None]]:
    """A warm-up: these conversations, played as the measured ones are (members getting to the screen the
    measurement starts from, say); ConversationFailed if one does not complete."""
    async def play(server: BenchTelegram) -> None:
        driver = Driver(server, timeout)
        await driver.run(conversations(server), concurrency)
        if driver.failures:
            raise ConversationFailed(f"{len(driver.failures)} conversations did not complete, the first:"
                                     f" {driver.failures[0]}")
    return play


def one_after_another(*warm_ups: Callable[[BenchTelegram], Awaitable[None]]
                      ) -> Callable[[BenchTelegram], Awaitable[None]]:
    """A warm-up made of several, each started once the one before has finished."""
    async def run(server: BenchTelegram) -> None:
        for warm_up in warm_ups:
            await warm_up(server)
    return run


class Driver:
    """Plays conversations concurrently and times them, from the first update to the last answer."""

    def __init__(self, server: BenchTelegram, timeout: float) -> None:
        self.server = server
        self.timeout = timeout
        self.first_push: float | None = None
        self.last_answer: float | None = None
        self.latencies: list[float] = []
        self.completed = 0
        self.failures: list[str] = []

    async def play(self, user: FakeUser, exchanges: Sequence[Exchange]) -> None:
        """One user's conversation, each update sent only once the previous one was answered."""
        for number, exchange in enumerate(exchanges, 1):
            before = self.server.answers_to(user.id)
            started = time.perf_counter()
            if self.first_push is None:
                self.first_push = started
            try:
                await exchange.send(user)
                await self.server.until(user.id, lambda: exchange.answered(user, before),
                                        self.timeout)
            except (AssertionError, TimeoutError) as exc:
                reason = str(exc) or f"no answer within {self.timeout:g} s"
                latest = self.server.latest(user.id)
                seen = repr((latest.text or "")[:80]) if latest else "nothing"
                raise ConversationFailed(f"user {user.id}, step {number} ({exchange.label}):"
                                         f" {reason}; latest bot message: {seen}") from None
            finished = time.perf_counter()
            self.latencies.append(finished - started)
            self.last_answer = finished if self.last_answer is None else max(self.last_answer,
                                                                             finished)

    async def run(self, conversations: Sequence[Conversation], concurrency: int) -> None:
        """All conversations, at most `concurrency` at a time; failures are collected."""
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(user: FakeUser, exchanges: Sequence[Exchange]) -> None:
            async with gate:
                try:
                    await self.play(user, exchanges)
                except ConversationFailed as exc:
                    self.failures.append(str(exc))
                else:
                    self.completed += 1

        await asyncio.gather(*(one(user, exchanges) for user, exchanges in conversations))

    @property
    def seconds(self) -> float:
        """Wall time from the first pushed update to the last answered one."""
        if self.first_push is None or self.last_answer is None:
            return 0.0
        return self.last_answer - self.first_push


# --------------------------------------------------------------------------------------------
# Bots under test
# --------------------------------------------------------------------------------------------


def echo_callback():
    """The echo bots' handler: the text back. BENCH_ECHO_REPLIES=k sends k messages for each one (the last one
    the echo): as many Bot API calls per update as a flow of the app that makes k, the framework's own cost
    of those calls."""
    replies = int(os.environ.get("BENCH_ECHO_REPLIES", "1"))

    async def echo(update, context) -> None:
        for number in range(1, replies):
            await update.message.reply_text(f"{number}/{replies} {update.message.text}")
        await update.message.reply_text(update.message.text)

    return echo


def run_echo_bot() -> None:
    """The reference: a bare python-telegram-bot echo bot, default settings, configured by env."""
    from telegram.ext import Application, MessageHandler, filters

    echo = echo_callback()

    application = (Application.builder().token(os.environ["TELEGRAM_BOT_TOKEN"])
                   .base_url(os.environ["TELEGRAM_API_BASE_URL"]).build())
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling()


def run_best_echo_bot() -> None:
    """The reference at its best: the echo bot with what the app itself uses around python-telegram-bot:
    its aiohttp transport (JSON bodies) for replies and for getUpdates, the app's number of updates at
    once, and its long-polling settings (timeout, pause between polls, allowed updates)."""
    import gc
    import inspect

    from telegram.ext import Application, MessageHandler, filters

    from bot.config import Settings
    from bot.context import ALLOWED_UPDATES
    from bot.http import AiohttpRequest
    from bot.runner import Runner

    echo = echo_callback()

    app_defaults = Settings(token=os.environ["TELEGRAM_BOT_TOKEN"])
    poll_pause = inspect.signature(Runner).parameters["poll_pause"].default
    application = (
        Application.builder().token(app_defaults.token).base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .request(AiohttpRequest(connection_pool_size=64))
        # python-telegram-bot adds the long poll's timeout to this read timeout, as the app's poller does.
        .get_updates_request(AiohttpRequest(connection_pool_size=2, read_timeout=10))
        .concurrent_updates(app_defaults.concurrent_updates)
        .build())
    application.add_handler(MessageHandler(filters.TEXT, echo))
    gc.freeze()  # as `sahakor run` does once everything is built
    application.run_polling(poll_interval=poll_pause, timeout=app_defaults.poll_timeout,
                            allowed_updates=ALLOWED_UPDATES)


class BotDied(Exception):
    """The bot under test exited while it should have been running."""


# Pids of children not yet stopped; killed at interpreter exit should a run be torn down abruptly.
_running: set[int] = set()


@atexit.register
def _kill_leftovers() -> None:
    """Last resort: a child whose orderly stop never ran must not outlive the benchmark."""
    for pid in list(_running):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the benchmark dies without stopping it (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def cancel_on_sigterm() -> None:
    """Make SIGTERM cancel the running benchmark like Ctrl-C, so its children are stopped first."""
    task = asyncio.current_task()
    with contextlib.suppress(NotImplementedError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


def run_main(run: Callable[[argparse.Namespace], Awaitable[int]], args: argparse.Namespace) -> int:
    """Runs a benchmark to its exit code; Ctrl-C (or SIGTERM, see cancel_on_sigterm) ends it with 130."""
    try:
        return asyncio.run(run(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted", file=sys.stderr)
        return 130


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time a process has used so far, all threads (Linux only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_env(settings: dict[str, str]) -> dict[str, str]:
    """This environment without any app setting of the user's, plus the given settings."""
    env = {k: v for k, v in os.environ.items() if k not in APP_SETTINGS}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH"))
                                        if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


class BotProcess:
    """A bot under test as a child process, its output in a log file."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.name = name
        self.process = process
        self.log_path = log_path

    @classmethod
    async def start(cls, name: str, command: Sequence[str], *, settings: dict[str, str],
                    workdir: Path) -> BotProcess:
        """Start the bot in workdir (so no stray .env or database file is picked up)."""
        log_path = workdir / f"{name}.log"
        with open(log_path, "wb") as log:
            process = await asyncio.create_subprocess_exec(
                *command, cwd=workdir, env=child_env(settings), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        _running.add(process.pid)
        return cls(name, process, log_path)

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.process.pid

    def log_tail(self, lines: int = 25) -> str:
        """The end of the bot's output, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def guard(self, awaitable: Awaitable, timeout: float | None = None):
        """Await `awaitable`, failing at once with BotDied if the process exits meanwhile."""
        work = asyncio.ensure_future(awaitable)
        exited = asyncio.ensure_future(self.process.wait())
        try:
            done, _ = await asyncio.wait({work, exited}, timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            exited.cancel()
            if not work.done():
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
        if work in done:
            return work.result()
        if exited in done:
            raise BotDied(f"{self.name} bot exited with code {self.process.returncode};"
                          f" its last output:\n{self.log_tail()}")
        raise TimeoutError

    async def stop(self, grace: float = 10.0) -> None:
        """SIGTERM (the bots stop cleanly on it), then SIGKILL if it has not exited in time."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        _running.discard(self.process.pid)


# --------------------------------------------------------------------------------------------
# The database the app starts from
# --------------------------------------------------------------------------------------------


async def fresh_database(path: Path) -> str:
    """A new SQLite file at the latest schema; returns its URL."""
    from bot.db import migrate

    path.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{path}"
    # Alembic's environment runs its own event loop, so not in this thread.
    await asyncio.to_thread(migrate, url)
    return url


@contextlib.asynccontextmanager
async def app_database(workdir: Path, server: str | None = None) -> AsyncIterator[str]:
    """A fresh database at the latest schema for one run of the app; yields its URL. Without `server`, a
    SQLite file in workdir; with a PostgreSQL server's URL, a database of its own there, dropped after."""
    if server is None:
        yield await fresh_database(workdir / "sahakor.sqlite3")
        return
    from sqlalchemy.engine import make_url

    from bot.db import migrate

    name = f"sahakor_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    await _postgres_admin(server, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        await asyncio.to_thread(migrate, url)
        yield url
    finally:
        # FORCE: a bot killed rather than stopped may have left connections open.
        await _postgres_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _postgres_admin(server: str, statement: str) -> None:
    """Runs CREATE or DROP DATABASE on the server, connected to the database its URL names."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(server)
    connection = await asyncpg.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
                                       user=parsed.username or "postgres", password=parsed.password,
                                       database=parsed.database or "postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def is_postgres(url: str) -> bool:
    """Whether a database URL names PostgreSQL (checked before a run, so a typo fails at once)."""
    from sqlalchemy.engine import make_url

    return make_url(url).get_backend_name() == "postgresql"


def member_rows(first_id: int, count: int, now) -> list[dict]:
    """Registered members with Telegram ids from first_id: Khmer and English by turns, mixed
    genders and stakeholder types, as registration leaves them."""
    stakeholders = ("farmer", "ngo", "government", "farmer_org")
    rows = []
    for number in range(count):
        language = "km" if number % 2 == 0 else "en"
        rows.append(dict(
            telegram_id=first_id + number, language=language, step=None, editing=False,
            name=f"សុខា ចាន់ {number}" if language == "km" else f"Dara Sok {number}",
            gender="woman" if number % 4 < 2 else "man",
            stakeholder=stakeholders[number % len(stakeholders)], province="07",
            consented_at=now, registered_at=now, receives_announcements=True, reachable=True,
            created_at=now, updated_at=now))
    return rows


async def add_members(session, first_id: int, count: int, now) -> None:
    """Inserts registered members (see member_rows) in batches."""
    from sqlalchemy import insert

    from bot.models import Member

    for start in range(0, count, 5_000):
        batch = member_rows(first_id + start, min(5_000, count - start), now)
        await session.execute(insert(Member), batch)


def workshop_draft(now, capacity: int | None = None) -> dict:
    """A coordinator's finished /newevent answers: a workshop a month ahead, open to every member."""
    from datetime import timedelta

    from bot.services import events

    starts = (now + timedelta(days=30)).replace(hour=1, minute=30, second=0, microsecond=0)
    return events.new_draft_data("en", "Asia/Phnom_Penh") | {
        "title_en": "3rd ALiSEA Policy Dialogue Workshop",
        "title_km": "សិក្ខាសាលាសន្ទនាគោលនយោបាយ ALiSEA លើកទី៣",
        "description_en": "Policy dialogue on agroecology & safe food.",
        "description_km": "ការសន្ទនាគោលនយោបាយស្តីពីកសិអេកូឡូស៊ី និងអាហារសុវត្ថិភាព។",
        "venue": "Cambodiana Hotel, Phnom Penh", "starts_at": events.to_json("starts_at", starts),
        "ends_at": events.to_json("ends_at", starts + timedelta(hours=8)), "capacity": capacity,
    }


def know_chats(chat_ids: Sequence[int]) -> Callable[[BenchTelegram], None]:
    """A before_start hook: these private chats exist, as if each member had written to the bot."""
    def prepare(server: BenchTelegram) -> None:
        for chat_id in chat_ids:
            server.add_chat(chat_id)
    return prepare


# --------------------------------------------------------------------------------------------
# Running a scenario
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    """What one scenario measured."""

    scenario: str
    conversations: int
    completed: int = 0
    updates: int = 0
    seconds: float = 0.0
    methods: Counter[str] = field(default_factory=Counter)  # successful bot requests by method
    errors: int = 0  # bot requests the server refused
    latencies: list[float] = field(default_factory=list)
    bot_cpu: float | None = None
    telegram_cpu: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Updates answered per second of wall time."""
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_update(self) -> float | None:
        """Bot CPU seconds per update: what the bot's code costs, whatever else the machine runs."""
        return self.bot_cpu / self.updates if self.bot_cpu is not None and self.updates else None

    @property
    def requests(self) -> int:
        """Every Bot API request the bot made during the measurement, getUpdates included."""
        return sum(self.methods.values()) + self.errors


async def run_scenario(name: str, command: Sequence[str], conversations: Callable[
        [BenchTelegram], Sequence[Conversation]], *, workdir: Path, settings: dict[str, str],
        concurrency: int, timeout: float, ready_timeout: float = 120.0,
        before_start: Callable[[BenchTelegram], None] | None = None,
        warm_up: Callable[[BenchTelegram], Awaitable[None]] | None = None,
        measuring: Callable[[int], contextlib.AbstractAsyncContextManager] | None = None) -> Result:
    """Fresh server, bot started and polling, all conversations timed, then everything stopped.

    before_start prepares the server before the bot starts (chats the bot will write to first);
    warm_up waits, once the bot polls, for what must happen before the measurement (invitations
    the bot sends on start, say). Neither is measured. measuring, given the bot's process id, makes
    a context the measurement runs in (a profiler attached to the bot for that time only, say).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    server = BenchTelegram()
    await server.start()
    bot = None
    try:
        if before_start is not None:
            before_start(server)
        bot = await BotProcess.start(name, command, workdir=workdir, settings={
            "TELEGRAM_BOT_TOKEN": server.token, "TELEGRAM_API_BASE_URL": server.base_url,
            **settings})
        try:
            await bot.guard(server.polling.wait(), ready_timeout)
        except TimeoutError:
            raise BotDied(f"{name} bot did not poll within {ready_timeout:g} s; its last"
                          f" output:\n{bot.log_tail()}") from None
        if warm_up is not None:
            try:
                await bot.guard(warm_up(server))
            except (TimeoutError, ConversationFailed) as exc:
                reason = f" ({exc})" if str(exc) else ""
                raise BotDied(f"{name} bot did not finish warming up{reason}; its last output:\n"
                              f"{bot.log_tail()}") from None
        plays = conversations(server)
        driver = Driver(server, timeout)
        # Start-up calls (getMe, setMyCommands, ...) are not part of the measurement.
        server.reset_stats()
        async with measuring(bot.pid) if measuring is not None else contextlib.nullcontext():
            bot_cpu, telegram_cpu = cpu_seconds(bot.pid), time.process_time()
            await bot.guard(driver.run(plays, concurrency))
            bot_cpu_after, telegram_cpu_after = cpu_seconds(bot.pid), time.process_time()
        stats = server.stats
        result = Result(name, len(plays), completed=driver.completed,
                        updates=len(driver.latencies), seconds=driver.seconds,
                        latencies=driver.latencies, failures=driver.failures,
                        telegram_cpu=telegram_cpu_after - telegram_cpu)
        result.methods.update({method: counts["ok"] for method, counts in stats["methods"].items()
                               if counts["ok"]})
        result.errors = stats["requests"] - stats["outcomes"]["ok"]
        if bot_cpu is not None and bot_cpu_after is not None:
            result.bot_cpu = bot_cpu_after - bot_cpu
        return result
    finally:
        if bot is not None:
            await bot.stop()
        await server.stop()


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of values, 0 when there are none."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of values, for a benchmark's own table."""
    return _percentile(values, q)


def print_table(results: Sequence[Result]) -> None:
    """One line per scenario: `bot cpu` and `tg cpu` are CPU seconds per second of wall time."""
    header = (f"{'scenario':<14}{'updates':>9}{'seconds':>9}{'updates/s':>11}{'req/update':>12}"
              f"{'p50 ms':>9}{'p95 ms':>9}{'bot cpu':>9}{'cpu ms/upd':>12}{'tg cpu':>8}")
    print(header)
    print("-" * len(header))
    for r in results:
        per_update = r.requests / r.updates if r.updates else 0.0
        bot_cpu = f"{r.bot_cpu / r.seconds:.2f}" if r.bot_cpu is not None and r.seconds else "-"
        cost = f"{r.cpu_per_update * 1000:.2f}" if r.cpu_per_update is not None else "-"
        tg_cpu = f"{r.telegram_cpu / r.seconds:.2f}" if r.seconds else "-"
        p50, p95 = (_percentile(r.latencies, q) * 1000 for q in (50, 95))
        print(f"{r.scenario:<14}{r.updates:>9}{r.seconds:>9.2f}{r.rate:>11.1f}{per_update:>12.2f}"
              f"{p50:>9.1f}{p95:>9.1f}{bot_cpu:>9}{cost:>12}{tg_cpu:>8}")
    for r in results:
        if r.updates:
            calls = ", ".join(f"{m} {n / r.updates:.2f}" for m, n in sorted(r.methods.items()))
            refused = f"; refused {r.errors / r.updates:.2f}" if r.errors else ""
            print(f"  {r.scenario} requests per update: {calls}{refused}")


def machine_note() -> str:
    """The machine's load before a run: other work on a small machine skews every figure."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return ""
    note = f"1-minute load average {load:.2f} on {os.cpu_count()} cores"
    # The bot and the fake server each want a core; anything else running competes with them.
    if load > 0.5:
        note += " (other work is running: expect lower, noisier figures)"
    return note


def client_note() -> str:
    """A caveat about python-telegram-bot's default HTTP client (httpx) in this environment."""
    import importlib.util

    if importlib.util.find_spec("sniffio") is None:
        # httpcore imports sniffio inside every request; without it each request pays for a
        # failed import (a search of sys.path).
        return ("sniffio is not installed: every httpx request (the echo bot's) pays for a"
                " failed import")
    return ""


def named(results: Sequence[Result], name: str) -> list[Result]:
    """The rounds of one scenario that measured something: `name`, or `name` and a round's number."""
    return [r for r in results if r.rate and (r.scenario == name or r.scenario.startswith(name + " "))]


@dataclass(frozen=True)
class Ratio:
    """A scenario against one echo bot, best round of each (over several rounds the best is the one least
    disturbed by other work)."""

    echo: str
    rate: float  # the scenario's updates/s over the echo's
    cpu: float | None  # the echo's CPU per update over the scenario's: the rate ratio were both bots busy all the time


def ratios(results: Sequence[Result], app: str) -> list[Ratio]:
    """The scenario `app` against each echo bot measured in the run (the default one, then the best)."""
    measured = named(results, app)
    found = []
    for echo_name in (ECHO, BEST_ECHO):
        echo = named(results, echo_name)
        if not echo or not measured:
            continue
        costs = ([r.cpu_per_update for r in echo if r.cpu_per_update],
                 [r.cpu_per_update for r in measured if r.cpu_per_update])
        found.append(Ratio(echo_name, max(r.rate for r in measured) / max(r.rate for r in echo),
                           min(costs[0]) / min(costs[1]) if all(costs) else None))
    return found


def print_ratio(results: Sequence[Result], app: str, target: float, rounds: int) -> float | None:
    """The app's updates/s over each echo bot's (best of each over several rounds), and the same from CPU per
    update; returns the ratio to the default echo bot."""
    best = ", best of each" if rounds > 1 else ""
    for ratio in ratios(results, app):
        verdict = "met" if ratio.rate >= target else "NOT met"
        print(f"ratio {app} ÷ {ratio.echo}: {ratio.rate:.2f}{best} (target ≥ {target:.2f}: {verdict})")
        if ratio.cpu is not None:
            print(f"  the same from bot CPU per update: {ratio.cpu:.2f}")
    return next((ratio.rate for ratio in ratios(results, app) if ratio.echo == ECHO), None)


def exit_code(results: Sequence[Result], died: BaseException | None, problems: Sequence[str]) -> int:
    """Reports what went wrong after the figures (a bot that died, unanswered conversations, what the
    database holds wrongly) and returns the benchmark's exit code: 1 if anything did."""
    failed = died is not None or bool(problems)
    if died is not None:
        sys.stdout.flush()
        print(f"error: {died}", file=sys.stderr)
    for result in results:
        print_failures(result)
        failed |= result.completed != result.conversations
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if failed else 0


def print_failures(result: Result, limit: int = 5) -> None:
    """The first few conversations that did not complete."""
    if not result.failures:
        return
    sys.stdout.flush()  # keep the report and the errors in order when both go to one file
    print(f"{result.scenario}: {len(result.failures)} of {result.conversations} conversations"
          " did not complete:", file=sys.stderr)
    for failure in result.failures[:limit]:
        print(f"  {failure}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# Command-line options shared by the app-versus-echo benchmarks
# --------------------------------------------------------------------------------------------


def ratio_arguments(name: str, description: str, *, members: int, what: str, timeout: float,
                    app: str) -> argparse.ArgumentParser:
    """The options every app-versus-echo benchmark takes; a benchmark adds its own, then calls checked_args."""
    parser = argparse.ArgumentParser(prog=f"python bench/{name}.py", description=description)
    parser.add_argument("--members", type=int, default=members, help=f"{what} (default: {members})")
    parser.add_argument("--concurrency", type=int, default=None,
                        help=f"{what} at a time (default: all at once)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--echo-only", action="store_true", help="run only the echo bot")
    only.add_argument("--app-only", action="store_true", help=f"run only the {app}")
    parser.add_argument("--timeout", type=float, default=timeout,
                        help=f"seconds a member waits for one answer before giving up (default: {timeout:g})")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run both scenarios this many times, alternating (default: 1)")
    return parser


def checked_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if args.members < 1 or args.rounds < 1:
        parser.error("--members and --rounds must be at least 1")
    if args.concurrency is not None and args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    return args
