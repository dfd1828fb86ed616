"""What the fake server knows and shows: the bot's messages as they stand, the chats and users it has seen,
every call made to it, and the counters benchmarks read."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .msg import Msg

if TYPE_CHECKING:
    from .users import FakeUser

# Outcome buckets reported in `stats`.
OUTCOMES = ("ok", "4xx", "429", "5xx", "dropped")


class State:
    """The chats, users and messages the server has seen, the calls made to it, and waiting on changes."""

    def _init_state(self) -> None:
        # Telegram accepts bare '&' in HTML; refusing it (the default) surfaces missing escaping.
        self.strict_html = True
        # Set to False for long benchmarks: the request log grows with every call.
        self.record_requests = True
        # Keep at most this many messages per chat (None = all); bounds memory in benchmarks.
        self.history_limit: int | None = None
        self.requests: list[tuple[str, dict]] = []
        self.callback_answers: list[dict] = []
        self.sent_count = 0
        self.stats: dict[str, Any] = {}
        self.reset_stats()
        self._history: dict[int, dict[int, Msg]] = {}  # chat -> message_id -> Msg (bot's)
        self._user_message_ids: dict[int, set[int]] = {}  # chat -> ids of the user's messages
        self._message_seq: dict[int, int] = {}  # chat -> last message_id used
        self._chats: dict[int, dict] = {}  # chats that wrote to the bot -> Chat object
        self._users: dict[int, FakeUser] = {}
        self._waiters: set[asyncio.Event] = set()

    # ---- chats and users -------------------------------------------------------------------

    def add_chat(self, user_id: int) -> None:
        """Mark a private chat as existing, as if the user had written to the bot earlier."""
        fake = self._users.get(user_id)
        self._chats.setdefault(user_id, fake.chat if fake else {"id": user_id, "type": "private"})

    def next_message_id(self, chat_id: int) -> int:
        """Allocate the next message id in a chat (ids are per chat and increasing)."""
        seq = self._message_seq.get(chat_id, 0) + 1
        self._message_seq[chat_id] = seq
        return seq

    def _learn(self, update: dict) -> None:
        """Record what an incoming update tells about chats, message ids, blocks and group members."""
        message = update.get("message") or update.get("edited_message")
        if message:
            self._learn_message(message)
        query = update.get("callback_query")
        if query:
            self._learn_query(query)
        member = update.get("my_chat_member")
        if member:
            self._learn_bot_status(member)
        changed = update.get("chat_member")
        if changed:
            chat = changed.get("chat") or {}
            if chat.get("id") is not None:
                self._chats[chat["id"]] = chat
                self._remember_member(chat["id"], changed.get("new_chat_member"))

    def _learn_message(self, message: dict) -> None:
        """A user's message: their chat exists, and its id is taken."""
        chat = message.get("chat") or {}
        chat_id = chat.get("id")
        if chat_id is None:
            return
        self._chats[chat_id] = chat
        message_id = message.get("message_id")
        if isinstance(message_id, int):
            self._user_message_ids.setdefault(chat_id, set()).add(message_id)
            if message_id > self._message_seq.get(chat_id, 0):
                self._message_seq[chat_id] = message_id

    def _learn_query(self, query: dict) -> None:
        """A button press: its query may be answered once, and its chat exists."""
        if query.get("id"):
            self._open_queries.add(str(query["id"]))
        chat = (query.get("message") or {}).get("chat")
        if chat and chat.get("id") is not None:
            self._chats.setdefault(chat["id"], chat)

    def _learn_bot_status(self, member: dict) -> None:
        """The bot's own status changed: blocked or unblocked in a private chat, or in a group."""
        chat = member.get("chat") or {}
        if chat.get("id") is None:
            return
        self._chats[chat["id"]] = chat
        if chat.get("type") != "private":
            self._remember_member(chat["id"], member.get("new_chat_member"))
            return
        status = (member.get("new_chat_member") or {}).get("status")
        if status == "kicked":
            self._blocked.add(chat["id"])
        elif status == "member":
            self._blocked.discard(chat["id"])

    def _remember_member(self, chat_id: int, member: dict | None) -> None:
        """Keep someone's (or the bot's) status in a group chat, for getChatMember."""
        user_id = ((member or {}).get("user") or {}).get("id")
        if user_id is not None:
            self._chat_members.setdefault(chat_id, {})[user_id] = copy.deepcopy(member)

    # ---- observation -----------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[Msg]:
        """Messages the bot sent to a chat, edits applied, deleted ones removed, in order."""
        return list(self._history.get(chat_id, {}).values())

    def message(self, chat_id: int, message_id: int) -> Msg | None:
        """One message the bot sent, or None."""
        return self._history.get(chat_id, {}).get(message_id)

    def calls(self, method: str) -> list[dict]:
        """Parameters of every recorded call of one method."""
        return [params for name, params in self.requests if name == method]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until predicate() holds, re-checking whenever the server's state changes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [name for name, _ in self.requests[-10:]]
                raise AssertionError(
                    f"condition not met within {timeout}s; last requests: {recent}"
                )
            # Registered before awaiting, with no await since the check: no change is missed.
            event = asyncio.Event()
            self._waiters.add(event)
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(event)

    def _notify(self) -> None:
        """Let every wait_for re-check its predicate."""
        for event in self._waiters:
            event.set()

    def reset_stats(self) -> None:
        """Zero the per-method and per-outcome counters and sent_count."""
        self.sent_count = 0
        self.stats.clear()
        self.stats.update({"requests": 0, "outcomes": dict.fromkeys(OUTCOMES, 0), "methods": {},
                           "chaos": {"5xx": 0, "dropped_before": 0, "dropped_after": 0}})

    def _count(self, method: str, outcome: str) -> None:
        """Add one call with that outcome to the stats."""
        self.stats["requests"] += 1
        self.stats["outcomes"][outcome] += 1
        per_method = self.stats["methods"].get(method)
        if per_method is None:
            per_method = self.stats["methods"][method] = dict.fromkeys(OUTCOMES, 0)
        per_method[outcome] += 1
