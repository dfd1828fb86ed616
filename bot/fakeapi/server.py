"""The fake Telegram: one object answering the Bot API over real HTTP, each concern in a module of its own."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from .chats import Chats
from .checks import Checks
from .faults import Faults
from .files import Files
from .messages import Messages
from .profile import DESCRIPTIONS, Profile
from .queries import Queries
from .state import State
from .transport import Entry, Transport
from .updates import Updates
from .users import FakeUser
from .webhook import Webhook

# The Bot API methods the server answers, as Telegram spells them; `sendMessage` is answered by `_send_message`.
METHODS = """
    getMe getUpdates close logOut setWebhook deleteWebhook getWebhookInfo
    sendMessage editMessageText editMessageCaption editMessageReplyMarkup deleteMessage sendChatAction
    answerCallbackQuery sendPoll stopPoll
    getFile sendDocument sendPhoto sendVoice
    getChat getChatMember getChatAdministrators createChatInviteLink revokeChatInviteLink
    setMyCommands getMyCommands deleteMyCommands setChatMenuButton getChatMenuButton
""".split()


def attribute_of(method: str) -> str:
    """The attribute that answers a Bot API method: `getChatMember` -> `_get_chat_member`."""
    return "_" + re.sub(r"(?<!^)([A-Z])", r"_\1", method).lower()


class FakeTelegram(Transport, Updates, Webhook, Messages, Files, Queries, Chats, Profile, Checks, Faults,
                   State):
    """An aiohttp server that answers Bot API calls the way Telegram does, with observable state."""

    def __init__(self, token: str = "123456:TEST-TOKEN", *, bot_username: str = "sahakor_test_bot",
                 global_rate: float | None = None, per_chat_rate: float | None = None) -> None:
        self._init_profile(token, bot_username)
        self._init_faults(global_rate, per_chat_rate)
        # Set by tests: awaited after each update a FakeUser sends, until the bot has handled it.
        self.settle: Callable[[int], Awaitable[None]] | None = None
        self._init_state()
        self._init_updates()
        self._init_webhook()
        self._init_files()
        self._init_queries()
        self._init_chats()
        self._init_transport()
        self._methods = self._method_table()

    def user(self, user_id: int, first_name: str = "Dara", *, last_name: str | None = None,
             username: str | None = None, language_code: str | None = None,
             phone: str | None = None) -> FakeUser:
        """A simulated Telegram user talking to the bot in a private chat."""
        fake = FakeUser(self, user_id, first_name, last_name=last_name, username=username,
                        language_code=language_code, phone=phone)
        self._users[user_id] = fake
        return fake

    def _method_table(self) -> dict[str, Entry]:
        """Every method by its lower-case name (Telegram's are case-insensitive)."""
        table: list[Entry] = [(name, getattr(self, attribute_of(name))) for name in METHODS]
        for suffix, kind in DESCRIPTIONS:
            table.append((f"set{suffix}", self._set_description(kind)))
            table.append((f"get{suffix}", self._get_description(kind)))
        return {name.lower(): (name, handler) for name, handler in table}
