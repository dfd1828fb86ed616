"""Webhooks: once the bot sets one, queued updates are posted to it — several at once, but each sender's one
at a time and in order — and retried until it answers 200, as Telegram does."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator

from .errors import bad


def _sender(update: dict) -> int | None:
    """Whose update it is (the user, else the chat): Telegram posts one chat's updates in order."""
    for key, body in update.items():
        if key != "update_id" and isinstance(body, dict):
            person = body.get("from") or body.get("user") or body.get("chat") or {}
            return person.get("id")
    return None


class Webhook:
    """setWebhook, deleteWebhook, getWebhookInfo, and posting the updates."""

    def _init_webhook(self) -> None:
        # A webhook set by the bot: pushed updates are posted to it, one at a time and in order, until it
        # answers 200 (as Telegram does); each attempt is logged as (update_id, HTTP status or error).
        self.webhook: dict | None = None
        self.webhook_attempts: list[tuple[int, int | str]] = []
        self.webhook_retry_delay = 0.05
        self._webhook_task: asyncio.Task | None = None

    def _delete_webhook(self, params: dict) -> bool:
        """deleteWebhook (drop_pending_updates honoured)."""
        self.webhook = None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
            self._delivered.clear()
        return True

    def _get_webhook_info(self, params: dict) -> dict:
        """getWebhookInfo."""
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    def _set_webhook(self, params: dict) -> bool:
        """setWebhook: from now on updates are posted to the URL, with the secret in a header."""
        url = params.get("url") or ""
        if not url:
            return self._delete_webhook(params)
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad("Bad Request: secret token contains unallowed characters")
        self._set_allowed_updates(params)
        self.webhook = {"url": url, "secret_token": secret, "max_connections": params.get("max_connections", 40)}
        self._wake_pollers()
        if self._webhook_task is None:
            self._webhook_task = asyncio.get_running_loop().create_task(self._post_updates())
        return True

    async def _post_updates(self) -> None:
        """Posts queued updates to the webhook, up to max_connections at once but one chat's at a time and in
        order (as Telegram does); an update leaves the queue when the webhook answers 200, else it is retried."""
        import aiohttp

        busy: set = set()  # senders with an update being posted
        tasks: set[asyncio.Task] = set()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            while self.webhook is not None and not self._closing:
                self._drop_filtered()
                if not self._start_posts(session, busy, tasks):
                    event = self._updates_event
                    waiters = [asyncio.ensure_future(event.wait()), *tasks]
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                    waiters[0].cancel()
            for task in tasks:
                task.cancel()

    def _drop_filtered(self) -> None:
        """Take out of the queue the updates the bot's allowed_updates leave out."""
        for update in [u for u in self._updates if not self._allowed(u)]:
            self._updates.remove(update)
            self.filtered_update_ids.append(update["update_id"])

    def _start_posts(self, session, busy: set, tasks: set[asyncio.Task]) -> bool:
        """Start posting every update whose sender has none in flight or waiting before it; whether any started."""
        limit = max(1, int(self.webhook.get("max_connections") or 40))
        ready = [u for u in self._updates if _sender(u) not in busy] if len(tasks) < limit else []
        started = False
        for update in ready:
            sender = _sender(update)
            if sender in busy or len(tasks) >= limit:
                continue
            # An earlier update of the same sender waits in the queue: keep the order.
            if any(u is not update and _sender(u) == sender for u in self._earlier(update)):
                continue
            busy.add(sender)
            task = asyncio.get_running_loop().create_task(self._post_and_settle(session, update, busy))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            started = True
        return started

    def _earlier(self, update: dict) -> Iterator[dict]:
        """The updates queued before this one."""
        for queued in self._updates:
            if queued is update:
                return
            yield queued

    async def _post_and_settle(self, session, update: dict, busy: set) -> None:
        """Post one update; on 200 it leaves the queue, otherwise it waits a little to be posted again."""
        status = await self._post_one(session, update)
        self.webhook_attempts.append((update["update_id"], status))
        if status == 200:
            try:
                self._updates.remove(update)
            except ValueError:
                pass
        else:
            await asyncio.sleep(self.webhook_retry_delay)
        busy.discard(_sender(update))
        self._wake_pollers()
        self._notify()

    async def _post_one(self, session, update: dict) -> int | str:
        """The webhook's HTTP status for one update, or the name of the error that stopped the post."""
        import aiohttp

        headers = {"Content-Type": "application/json"}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        try:
            async with session.post(self.webhook["url"], data=json.dumps(update), headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=10)) as response:
                return response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return type(exc).__name__

    async def _stop_webhook(self) -> None:
        """Stop posting (the server is shutting down)."""
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            try:
                await self._webhook_task
            except (asyncio.CancelledError, Exception):
                pass
            self._webhook_task = None
