"""The delivery worker: sends outbox rows to Telegram at Telegram's pace, with retries, and survives restarts.

It runs beside the handlers in the same event loop but with its own HTTP connection pool, so
replies to members never wait behind a broadcast.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import timedelta
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.clock import Clock
from bot.db import Database, is_sqlite
from bot.http import AiohttpRequest
from bot.models import Delivery
from bot.services import outbox, polls
from bot.services.outbox import BLOCKED, FAILED, PENDING, SENT, Claimed, Outcome

log = logging.getLogger("sahakor.delivery")

ProgressHook = Callable[[int, bool], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    """How fast to send. None means no limit (for a local Bot API server or paid broadcasts)."""

    per_second: float | None = 30.0
    per_chat_interval: float = 1.0
    per_group_interval: float = 3.0  # 20 messages a minute to one group
    window: int = 50  # rows in flight at once, at most
    max_attempts: int = 5


class Pacer:
    """Spaces sends evenly at `per_second`: sustained, never in bursts.

    After a short stall (the database round trip between windows) it may catch up by at most
    `catch_up` seconds' worth of sends, so the average rate holds without a burst.
    """

    def __init__(self, per_second: float | None, catch_up: float = 0.1) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.catch_up = catch_up
        self._next = 0.0
        self._paused_until = 0.0

    def make_room(self, most: float = 5.0) -> None:
        """Another send went out on the same budget (a reply to a member): the next mass send waits one
        interval longer, so replies and mass sends together stay within the limit. Never more than `most`
        seconds of delay build up."""
        if not self.interval:
            return
        now = time.monotonic()
        self._next = min(max(self._next, now - self.catch_up) + self.interval, now + most)

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def wait(self) -> None:
        now = time.monotonic()
        start = max(self._next, now - self.catch_up, self._paused_until)
        self._next = start + self.interval
        start = max(start, now)
        if start > now:
            await asyncio.sleep(start - now)


def render_markup(buttons: list | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in buttons])


class DeliveryWorker:
    """Claims due outbox rows in windows, sends them, and records each outcome."""

    def __init__(self, db: Database, bot: Bot, clock: Clock, limits: Limits = Limits(), *,
                 on_progress: ProgressHook | None = None, progress_interval: float = 3.0,
                 idle_poll: float = 1.0) -> None:
        self.db = db
        self.bot = bot
        self.clock = clock
        self.limits = limits
        self.pacer = Pacer(limits.per_second)
        # A quarter second's worth of sends in flight: enough to keep the pace, few to resend after a crash.
        self.window = limits.window if not limits.per_second else max(
            1, min(limits.window, math.ceil(limits.per_second / 4)))
        self.on_progress = on_progress
        self.progress_interval = progress_interval
        self.idle_poll = idle_poll
        self._skip_locked = not is_sqlite(db.url)
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._content: dict[int, dict] = {}
        self._last_chat_send: dict[int, float] = {}
        self._last_progress: dict[int, float] = {}
        self.recovered = 0
        # Notified after every window, for whoever waits on a delivery's end (reports, tests).
        self.window_done = asyncio.Condition()

    @staticmethod
    def make_bot(token: str, base_url: str, base_file_url: str, pool: int = 64) -> Bot:
        """A Bot with its own connection pool, so mass sends don't compete with replies for connections."""
        request = AiohttpRequest(connection_pool_size=pool, read_timeout=20, write_timeout=20, connect_timeout=10)
        return Bot(token, base_url=base_url, base_file_url=base_file_url, request=request)

    async def start(self) -> None:
        """Puts rows a crash left in flight back in the queue, then starts sending."""
        async with self.db.session() as session:
            self.recovered = await outbox.recover(session, self.clock.now())
        if self.recovered:
            log.warning("%d messages were in flight when the bot stopped; they will be sent again", self.recovered)
        await self.bot.initialize()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="delivery-worker")

    async def stop(self) -> None:
        """Finishes the window in flight and records it (nothing is sent twice after a clean stop)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
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

    async def run_once(self) -> int:
        """Claims one window of due rows, sends them, records the outcomes; returns how many were claimed."""
        async with self.db.session() as session:
            claimed = await outbox.claim(session, now=self.clock.now(), limit=self.window,
                                         skip_locked=self._skip_locked)
            await self._load_content(session, {c.delivery_id for c in claimed})
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._send(row) for row in claimed))
        now = self.clock.now()
        async with self.db.session() as session:
            await outbox.record(session, list(outcomes), now)
            sent_polls = [polls.SentPoll(row.delivery_id, o.chat_id, o.telegram_message_id, o.poll_id)
                          for row, o in zip(claimed, outcomes, strict=True) if o.poll_id is not None]
            if sent_polls:
                await polls.record_sent(session, sent_polls, now)
            done = await outbox.finish_done(session, {c.delivery_id for c in claimed}, now)
        await self._report({c.delivery_id for c in claimed}, set(done))
        async with self.window_done:
            self.window_done.notify_all()
        return len(claimed)

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
        now = time.monotonic()
        ready = self._last_chat_send.get(chat_id, 0.0) + interval
        self._last_chat_send[chat_id] = max(now, ready)
        if ready > now:
            await asyncio.sleep(ready - now)
        if len(self._last_chat_send) > 10_000:
            cutoff = time.monotonic() - self.limits.per_group_interval
            self._last_chat_send = {c: t for c, t in self._last_chat_send.items() if t > cutoff}

    async def _send(self, row: Claimed) -> Outcome:
        content = self._content.get(row.delivery_id, {})
        piece = content.get(row.language) or next(iter(content.values()), None)
        if not piece:
            return Outcome(row.id, FAILED, row.chat_id, error="no content in any language")
        await self._chat_turn(row.chat_id)
        await self.pacer.wait()
        try:
            message = await self._deliver(row.chat_id, piece)
        except RetryAfter as exc:
            seconds = exc.retry_after if isinstance(exc.retry_after, int | float) else exc.retry_after.total_seconds()
            self.pacer.pause(seconds)
            log.warning("Telegram asked to slow down for %s s", seconds)
            return self._retry(row, f"retry after {seconds} s", delay=seconds)
        except Forbidden as exc:
            return Outcome(row.id, BLOCKED, row.chat_id, error=str(exc))
        except BadRequest as exc:
            return Outcome(row.id, FAILED, row.chat_id, error=str(exc))
        except (TimedOut, NetworkError) as exc:
            return self._retry(row, str(exc) or type(exc).__name__)
        except TelegramError as exc:
            return Outcome(row.id, FAILED, row.chat_id, error=str(exc))
        poll = getattr(message, "poll", None)
        return Outcome(row.id, SENT, row.chat_id, telegram_message_id=message.message_id,
                       poll_id=poll.id if poll is not None else None)

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

    async def _report(self, touched: set[int], done: set[int]) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        for delivery_id in sorted(touched):
            final = delivery_id in done
            if final or now - self._last_progress.get(delivery_id, 0.0) >= self.progress_interval:
                self._last_progress[delivery_id] = now
                try:
                    await self.on_progress(delivery_id, final)
                except Exception:
                    log.exception("progress report for delivery %s failed", delivery_id)
            if final:
                self._last_progress.pop(delivery_id, None)
