"""The delivery worker: sends outbox rows to Telegram at Telegram's pace, with retries, and survives restarts.

It runs beside the handlers in the same event loop but with its own HTTP connection pool, so
replies to members never wait behind a broadcast. Several bot processes may run one each on a PostgreSQL
database: they claim different rows under renewed leases and keep one pace between them (bot.pacing).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot import metrics
from bot.clock import Clock
from bot.db import Database, is_sqlite
from bot.http import AiohttpRequest
from bot.models import Delivery
from bot.pacing import Pacer, SharedPacer, Sleep
from bot.services import outbox, polls
from bot.services.outbox import BLOCKED, FAILED, PENDING, SENT, Claimed, Lease, Outcome

__all__ = ["DeliveryWorker", "Limits", "Pacer", "SharedPacer", "render_markup"]

log = logging.getLogger("sahakor.delivery")

T = TypeVar("T")
# Makes one Bot API request of the worker's own (a status edit, a delivery report) paced and retried.
Call = Callable[[Callable[[], Awaitable[T]]], Awaitable[T]]
# Tells the coordinator how a delivery is going: (delivery id, final, call).
ProgressHook = Callable[[int, bool, Call], Awaitable[None]]


def default_identity() -> str:
    """A name for this process in the outbox's leases: unique among the processes running at once."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Limits:
    """How fast to send. None means no limit (for a local Bot API server or paid broadcasts)."""

    per_second: float | None = 30.0
    per_chat_interval: float = 1.0
    per_group_interval: float = 3.0  # 20 messages a minute to one group
    window: int = 50  # rows in flight at once, at most
    max_attempts: int = 5


def render_markup(buttons: list | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in buttons])


class DeliveryWorker:
    """Claims due outbox rows in windows, sends them, and records each outcome.

    `identity` names this process in the rows it claims (unique among the processes running at once);
    its claims hold for `lease_seconds` and are renewed while a window is in flight. `sole_process` says no
    other process can use the database (SQLite), so at start every row left in flight is this process's.
    `wall`, `monotonic` and `sleep` are the time functions, injected by tests.
    """

    def __init__(self, db: Database, bot: Bot, clock: Clock, limits: Limits = Limits(), *,
                 on_progress: ProgressHook | None = None, progress_interval: float = 3.0,
                 idle_poll: float = 1.0, identity: str | None = None, lease_seconds: float = 30.0,
                 sole_process: bool = False, wall: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Sleep = asyncio.sleep,
                 report_retries: int = 5, report_retry_delay: float = 1.0) -> None:
        self.db = db
        self.bot = bot
        self.clock = clock
        self.limits = limits
        self.identity = (identity or default_identity())[:64]
        self.lease_seconds = lease_seconds
        self.sole_process = sole_process
        self.wall = wall
        self.monotonic = monotonic
        self.sleep = sleep
        self.window = self._window(limits)
        self.pacer = self._pacer()
        self.on_progress = on_progress
        self.progress_interval = progress_interval
        self.report_retries = report_retries
        self.report_retry_delay = report_retry_delay
        self.idle_poll = idle_poll
        self._skip_locked = not is_sqlite(db.url)
        self._init_state()

    @staticmethod
    def _window(limits: Limits) -> int:
        """A quarter second's worth of sends in flight: enough to keep the pace, few to resend after a crash."""
        if not limits.per_second:
            return limits.window
        return max(1, min(limits.window, math.ceil(limits.per_second / 4)))

    def _pacer(self) -> Pacer | SharedPacer:
        """One pace for every process on PostgreSQL; on SQLite (one process) a pace of its own."""
        per_second = self.limits.per_second
        if per_second and not is_sqlite(self.db.url):
            return SharedPacer(self.db, per_second, block=self.window, wall=self.wall, sleep=self.sleep)
        return Pacer(per_second, monotonic=self.monotonic, sleep=self.sleep)

    def _init_state(self) -> None:
        """What the worker keeps while it runs: its task, rows' contents, the last sends and reports."""
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._content: dict[int, dict] = {}
        self._last_chat_send: dict[int, float] = {}
        self._last_progress: dict[int, float] = {}
        # Reports on their way, by delivery, and whether another (final or not) is wanted after each.
        self._reporting: dict[int, asyncio.Task] = {}
        self._report_next: dict[int, bool] = {}
        self.recovered = 0
        # Notified after every window, for whoever waits on a delivery's end (reports, tests).
        self.window_done = asyncio.Condition()

    @staticmethod
    def make_bot(token: str, base_url: str, base_file_url: str, pool: int = 64) -> Bot:
        """A Bot with its own connection pool, so mass sends don't compete with replies for connections."""
        request = AiohttpRequest(connection_pool_size=pool, read_timeout=20, write_timeout=20, connect_timeout=10)
        return Bot(token, base_url=base_url, base_file_url=base_file_url, request=request)

    async def start(self) -> None:
        """Puts rows a crash left in flight back in the queue (only rows no live process holds), then starts sending."""
        async with self.db.session() as session:
            if self.sole_process:
                self.recovered = await outbox.recover(session, self.clock.now())
            else:
                self.recovered = await outbox.recover(session, self.clock.now(), wall=self.wall(),
                                                      holder=self.identity)
        if self.recovered:
            log.warning("%d messages were in flight when a bot process stopped; they will be sent again",
                        self.recovered)
        await self.bot.initialize()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="delivery-worker")

    async def stop(self) -> None:
        """Finishes the window in flight and records it (nothing is sent twice after a clean stop), then
        lets the reports on their way arrive."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        while self._reporting:
            await asyncio.wait(list(self._reporting.values()))
        await self.bot.shutdown()

    def wake(self) -> None:
        """Tells the worker new rows are waiting (it also looks by itself every `idle_poll` seconds)."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                sent = await self.run_once()
            except Exception:  # a database hiccup must not end deliveries for good
                log.exception("delivery window failed; retrying")
                sent = 0
                await asyncio.sleep(self.idle_poll)
            if sent == 0 and not self._stopping:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll)
                except TimeoutError:
                    pass

    def _lease(self) -> Lease:
        now = self.wall()
        return Lease(self.identity, now, now + self.lease_seconds)

    async def run_once(self) -> int:
        """Claims one window of due rows, sends them, records the outcomes; returns how many were claimed."""
        async with self.db.session() as session:
            claimed = await outbox.claim(session, now=self.clock.now(), limit=self.window,
                                         skip_locked=self._skip_locked, lease=self._lease())
            await self._load_content(session, {c.delivery_id for c in claimed})
        if not claimed:
            return 0
        heartbeat = asyncio.create_task(self._keep_leases([c.id for c in claimed]), name="delivery-leases")
        try:
            outcomes = await asyncio.gather(*(self._send(row) for row in claimed))
        finally:
            heartbeat.cancel()
        now = self.clock.now()
        async with self.db.session() as session:
            await outbox.record(session, list(outcomes), now, holder=self.identity)
            sent_polls = [polls.SentPoll(row.delivery_id, o.chat_id, o.telegram_message_id, o.poll_id)
                          for row, o in zip(claimed, outcomes, strict=True) if o.poll_id is not None]
            if sent_polls:
                await polls.record_sent(session, sent_polls, now)
            done = await outbox.finish_done(session, {c.delivery_id for c in claimed}, now)
        self._report({c.delivery_id for c in claimed}, set(done))
        async with self.window_done:
            self.window_done.notify_all()
        return len(claimed)

    async def _keep_leases(self, ids: list[int]) -> None:
        """Renews the window's leases every third of a lease while it is in flight, so no other process
        takes its rows (a window held up by Telegram's retry_after may outlast one lease)."""
        while True:
            await self.sleep(self.lease_seconds / 3)
            # Shielded: the window ending mid-renewal stops the heartbeat, not the transaction under way.
            await asyncio.shield(self._renew(ids))

    async def _renew(self, ids: list[int]) -> None:
        try:
            async with self.db.session() as session:
                await outbox.renew(session, ids, self._lease())
        except Exception:
            log.exception("could not renew the leases of the messages in flight")

    async def _load_content(self, session, delivery_ids: set[int]) -> None:
        """Reads the content of the deliveries in this window afresh, so a change (an event edited while its
        invitations go out) reaches the rest of the audience."""
        if not delivery_ids:
            return
        rows = await session.execute(select(Delivery.id, Delivery.content).where(Delivery.id.in_(sorted(delivery_ids))))
        self._content = {delivery_id: content or {} for delivery_id, content in rows}

    async def _chat_turn(self, chat_id: int) -> None:
        """Keeps to Telegram's per-chat pace (about one message a second; 20 a minute in a group)."""
        interval = self.limits.per_group_interval if chat_id < 0 else self.limits.per_chat_interval
        now = self.monotonic()
        ready = self._last_chat_send.get(chat_id, -math.inf) + interval
        self._last_chat_send[chat_id] = max(now, ready)
        if ready > now:
            await self.sleep(ready - now)
        if len(self._last_chat_send) > 10_000:
            cutoff = self.monotonic() - self.limits.per_group_interval
            self._last_chat_send = {c: t for c, t in self._last_chat_send.items() if t > cutoff}

    async def _send(self, row: Claimed) -> Outcome:
        content = self._content.get(row.delivery_id, {})
        piece = content.get(row.language) or next(iter(content.values()), None)
        if not piece:
            return Outcome(row.id, FAILED, row.chat_id, error="no content in any language")
        await self._chat_turn(row.chat_id)
        try:
            await self.pacer.wait()
        except Exception as exc:  # the shared budget is out of reach: try again later rather than lose the window
            log.exception("could not take a send slot")
            return self._retry(row, f"send budget unavailable: {type(exc).__name__}")
        try:
            message = await self._deliver(row.chat_id, piece)
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            await self._slow_down(seconds)
            return self._retry(row, f"retry after {seconds} s", delay=seconds)
        except Forbidden as exc:
            return Outcome(row.id, BLOCKED, row.chat_id, error=str(exc))
        except BadRequest as exc:
            return Outcome(row.id, FAILED, row.chat_id, error=str(exc))
        except (TimedOut, NetworkError) as exc:
            return self._retry(row, str(exc) or type(exc).__name__)
        except TelegramError as exc:
            return Outcome(row.id, FAILED, row.chat_id, error=str(exc))
        metrics.MESSAGES_SENT.inc()
        poll = getattr(message, "poll", None)
        return Outcome(row.id, SENT, row.chat_id, telegram_message_id=message.message_id,
                       poll_id=poll.id if poll is not None else None)

    async def _slow_down(self, seconds: float) -> None:
        """Telegram answered 429: every send (this process's, and on PostgreSQL every process's) waits."""
        metrics.TOO_MANY_REQUESTS.inc()
        log.warning("Telegram asked to slow down for %s s", seconds)
        try:
            await self.pacer.pause(seconds)
        except Exception:
            log.exception("could not push the send budget back")

    def _retry(self, row: Claimed, error: str, delay: float | None = None) -> Outcome:
        if row.attempts >= self.limits.max_attempts:
            return Outcome(row.id, FAILED, row.chat_id, error=error)
        backoff = outbox.RETRY_BACKOFF[min(row.attempts - 1, len(outbox.RETRY_BACKOFF) - 1)]
        wait = timedelta(seconds=delay) if delay is not None else backoff
        return Outcome(row.id, PENDING, row.chat_id, error=error, retry_at=self.clock.now() + wait)

    async def _deliver(self, chat_id: int, piece: dict):
        markup = render_markup(piece.get("buttons"))
        text = piece.get("text") or ""
        if piece.get("poll"):
            # A native poll: answers come back as poll_answer updates naming the poll's id.
            poll = piece["poll"]
            return await self.bot.send_poll(chat_id, poll["question"], poll["options"], is_anonymous=False,
                                            reply_markup=markup)
        if piece.get("document"):
            return await self.bot.send_document(chat_id, piece["document"], caption=text or None,
                                                parse_mode=ParseMode.HTML, reply_markup=markup)
        if piece.get("photo"):
            return await self.bot.send_photo(chat_id, piece["photo"], caption=text or None,
                                             parse_mode=ParseMode.HTML, reply_markup=markup)
        return await self.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup,
                                           link_preview_options=LinkPreviewOptions(is_disabled=True))

    async def call(self, request: Callable[[], Awaitable[T]]) -> T:
        """Makes one Bot API request of the worker's own: it takes a send slot like any message; a 429 waits
        retry_after and tries again (however often), network errors retry with backoff a few times."""
        failures = 0
        while True:
            await self.pacer.wait()
            try:
                return await request()
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                await self._slow_down(seconds)
                await self.sleep(seconds)
            except BadRequest:
                raise
            except (TimedOut, NetworkError) as exc:
                if failures >= self.report_retries:
                    raise
                delay = self.report_retry_delay * 2**failures
                failures += 1
                log.warning("a status message failed (%s); retry %d of %d in %.1f s", exc, failures,
                            self.report_retries, delay)
                await self.sleep(delay)

    def _report(self, touched: set[int], done: set[int]) -> None:
        """Starts the progress reports due after a window, in the background: the next window need not wait
        for a report Telegram holds back."""
        if self.on_progress is None:
            return
        now = self.monotonic()
        for delivery_id in sorted(touched):
            final = delivery_id in done
            if final or now - self._last_progress.get(delivery_id, -math.inf) >= self.progress_interval:
                self._last_progress[delivery_id] = now
                self._queue_report(delivery_id, final)
            if final:
                self._last_progress.pop(delivery_id, None)

    def _queue_report(self, delivery_id: int, final: bool) -> None:
        if delivery_id in self._reporting:
            # One report at a time per delivery, so a late progress edit never overwrites the final report.
            self._report_next[delivery_id] = final or self._report_next.get(delivery_id, False)
            return
        self._reporting[delivery_id] = asyncio.create_task(self._send_reports(delivery_id, final),
                                                           name=f"delivery-report-{delivery_id}")

    async def _send_reports(self, delivery_id: int, final: bool) -> None:
        try:
            while True:
                try:
                    await self.on_progress(delivery_id, final, self.call)
                except Exception:
                    log.exception("progress report for delivery %s failed", delivery_id)
                if delivery_id not in self._report_next:
                    return
                final = self._report_next.pop(delivery_id)
        finally:
            self._reporting.pop(delivery_id, None)


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked to wait, in seconds."""
    return exc.retry_after if isinstance(exc.retry_after, int | float) else exc.retry_after.total_seconds()
