"""Webhook mode: Telegram posts each update to WEBHOOK_URL; the bot answers 200 only once it is stored.

The same small server answers `GET /healthz` (is the database reachable, how far behind is the inbox)
and `GET /metrics` (Prometheus text format) for the load balancer and the monitoring.
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import urlsplit

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from telegram.ext import Application

from bot import metrics
from bot.config import Settings
from bot.context import ALLOWED_UPDATES, Services
from bot.services import inbox, outbox

log = logging.getLogger("sahakor.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# An update is a few kilobytes at most; anything much larger is not from Telegram.
MAX_BODY = 1024 * 1024
# How many updates Telegram may post at once (its own limit is 100).
MAX_CONNECTIONS = 40


class WebhookServer:
    """Receives updates from Telegram over HTTP and stores them in the inbox."""

    def __init__(self, application: Application, settings: Settings) -> None:
        self.application = application
        self.settings = settings
        self.services: Services = application.bot_data["services"]
        self.path = urlsplit(settings.webhook_url).path or "/"
        self._secret = settings.webhook_secret.encode()
        self._runner: web.AppRunner | None = None

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.path, self.receive)
        app.router.add_get("/healthz", self.health)
        app.router.add_get("/metrics", self.metrics)
        return app

    async def start(self) -> None:
        """Listens on WEBHOOK_LISTEN:WEBHOOK_PORT, then tells Telegram where to post."""
        self._runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.webhook_listen, self.settings.webhook_port)
        await site.start()
        await self.application.bot.set_webhook(self.settings.webhook_url, secret_token=self.settings.webhook_secret,
                                               allowed_updates=ALLOWED_UPDATES, max_connections=MAX_CONNECTIONS)
        log.info("webhook set; listening on %s:%s%s", self.settings.webhook_listen, self.settings.webhook_port,
                 self.path)

    async def stop(self) -> None:
        """Stops taking updates (Telegram keeps them and posts them again to another replica or later)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _authentic(self, request: web.Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "").encode()
        return hmac.compare_digest(given, self._secret)

    async def receive(self, request: web.Request) -> web.Response:
        """Stores one update; 200 only after the commit, so Telegram never drops an update we did not keep."""
        if not self._authentic(request):
            return web.Response(status=403, text="forbidden")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=400, text="body too large")
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return web.Response(status=400, text="body too large")
        try:
            raw = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return web.Response(status=400, text="not JSON")
        if not isinstance(raw, dict) or type(raw.get("update_id")) is not int or len(raw) < 2:
            return web.Response(status=400, text="not an update")
        try:
            await self.services.intake.receive([raw])
        except Exception:
            log.exception("storing update %s failed; Telegram will post it again", raw["update_id"])
            return web.Response(status=500, text="not stored")
        return web.Response(status=200, text="ok")

    async def _depths(self) -> tuple[inbox.Depth, int]:
        async with self.services.db.session() as session:
            waiting = await inbox.depth(session)
            unsent = await outbox.unsent_count(session)
        return waiting, unsent

    async def health(self, request: web.Request) -> web.Response:
        """200 with the inbox's depth and lag while the database answers; 503 when it does not."""
        try:
            waiting, unsent = await self._depths()
        except Exception as exc:
            return web.json_response({"status": "unavailable", "database": str(exc)[:200]}, status=503)
        lag = self._lag(waiting)
        leader = self.services.leadership.is_leader if self.services.leadership is not None else False
        return web.json_response({"status": "ok", "database": "ok", "inbox_waiting": waiting.waiting,
                                  "inbox_lag_seconds": round(lag, 3), "outbox_unsent": unsent, "leader": leader})

    def _lag(self, waiting: inbox.Depth) -> float:
        if waiting.oldest is None:
            return 0.0
        return max(0.0, (self.services.clock.now() - waiting.oldest).total_seconds())

    async def metrics(self, request: web.Request) -> web.Response:
        """The process's counters, with the inbox's and outbox's depth read from the database."""
        try:
            waiting, unsent = await self._depths()
            metrics.INBOX_DEPTH.set(waiting.waiting)
            metrics.INBOX_LAG.set(self._lag(waiting))
            metrics.OUTBOX_DEPTH.set(unsent)
        except Exception:
            log.warning("metrics: the database did not answer")
        body = generate_latest(metrics.REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

