"""Starts the bot's parts in order and stops them in reverse: the application, the inbox, the leadership,
and the way updates come in (long polling on the leader, or a webhook server on every process)."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram.ext import Application

from bot.cluster import Leadership
from bot.context import ALLOWED_UPDATES, Services
from bot.http import AiohttpRequest
from bot.intake import Poller
from handlers import system

log = logging.getLogger("sahakor")


class Runner:
    """One running bot process."""

    def __init__(self, application: Application, *, webhook: bool = False, poll_timeout: int | None = None,
                 poll_pause: float = 0.02) -> None:
        self.application = application
        self.webhook = webhook
        self.services: Services = application.bot_data["services"]
        settings = self.services.settings
        self.poll_timeout = settings.poll_timeout if poll_timeout is None else poll_timeout
        self.poll_pause = poll_pause
        self.poller: Poller | None = None
        self.server = None
        self.services.leadership = Leadership(self.services.db, on_elected=self.elected, on_deposed=self.deposed,
                                              check_interval=settings.leader_check_interval)

    async def start(self) -> None:
        """Connects to Telegram, handles what an earlier run left, then takes new updates."""
        app = self.application
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        if app.job_queue is not None:
            # Only the leader runs the scheduled jobs; it resumes them once elected.
            app.job_queue.scheduler.pause()
        await self.services.intake.start()
        if self.webhook:
            from bot.webhook import WebhookServer

            self.server = WebhookServer(app, self.services.settings)
            await self.server.start()
        await self.services.leadership.start()

    async def stop(self) -> None:
        """Stops taking updates, finishes those in hand, and records what the outbox sent."""
        app = self.application
        await self.services.leadership.stop()
        if self.server is not None:
            await self.server.stop()
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await self.services.intake.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)

    async def elected(self) -> None:
        """This process leads: the scheduled jobs run here, and in polling mode it polls."""
        app = self.application
        if app.job_queue is not None:
            app.job_queue.scheduler.resume()
        await system.run_leader_hooks(app)
        if not self.webhook:
            await self._start_polling()

    async def deposed(self) -> None:
        """Another process leads now: no more polling or scheduled jobs here."""
        if self.poller is not None:
            await self.poller.stop()
            self.poller = None
        app = self.application
        if app.job_queue is not None and app.running:
            app.job_queue.scheduler.pause()

    async def _start_polling(self) -> None:
        settings = self.services.settings
        await self.application.bot.delete_webhook()
        request = AiohttpRequest(connection_pool_size=2, read_timeout=self.poll_timeout + 10)
        self.poller = Poller(request, self.application.bot.base_url, self.services.intake,
                             timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES, pause=self.poll_pause,
                             retry_delay=settings.network_retry_base_delay)
        await self.poller.start()


async def serve(application: Application, *, webhook: bool) -> None:
    """Runs until SIGINT or SIGTERM, then stops cleanly."""
    runner = Runner(application, webhook=webhook)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await runner.start()
    try:
        await stopping.wait()
    finally:
        log.info("stopping")
        await runner.stop()

