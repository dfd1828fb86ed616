"""Update intake: every update is in the database before Telegram is told it arrived, and is handled once.

Updates come in by long polling (`Poller`) or by webhook (bot.webhook); either way `Intake.receive`
stores the batch in one commit, claims what this process may handle, and puts it in the application's
update queue. A sender's updates are handled in order; rows left by a stopped or dead process are
handled again (first, at start). The handled mark is written in the transaction of the update's effects
(`AppContext.unit_of_work`); an update that wrote nothing is marked when its handler returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData
# RequestData is built from these; the updates are wanted as Telegram's JSON, to be stored as they are.
from telegram.request._requestparameter import RequestParameter

from bot import metrics
from bot.background import cancel
from bot.db import Database, is_sqlite
from bot.services import inbox

log = logging.getLogger("sahakor.intake")

# Shows a member where they are after a crash cut off the reply to their last update (see Intake.resume_hooks).
ResumeHook = Callable[[Update], Awaitable[bool]]


class Intake:
    """Stores updates before they are confirmed and hands each to the handlers once, each sender's in order."""

    def __init__(self, application: Application, db: Database, *, identity: str, lease_seconds: float = 30.0,
                 sole_process: bool | None = None, sweep_interval: float = 1.0, batch: int = 100,
                 wall: Callable[[], float] = time.time, finish_delay: float = 0.01) -> None:
        self.application = application
        self.db = db
        self.identity = identity
        self.lease = lease_seconds
        self.sole_process = is_sqlite(db.url) if sole_process is None else sole_process
        self.sweep_interval = sweep_interval
        self.batch = batch
        self.wall = wall
        self._skip_locked = not is_sqlite(db.url)
        # Updates this process took and has not finished: update id -> whether their handled mark is written.
        self._in_hand: dict[int, bool] = {}
        self._failed: set[int] = set()
        self._backlog = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._last_renewal = 0.0
        # Updates whose handlers are done, written as finished together a moment later (one statement).
        self._to_finish: list[int] = []
        self._finish_delay = finish_delay
        self._flusher: asyncio.Task | None = None
        # Who sent the updates in hand (several processes only: see _take_next_of).
        self._senders: dict[int, int | None] = {}
        # Features add these: each may show a member the screen they are on, returning whether it did.
        self.resume_hooks: list[ResumeHook] = []

    @property
    def clock(self):
        return self.application.bot_data["services"].clock

    async def start(self) -> None:
        """Handles what an earlier run left unhandled first, in order, then keeps looking for more."""
        if self.sole_process:
            async with self.db.session() as session:
                left = await inbox.reclaim_all(session)
            if left:
                log.warning("%d updates were in hand when the bot stopped; they are handled now", left)
        await self.sweep()
        self._task = asyncio.create_task(self._sweep_loop(), name="inbox-sweeper")

    async def stop(self) -> None:
        """Stops looking; claims on updates not yet handled end, so another process may take them at once."""
        await cancel(self._task)
        self._task = None
        if self._flusher is not None:
            await self._flusher
        await self._flush()
        if self._in_hand:
            async with self.db.session() as session:
                await inbox.release_mine(session, me=self.identity)

    async def receive(self, raws: list[dict]) -> int:
        """Stores a batch of updates (one commit) and starts handling those this process may take.
        Returns how many were new; raises if the database failed (then nothing was stored)."""
        if not raws:
            return 0
        wall = self.wall()
        async with self.db.session() as session:
            new = await inbox.store(session, raws, self.clock.now())
            rows = await inbox.claim(session, me=self.identity, wall=wall, lease=self.lease,
                                     limit=max(self.batch, len(raws)), skip_locked=self._skip_locked)
        metrics.UPDATES_RECEIVED.inc(new)
        if new < len(raws):
            metrics.UPDATES_REPEATED.inc(len(raws) - new)
            self._tell_listeners_of_repeats(raws, rows)
        if len(rows) < new:
            self._backlog = True
        await self._dispatch(rows, {raw["update_id"]: raw for raw in raws})
        return new

    def _tell_listeners_of_repeats(self, raws: list[dict], rows: list[inbox.Row]) -> None:
        """Whoever watches updates go by (tests, benchmarks) learns a repeat was dealt with."""
        taken = {row.update_id for row in rows}
        services = self.application.bot_data["services"]
        for raw in raws:
            if raw["update_id"] not in taken and raw["update_id"] not in self._in_hand:
                update = Update.de_json(raw, self.application.bot)
                for listener in services.update_listeners:
                    listener(update)

    async def _dispatch(self, rows: list[inbox.Row], received: dict[int, dict] | None = None) -> None:
        for row in rows:
            if row.update_id in self._in_hand:
                continue  # claimed again by a sweep while still in this process's hands
            try:
                raw = (received.get(row.update_id) if received else None) or row.raw()
                update = Update.de_json(raw, self.application.bot)
            except Exception:  # a body Telegram would never send: set aside rather than block its sender
                log.exception("update %s cannot be read; set aside", row.update_id)
                async with self.db.session() as session:
                    await inbox.mark_handled(session, row.update_id, self.clock.now())
                continue
            self._in_hand[row.update_id] = False
            if not self.sole_process:
                self._senders[row.update_id] = inbox.sender_of(raw)
            await self.application.update_queue.put(update)

    def marked(self, update_id: int) -> None:
        """The update's handled mark was committed with its effects."""
        if update_id in self._in_hand:
            self._in_hand[update_id] = True

    def failed(self, update_id: int) -> None:
        """Handling the update raised before its effects were committed."""
        self._failed.add(update_id)

    async def finished(self, update_id: int) -> None:
        """After the handlers: an update that failed before committing is tried again later (a few times at
        most); the others are written as finished (and, if they wrote nothing, handled) with the next batch."""
        marked = self._in_hand.get(update_id)
        failed = update_id in self._failed
        self._failed.discard(update_id)
        if marked is None:
            return
        try:
            if failed and not marked:
                self._senders.pop(update_id, None)
                async with self.db.session() as session:
                    set_aside = await inbox.release(session, update_id, wall=self.wall(),
                                                    retry_in=self.sweep_interval, now=self.clock.now())
                if set_aside:
                    log.error("update %s failed %d times; set aside", update_id, inbox.MAX_ATTEMPTS)
            else:
                self._finish_soon(update_id)
        finally:
            del self._in_hand[update_id]
        metrics.UPDATES_HANDLED.inc()
        if failed:
            metrics.UPDATES_FAILED.inc()
        if self._backlog or failed:
            self._wake.set()

    def _finish_soon(self, update_id: int) -> None:
        self._to_finish.append(update_id)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_later(), name="inbox-finish")

    async def _flush_later(self) -> None:
        try:
            # Marks that came in while a flush was being written go out in the next one.
            while self._to_finish:
                await asyncio.sleep(self._finish_delay)
                await self._flush()
        finally:
            self._flusher = None

    async def _flush(self) -> None:
        """Writes the finished marks gathered so far (a crash before this only means a member is shown the
        screen they are on once more)."""
        done, self._to_finish = self._to_finish, []
        if not done:
            return
        try:
            async with self.db.session() as session:
                await inbox.finish(session, done, self.clock.now())
        except Exception:
            log.exception("recording %d finished updates failed; trying again", len(done))
            self._to_finish.extend(done)
            return
        if not self.sole_process:
            await self._take_next_of(done)
        elif self._backlog:
            self._wake.set()  # a sender's next update may have waited for this one's mark

    async def _take_next_of(self, update_ids: list[int]) -> None:
        """With several processes, a member's next update may have reached another one while this one handled
        the previous: this process takes it at once rather than leaving it to the next sweep."""
        senders = sorted({s for s in (self._senders.pop(u, None) for u in update_ids) if s is not None})
        if not senders:
            return
        try:
            async with self.db.session() as session:
                rows = await inbox.claim(session, me=self.identity, wall=self.wall(), lease=self.lease,
                                         limit=self.batch, skip_locked=self._skip_locked, senders=senders)
        except Exception:
            log.exception("taking the next updates of %d members failed; the sweep will", len(senders))
            return
        await self._dispatch(rows)

    async def sweep(self) -> int:
        """Renews this process's claims and takes waiting updates no live process holds; returns how many."""
        wall = self.wall()
        async with self.db.session() as session:
            if self._in_hand and wall - self._last_renewal >= self.lease / 3:
                await inbox.renew(session, me=self.identity, lease_until=wall + self.lease)
                self._last_renewal = wall
            rows = await inbox.claim(session, me=self.identity, wall=wall, lease=self.lease, limit=self.batch,
                                     skip_locked=self._skip_locked)
            self._backlog = len(rows) == self.batch or await inbox.any_waiting(session, wall=wall)
            cut_off = await inbox.claim_cut_off(session, me=self.identity, wall=wall, lease=self.lease,
                                                limit=self.batch, skip_locked=self._skip_locked)
        if cut_off:
            await self._resume(cut_off)
        await self._dispatch(rows)
        return len(rows)

    async def _resume(self, rows: list[inbox.Row]) -> None:
        """Updates whose effects a dead process committed without finishing its handler: each member is shown
        the screen they are on, once, as their reply may never have gone out."""
        shown = set()
        for row in rows:
            try:
                update = Update.de_json(row.raw(), self.application.bot)
                sender = update.effective_user.id if update.effective_user else None
                if sender is not None and sender not in shown:
                    for hook in self.resume_hooks:
                        if await hook(update):
                            shown.add(sender)
                            break
            except Exception:
                log.exception("showing the member of update %s where they are failed", row.update_id)
        async with self.db.session() as session:
            await inbox.finish(session, [row.update_id for row in rows], self.clock.now())
        if shown:
            log.warning("%d members whose last reply a crash may have cut off were shown where they are", len(shown))

    async def _sweep_loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.sweep_interval)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away for a moment: look again later
                log.exception("looking for waiting updates failed; trying again")


class Poller:
    """Long polling that confirms a batch to Telegram (the next getUpdates offset) only once it is stored."""

    def __init__(self, request: BaseRequest, base_url: str, intake: Intake, *, timeout: int,
                 allowed_updates: list[str], pause: float = 0.02, retry_delay: float = 1.0) -> None:
        self.request = request
        self.url = f"{base_url}/getUpdates"
        self.intake = intake
        self.timeout = timeout
        self.allowed_updates = allowed_updates
        self.pause = pause
        self.retry_delay = retry_delay
        self.offset = 0
        self._confirmed = 0
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        await self.request.initialize()
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="poller")

    async def stop(self) -> None:
        """Ends the long poll in progress and tells Telegram the last stored batch arrived."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self.offset > self._confirmed:
            try:
                await self._get_updates(timeout=0, limit=1)
            except TelegramError as exc:
                log.info("could not confirm the last updates (%s); Telegram will send them again", exc)
        await self.request.shutdown()

    async def _get_updates(self, *, timeout: int, limit: int = 100) -> list[dict]:
        params = {"offset": self.offset, "timeout": timeout, "limit": limit, "allowed_updates": self.allowed_updates}
        data = RequestData([RequestParameter.from_input(key, value) for key, value in params.items()])
        result = await self.request.post(self.url, data, read_timeout=timeout + 10)
        self._confirmed = self.offset
        return result  # type: ignore[return-value]

    async def _poll_once(self) -> list[dict] | None:
        """One long poll, ended early when the poller stops; None when it was ended."""
        poll = asyncio.ensure_future(self._get_updates(timeout=self.timeout))
        stop = asyncio.ensure_future(self._stopping.wait())
        done, _ = await asyncio.wait({poll, stop}, return_when=asyncio.FIRST_COMPLETED)
        if poll not in done:
            poll.cancel()
            try:
                await poll
            except (asyncio.CancelledError, TelegramError):
                pass
            return None
        stop.cancel()
        return poll.result()

    async def _run(self) -> None:
        delay = self.retry_delay
        while not self._stopping.is_set():
            try:
                raws = await self._poll_once()
                if raws is None:
                    return
                if raws:
                    await self.intake.receive(raws)
                    self.offset = raws[-1]["update_id"] + 1
                delay = self.retry_delay
            except InvalidToken:
                log.error("Telegram rejected the bot's token; polling stopped")
                return
            except Conflict as exc:
                log.warning("another poller or a webhook is active for this bot (%s); waiting", exc)
                await self._rest(delay := min(delay * 2, 30.0))
                continue
            except (NetworkError, TimedOut) as exc:
                log.warning("getUpdates failed (%s); retrying in %.1f s", exc, delay)
                await self._rest(delay)
                delay = min(delay * 2, 30.0)
                continue
            except Exception:  # storing failed (the database is away): the batch is asked for again
                log.exception("storing updates failed; asking Telegram for them again")
                await self._rest(delay)
                delay = min(delay * 2, 30.0)
                continue
            if self.pause:
                await self._rest(self.pause)

    async def _rest(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            pass

