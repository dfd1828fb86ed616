"""The queue of updates and getUpdates: offsets confirm, long polls wait, a newer poll ends an older one,
and allowed_updates filters what is delivered — as Telegram does it."""

from __future__ import annotations

import asyncio
from collections import deque

from .errors import CONFLICT, ApiError

# Telegram's default when a bot never passed allowed_updates: everything except these.
_NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def update_type(update: dict) -> str:
    """The kind of an Update (the one key besides update_id)."""
    for key in update:
        if key != "update_id":
            return key
    return ""


class Updates:
    """push_update and getUpdates."""

    def _init_updates(self) -> None:
        # Updates Telegram would not deliver because of the bot's allowed_updates.
        self.filtered_update_ids: list[int] = []
        self._updates: deque[dict] = deque()
        self._delivered: set[int] = set()
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] | None = None  # None = Telegram's default
        self._updates_event = asyncio.Event()
        self._poll_seq = 0
        self._waiting_polls = 0

    @property
    def pending_polls(self) -> int:
        """Number of getUpdates calls currently waiting for an update."""
        return self._waiting_polls

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot."""
        return len(self._updates)

    def push_update(self, update: dict) -> int:
        """Queue an update for getUpdates (assigning the next update_id unless it has one)."""
        if "update_id" in update:
            update_id = int(update["update_id"])
            update = dict(update)
        else:
            update_id = self._next_update_id
            update = {"update_id": update_id, **update}
        self._next_update_id = max(self._next_update_id, update_id + 1)
        self._learn(update)
        self._updates.append(update)
        self._wake_pollers()
        self._notify()
        return update_id

    def _wake_pollers(self) -> None:
        """Wake every waiting getUpdates (each waits on the event current when it started)."""
        self._updates_event.set()
        self._updates_event = asyncio.Event()

    def _set_allowed_updates(self, params: dict) -> None:
        """Keep the bot's allowed_updates when a call gives them ([] means Telegram's default)."""
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else None

    async def _get_updates(self, params: dict) -> list[dict]:
        """getUpdates with Telegram's offset confirmation and long polling."""
        offset = params.get("offset") or 0
        limit = params.get("limit") or 100
        limit = min(100, max(1, limit if isinstance(limit, int) else 100))
        timeout = params.get("timeout") or 0
        timeout = max(0, timeout if isinstance(timeout, int) else 0)
        self._set_allowed_updates(params)
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        self._confirm(offset)
        await self._long_poll(timeout)
        return self._take_updates(limit)

    async def _long_poll(self, timeout: int) -> None:
        """Wait up to `timeout` seconds for something to deliver; a newer getUpdates ends an older one that is
        still waiting, as on Telegram."""
        self._poll_seq += 1
        my_seq = self._poll_seq
        if self._waiting_polls:
            self._wake_pollers()
        if self._deliverable() or timeout <= 0 or self._closing:
            return
        event = self._updates_event
        self._waiting_polls += 1
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            self._waiting_polls -= 1
        if my_seq != self._poll_seq:
            raise ApiError(409, CONFLICT)

    def _confirm(self, offset: int) -> None:
        """Forget updates confirmed by offset (negative: keep only the last -offset)."""
        queue = self._updates
        if offset < 0:
            while len(queue) > -offset:
                self._delivered.discard(queue.popleft()["update_id"])
            return
        # Delivered updates form a prefix of the queue; a re-pushed old update_id (simulated
        # redelivery) is not confirmed before it has been delivered once.
        while queue and queue[0]["update_id"] < offset and queue[0]["update_id"] in self._delivered:
            self._delivered.discard(queue.popleft()["update_id"])

    def _allowed(self, update: dict) -> bool:
        """Whether the bot's allowed_updates lets this update through."""
        kind = update_type(update)
        if self._allowed_updates is None:
            return kind not in _NOT_DELIVERED_BY_DEFAULT
        return kind in self._allowed_updates

    def _deliverable(self) -> bool:
        """Whether a getUpdates would return something right now (dropping filtered ones)."""
        queue = self._updates
        while queue:
            head = queue[0]
            if head["update_id"] in self._delivered or self._allowed(head):
                return True
            self.filtered_update_ids.append(queue.popleft()["update_id"])
        return False

    def _take_updates(self, limit: int) -> list[dict]:
        """Up to `limit` updates from the front of the queue, in increasing update_id order."""
        batch: list[dict] = []
        queue = self._updates
        i = 0
        while i < len(queue) and len(batch) < limit:
            update = queue[i]
            update_id = update["update_id"]
            if update_id not in self._delivered and not self._allowed(update):
                del queue[i]
                self.filtered_update_ids.append(update_id)
                continue
            # Clients confirm with the last id + 1, so a batch must not go back in ids.
            if batch and update_id < batch[-1]["update_id"]:
                break
            batch.append(update)
            self._delivered.add(update_id)
            i += 1
        return batch
