"""The composition root: builds the python-telegram-bot Application with everything wired in."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    Defaults,
)

from bot import cluster, metrics
from bot.clock import Clock
from bot.config import Settings
from bot.context import AppContext, Services, describe
from bot.db import Database, is_sqlite
from bot.delivery import DeliveryWorker, Limits
from bot.http import AiohttpRequest
from bot.intake import Intake
from bot.logs import TRUSTED
from bot.ratelimit import PatientRateLimiter
from handlers.wiring import register_all
from handlers.outreach.delivery_status import make_progress_hook
from handlers.system import on_shutdown, on_startup, on_stop

log = logging.getLogger("sahakor")


def ordering_key(update: object) -> int | None:
    """Whose updates must keep their order: the sender's (or, without one, the chat's)."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


class TracingUpdateProcessor(BaseUpdateProcessor):
    """Handles several members' updates at once, each member's in the order they came, and logs each."""

    def __init__(self, services: Services, max_concurrent_updates: int = 1) -> None:
        super().__init__(max_concurrent_updates=max_concurrent_updates)
        self.services = services
        # One lock per sender with updates in hand; removed when their last update is done.
        self._queues: dict[int | None, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def _in_turn(self, key: int | None) -> AsyncIterator[None]:
        lock, waiting = self._queues.get(key) or (asyncio.Lock(), 0)
        self._queues[key] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._queues[key]
            if waiting == 1:
                del self._queues[key]
            else:
                self._queues[key] = (lock, waiting - 1)

    async def do_process_update(self, update: object, coroutine) -> None:
        async with self._in_turn(ordering_key(update)):
            started = time.perf_counter()
            try:
                await coroutine
            finally:
                elapsed = time.perf_counter() - started
                metrics.HANDLING_SECONDS.observe(elapsed)
                if isinstance(update, Update):
                    log.info("update %s handled in %.1f ms: %s", update.update_id, elapsed * 1000, describe(update),
                             extra=TRUSTED)
                    if self.services.intake is not None:
                        await self.services.intake.finished(update.update_id)
                for listener in self.services.update_listeners:
                    listener(update)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def build_application(settings: Settings, *, db: Database | None = None, clock: Clock | None = None) -> Application:
    """Builds the bot: handlers, rate limiting, retries, translations and the database."""
    services = Services(settings=settings, db=db or Database(settings.database_url), clock=clock or Clock())
    services.identity = cluster.identity()
    services.delivery = _delivery_worker(settings, services)
    application = _telegram_application(settings, services)
    application.bot_data["services"] = services
    services.intake = Intake(application, services.db, identity=services.identity, lease_seconds=settings.lease_seconds,
                             sweep_interval=settings.inbox_sweep_interval)
    register_all(application)
    return application


def _delivery_worker(settings: Settings, services: Services) -> DeliveryWorker:
    """The outbox worker, with a bot of its own and the coordinators' progress reports."""
    delivery_bot = DeliveryWorker.make_bot(settings.token, settings.api_base_url, settings.api_file_url)
    return DeliveryWorker(
        services.db, delivery_bot, services.clock,
        Limits(per_second=settings.rate_overall_per_second or None),
        on_progress=make_progress_hook(services.db, delivery_bot),
        progress_interval=settings.progress_interval,
        identity=services.identity, lease_seconds=settings.lease_seconds,
        # One process per SQLite file (bot.cluster.SqliteLock): whatever a crash left in flight is its own.
        sole_process=is_sqlite(settings.database_url),
    )


def _rate_limiter(settings: Settings) -> PatientRateLimiter:
    """Retries on network errors and honours Telegram's 429s; groups get their per-minute limit."""
    return PatientRateLimiter(
        retries=settings.network_retries,
        base_delay=settings.network_retry_base_delay,
        # Replies to members are not throttled to the broadcast rate (the outbox paces mass
        # sends itself); a 429 from Telegram is still honoured.
        overall_max_rate=0,
        group_max_rate=settings.rate_group_per_minute,
        group_time_period=60,
        max_retries=5,
    )


def _telegram_application(settings: Settings, services: Services) -> Application:
    """python-telegram-bot's Application: HTML by default, members' updates in parallel, one shared send budget."""
    return (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url)
        .context_types(ContextTypes(context=AppContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .concurrent_updates(TracingUpdateProcessor(services, settings.concurrent_updates))
        .rate_limiter(_rate_limiter(settings))
        # Replies to members and mass sends share Telegram's overall limit: each reply sent makes the outbox
        # wait one interval more, so replies never have to wait behind a broadcast.
        .request(AiohttpRequest(connection_pool_size=64, on_send=services.delivery.pacer.make_room))
        # Updates come through the inbox (bot.intake), not python-telegram-bot's updater.
        .updater(None)
        .post_init(on_startup)
        .post_stop(on_stop)
        .post_shutdown(on_shutdown)
        .build()
    )
