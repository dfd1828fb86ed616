"""A local fake of Telegram's Bot API, served over real HTTP, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import copy
import json
import math
import random
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .users import FakeUser

# Outcome buckets reported in `stats`.
OUTCOMES = ("ok", "4xx", "429", "5xx", "dropped")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
MAX_INLINE_BUTTONS = 100
MAX_UPLOAD = 50 * 1024 * 1024

# Telegram's default when a bot never passed allowed_updates: everything except these.
_NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# Form and multipart bodies carry every value as a string, so the server has to know which
# parameters are numbers, booleans or JSON-serialised objects (as the real Bot API does).
_INT_PARAMS = frozenset({
    "chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "message_thread_id",
    "user_id", "reply_to_message_id", "from_chat_id", "until_date",
    "member_limit", "expire_date", "duration",
})
_BOOL_PARAMS = frozenset({
    "show_alert", "disable_notification", "protect_content", "drop_pending_updates",
    "disable_web_page_preview", "allow_sending_without_reply", "has_spoiler",
    "disable_content_type_detection", "show_caption_above_media", "allow_paid_broadcast",
    "for_channels",
    "creates_join_request",
    "is_anonymous", "allows_multiple_answers", "is_closed",
})
_JSON_PARAMS = frozenset({
    "reply_markup", "entities", "caption_entities", "scope", "commands", "menu_button",
    "allowed_updates", "link_preview_options", "reply_parameters",
    "options",
})

_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
_SCOPE_TYPES = frozenset({
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
    "chat_administrators", "chat_member",
})
_INLINE_BUTTON_KINDS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message"
)
_BLOCKED = "Forbidden: bot was blocked by the user"
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance"
    " is running"
)


class ApiError(Exception):
    """An error answer of the Bot API (status code, description, optional retry_after)."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def _bad(description: str) -> ApiError:
    """A 400 Bad Request error with Telegram's description prefix."""
    return ApiError(400, f"Bad Request: {description}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for limits and entity offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------------------------
# HTML parse mode: a re-implementation of the rules Telegram applies, producing the plain text
# and the entities the real server would return.
# --------------------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_HTML_SPACES = frozenset(" \t\r\n\v\f\0")
_TEXT_RUN = re.compile(r"[^<&]+")
_CHAR_REF = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,10})|#[xX]([0-9a-fA-F]{1,8}));")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_UNQUOTED_VALUE = re.compile(r"[A-Za-z0-9.\-]*")


class HtmlParseError(Exception):
    """The text is not valid Telegram HTML; the message is Telegram's error detail."""


def _char_ref(text: str, i: int, *, strict: bool) -> tuple[str, int]:
    """Decode the character reference starting at text[i] == '&'; returns (char, next index)."""
    m = _CHAR_REF.match(text, i)
    if m is None:
        if strict:
            # Real Telegram leaves an unknown '&' as is; refusing it catches unescaped user input
            # (names, free text) that would otherwise break as soon as it contains '<'.
            raise HtmlParseError(
                f'Character entity expected at byte offset {_byte_offset(text, i)}:'
                ' a bare "&" must be written as "&amp;"'
            )
        return "&", i + 1
    if m.group(1):
        return _NAMED_REFS[m.group(1)], m.end()
    code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise HtmlParseError(
            "Text contains invalid Unicode characters after decoding HTML entities,"
            " check for unmatched surrogate code units"
        )
    return chr(code), m.end()


def _decode_attribute(value: str) -> str:
    """Decode character references inside an attribute value (leniently, as Telegram does)."""
    if "&" not in value:
        return value
    out, i = [], 0
    while i < len(value):
        if value[i] == "&":
            ch, i = _char_ref(value, i, strict=False)
            out.append(ch)
        else:
            j = value.find("&", i)
            j = len(value) if j < 0 else j
            out.append(value[i:j])
            i = j
    return "".join(out)


def _byte_offset(text: str, i: int) -> int:
    """UTF-8 byte offset of text[i]: Telegram reports parse errors in bytes."""
    return len(text[:i].encode("utf-8"))


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[dict]]:
    """Parse Telegram-flavoured HTML into (plain text, entities); raises HtmlParseError."""
    out: list[str] = []
    pos = 0  # UTF-16 length of the plain text so far
    stack: list[tuple[str, int, dict[str, str], int]] = []  # (tag, start, attributes, offset)
    entities: list[dict] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            ch, i = _char_ref(text, i, strict=strict)
            out.append(ch)
            pos += utf16_len(ch)
            continue
        if c != "<":
            run = _TEXT_RUN.match(text, i)
            assert run is not None
            chunk = run.group()
            out.append(chunk)
            pos += utf16_len(chunk)
            i = run.end()
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":
            if not stack:
                where = _byte_offset(text, begin)
                raise HtmlParseError(f"Unexpected end tag at byte offset {where}")
            i += 1
            name_start = i
            while i < n and text[i] not in _HTML_SPACES and text[i] != ">":
                i += 1
            end_name = text[name_start:i].lower()
            while i < n and text[i] in _HTML_SPACES:
                i += 1
            if i >= n or text[i] != ">":
                raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            i += 1
            tag, start, attrs, _ = stack.pop()
            # "</>" closes whatever is open, as in Telegram.
            if end_name and end_name != tag:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)},"
                    f' expected "</{tag}>", found "</{end_name}>"'
                )
            _close_entity(tag, start, pos - start, attrs, stack, entities)
            continue

        name_start = i
        while i < n and text[i] not in _HTML_SPACES and text[i] != ">":
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag = text[name_start:i].lower()
        if tag not in _HTML_TAGS:
            raise HtmlParseError(
                f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
            )
        attrs, i = _parse_attributes(text, i, tag, begin)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            where = _byte_offset(text, begin)
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {where}')
        if tag == "tg-emoji" and not attrs.get("emoji-id"):
            raise HtmlParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset'
                f" {_byte_offset(text, begin)}"
            )
        stack.append((tag, pos, attrs, begin))

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _parse_attributes(text: str, i: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    """Parse the attributes of a start tag from text[i]; returns them and the index after '>'."""
    n = len(text)
    attrs: dict[str, str] = {}
    where = _byte_offset(text, begin)
    while True:
        while i < n and text[i] in _HTML_SPACES:
            i += 1
        if i >= n:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {where}')
        if text[i] == ">":
            return attrs, i + 1
        name_start = i
        while i < n and text[i] not in _HTML_SPACES and text[i] not in "=>":
            i += 1
        name = text[name_start:i].lower()
        if not name:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {where}')
        while i < n and text[i] in _HTML_SPACES:
            i += 1
        if i >= n:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {where}')
        if text[i] != "=":
            if tag == "blockquote" and name == "expandable":  # the only value-less attribute
                attrs[name] = ""
                continue
            raise HtmlParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}"'
                f" at byte offset {where}"
            )
        i += 1
        while i < n and text[i] in _HTML_SPACES:
            i += 1
        if i >= n:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {where}')
        if text[i] in "'\"":
            close = text.find(text[i], i + 1)
            if close < 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {where}")
            value = _decode_attribute(text[i + 1:close])
            i = close + 1
        else:
            m = _UNQUOTED_VALUE.match(text, i)
            assert m is not None
            value, i = m.group(), m.end()
            if i >= n:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {where}')
            if text[i] not in _HTML_SPACES and text[i] != ">":
                raise HtmlParseError(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, i)}"
                )
        attrs[name] = value


def _close_entity(tag: str, start: int, length: int, attrs: dict[str, str],
                  stack: list[tuple[str, int, dict[str, str], int]], entities: list[dict]) -> None:
    """Turn a closed tag into a MessageEntity (Telegram drops empty ones)."""
    kind = _HTML_TAGS[tag]
    if kind == "code":
        language = attrs.get("class", "")
        if stack and stack[-1][0] == "pre" and language.startswith("language-") and language[9:]:
            # <pre><code class="language-x"> becomes one pre entity with a language.
            stack[-1][2]["language"] = language[9:]
            return
    if length <= 0:
        return
    entity: dict[str, Any] = {"type": kind, "offset": start, "length": length}
    if kind == "text_link":
        if not attrs.get("href"):
            return
        entity["url"] = attrs["href"]
    elif kind == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    elif kind == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = attrs["emoji-id"]
    entities.append(entity)


# --------------------------------------------------------------------------------------------
# Recorded state
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Msg:
    """A message the bot sent, kept current: edits update it in place, deletion removes it."""

    message_id: int
    chat_id: int
    text: str | None  # text or caption, exactly as sent (markup included when parse_mode is set)
    parse_mode: str | None
    reply_markup: dict | None  # as sent (inline_keyboard / keyboard / remove_keyboard ...)
    document: tuple[str, bytes] | None  # (filename, content) of a sendDocument
    method: str  # sendMessage / sendDocument / ...
    photo: tuple[str, bytes] | None = None  # (filename, content) of a sendPhoto
    voice: tuple[str, bytes] | None = None  # (filename, content) of a sendVoice
    plain_text: str | None = None  # what the user sees: tags removed, entities decoded
    entities: list[dict] = field(default_factory=list)
    date: int = 0
    edit_count: int = 0
    deleted: bool = False
    raw: dict = field(default_factory=dict, repr=False)  # the Message object Telegram would return

    def buttons(self) -> list[list[dict]]:
        """Inline keyboard rows, or reply keyboard rows (plain-string buttons become {"text"})."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[b if isinstance(b, dict) else {"text": b} for b in row] for row in rows]

    def button_texts(self) -> list[str]:
        """Flat list of the texts of all buttons."""
        return [b.get("text", "") for row in self.buttons() for b in row]

    @property
    def has_inline_keyboard(self) -> bool:
        """Whether an inline keyboard is attached to the message."""
        return bool(self.reply_markup and "inline_keyboard" in self.reply_markup)

    def to_json(self) -> dict:
        """JSON-friendly summary (file contents replaced by their size) for the control API."""
        data = {
            "message_id": self.message_id, "chat_id": self.chat_id, "method": self.method,
            "text": self.text, "plain_text": self.plain_text, "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup, "date": self.date, "edit_count": self.edit_count,
        }
        for key in ("document", "photo"):
            value = getattr(self, key)
            data[key] = None if value is None else {"file_name": value[0], "size": len(value[1])}
        return data


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str | None = None

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.content)} bytes)"


@dataclass
class _File:
    """A file the server knows (uploaded by the bot or registered by a test)."""

    file_id: str
    file_unique_id: str
    name: str
    content: bytes
    mime_type: str | None
    path: str


@dataclass
class _Fault:
    """An injected failure for the next call of a method."""

    status: int = 0
    description: str = ""
    retry_after: int | None = None
    drop: bool = False
    processed: bool = False  # drop only the answer, after the call took effect


@dataclass
class _Chaos:
    """Random failures for a share of all calls (see FakeTelegram.chaos)."""

    error_rate: float
    drop_rate: float
    rng: random.Random
    methods: frozenset[str] | None  # lower-case method names; None: all but getUpdates and getMe


class _Bucket:
    """Token bucket allowing `rate` events per second with a burst of one second's worth."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = now

    def wait(self, now: float) -> float:
        """Refill, then return how long until one token is available (0 if one is now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate


def _sender(update: dict) -> int | None:
    """Whose update it is (the user, else the chat): Telegram posts one chat's updates in order."""
    for key, body in update.items():
        if key != "update_id" and isinstance(body, dict):
            person = body.get("from") or body.get("user") or body.get("chat") or {}
            return person.get("id")
    return None


def _update_type(update: dict) -> str:
    """The kind of an Update (the one key besides update_id)."""
    for key in update:
        if key != "update_id":
            return key
    return ""


def _json_response(status: int, payload: Any) -> web.Response:
    """A JSON response without aiohttp's slower helper machinery."""
    return web.Response(status=status, body=json.dumps(payload, ensure_ascii=False).encode(),
                        content_type="application/json")


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """An aiohttp server that answers Bot API calls the way Telegram does, with observable state."""

    def __init__(self, token: str = "123456:TEST-TOKEN", *, bot_username: str = "sahakor_test_bot",
                 global_rate: float | None = None, per_chat_rate: float | None = None) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.settle: Callable[[int], Awaitable[None]] | None = None
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
        # Updates Telegram would not deliver because of the bot's allowed_updates.
        self.filtered_update_ids: list[int] = []

        self._history: dict[int, dict[int, Msg]] = {}  # chat -> message_id -> Msg (bot's)
        self._user_message_ids: dict[int, set[int]] = {}  # chat -> ids of the user's messages
        self._message_seq: dict[int, int] = {}  # chat -> last message_id used
        self._chats: dict[int, dict] = {}  # chats that wrote to the bot -> Chat object
        self._users: dict[int, FakeUser] = {}
        self._blocked: set[int] = set()
        self._commands: dict[tuple, list[dict]] = {}
        self._menu_buttons: dict[int | None, dict] = {}
        self._descriptions: dict[tuple[str, str], str] = {}
        self._files: dict[str, _File] = {}
        self._files_by_path: dict[str, _File] = {}
        self._open_queries: set[str] = set()
        self._callback_seq = 0
        self._faults: dict[str, deque[_Fault]] = {}
        self._chaos: _Chaos | None = None
        self._polls: dict[str, dict] = {}  # poll id -> the Poll object of a sent poll
        self._poll_votes: dict[str, dict[int, list[int]]] = {}  # poll id -> user -> chosen options
        # Group chats: chat -> user id -> ChatMember object (the bot's own status included).
        self._chat_members: dict[int, dict[int, dict]] = {}
        # Invite links the bot created: link -> ChatInviteLink object plus its chat and use count.
        self.invite_links: dict[str, dict] = {}

        self._updates: deque[dict] = deque()
        self._delivered: set[int] = set()
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] | None = None  # None = Telegram's default
        self._updates_event = asyncio.Event()
        # A webhook set by the bot: pushed updates are posted to it, one at a time and in order, until it
        # answers 200 (as Telegram does); each attempt is logged as (update_id, HTTP status or error).
        self.webhook: dict | None = None
        self.webhook_attempts: list[tuple[int, int | str]] = []
        self.webhook_retry_delay = 0.05
        self._webhook_task: asyncio.Task | None = None
        self._poll_seq = 0
        self._waiting_polls = 0

        self._global_bucket: _Bucket | None = None
        self._chat_buckets: dict[int, _Bucket] = {}
        self._waiters: set[asyncio.Event] = set()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port = 0

        self._methods: dict[str, tuple[str, Callable[[dict], Any]]] = {}
        for name, handler in (
            ("getMe", self._get_me), ("getUpdates", self._get_updates),
            ("deleteWebhook", self._delete_webhook), ("getWebhookInfo", self._get_webhook_info),
            ("setWebhook", self._set_webhook),
            ("setMyCommands", self._set_my_commands), ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands), ("sendMessage", self._send_message),
            ("editMessageText", self._edit_message_text),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("editMessageCaption", self._edit_message_caption),
            ("deleteMessage", self._delete_message),
            ("answerCallbackQuery", self._answer_callback_query),
            ("sendDocument", self._send_document), ("sendPhoto", self._send_photo),
            ("sendChatAction", self._send_chat_action), ("getFile", self._get_file),
            ("close", self._true), ("logOut", self._true),
            ("sendVoice", self._send_voice), ("getChat", self._get_chat),
            ("sendPoll", self._send_poll), ("stopPoll", self._stop_poll),
            ("getChatMember", self._get_chat_member),
            ("getChatAdministrators", self._get_chat_administrators),
            ("createChatInviteLink", self._create_chat_invite_link),
            ("revokeChatInviteLink", self._revoke_chat_invite_link),
            ("setChatMenuButton", self._set_chat_menu_button),
            ("getChatMenuButton", self._get_chat_menu_button),
            ("setMyDescription", self._set_description("description")),
            ("getMyDescription", self._get_description("description")),
            ("setMyShortDescription", self._set_description("short_description")),
            ("getMyShortDescription", self._get_description("short_description")),
            ("setMyName", self._set_description("name")),
            ("getMyName", self._get_description("name")),
        ):
            self._methods[name.lower()] = (name, handler)

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (port 0 picks a free one)."""
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post("/_control/push", self._control_push)
        app.router.add_get("/_control/stats", self._control_stats)
        app.router.add_post("/_control/reset_stats", self._control_reset_stats)
        app.router.add_get("/_control/messages", self._control_messages)
        # handler_cancellation: a long poll whose client went away must not linger until its
        # timeout; access_log=None: logging every request would dominate benchmark costs.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._closing = False
        self._host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Release pending long polls and shut the server down."""
        self._closing = True
        self._wake_pollers()
        await self._stop_webhook()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (after start)."""
        return self._port

    @property
    def base_url(self) -> str:
        """Bot API base URL for PTB (which appends the token)."""
        return f"http://{self._host}:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """File download base URL for PTB (which appends the token)."""
        return f"http://{self._host}:{self._port}/file/bot"

    @property
    def bot_user(self) -> dict:
        """The bot as a Telegram User object."""
        return {"id": self.bot_id, "is_bot": True, "first_name": "Sahakor",
                "username": self.bot_username}

    @property
    def pending_polls(self) -> int:
        """Number of getUpdates calls currently waiting for an update."""
        return self._waiting_polls

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot."""
        return len(self._updates)

    # ---- updates ---------------------------------------------------------------------------

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

    def user(self, user_id: int, first_name: str = "Dara", *, last_name: str | None = None,
             username: str | None = None, language_code: str | None = None,
             phone: str | None = None) -> FakeUser:
        """A simulated Telegram user talking to the bot in a private chat."""
        fake = FakeUser(self, user_id, first_name, last_name=last_name, username=username,
                        language_code=language_code, phone=phone)
        self._users[user_id] = fake
        return fake

    def add_chat(self, user_id: int) -> None:
        """Mark a private chat as existing, as if the user had written to the bot earlier."""
        fake = self._users.get(user_id)
        self._chats.setdefault(user_id, fake.chat if fake else {"id": user_id, "type": "private"})

    def next_message_id(self, chat_id: int) -> int:
        """Allocate the next message id in a chat (ids are per chat and increasing)."""
        seq = self._message_seq.get(chat_id, 0) + 1
        self._message_seq[chat_id] = seq
        return seq

    def next_callback_id(self) -> str:
        """A fresh callback query id, which answerCallbackQuery will accept once."""
        self._callback_seq += 1
        query_id = str(4_000_000_000_000 + self._callback_seq)
        self._open_queries.add(query_id)
        return query_id

    def _learn(self, update: dict) -> None:
        """Record what an incoming update tells about chats, message ids and blocks."""
        message = update.get("message") or update.get("edited_message")
        if message:
            chat = message.get("chat") or {}
            chat_id = chat.get("id")
            if chat_id is not None:
                self._chats[chat_id] = chat
                message_id = message.get("message_id")
                if isinstance(message_id, int):
                    self._user_message_ids.setdefault(chat_id, set()).add(message_id)
                    if message_id > self._message_seq.get(chat_id, 0):
                        self._message_seq[chat_id] = message_id
        query = update.get("callback_query")
        if query:
            if query.get("id"):
                self._open_queries.add(str(query["id"]))
            chat = (query.get("message") or {}).get("chat")
            if chat and chat.get("id") is not None:
                self._chats.setdefault(chat["id"], chat)
        member = update.get("my_chat_member")
        if member:
            chat = member.get("chat") or {}
            if chat.get("id") is not None:
                self._chats[chat["id"]] = chat
                if chat.get("type") == "private":
                    status = (member.get("new_chat_member") or {}).get("status")
                    if status == "kicked":
                        self._blocked.add(chat["id"])
                    elif status == "member":
                        self._blocked.discard(chat["id"])
                else:
                    self._remember_member(chat["id"], member.get("new_chat_member"))
        changed = update.get("chat_member")
        if changed:
            chat = changed.get("chat") or {}
            if chat.get("id") is not None:
                self._chats[chat["id"]] = chat
                self._remember_member(chat["id"], changed.get("new_chat_member"))

    def _remember_member(self, chat_id: int, member: dict | None) -> None:
        """Keep someone's (or the bot's) status in a group chat, for getChatMember."""
        user_id = ((member or {}).get("user") or {}).get("id")
        if user_id is not None:
            self._chat_members.setdefault(chat_id, {})[user_id] = copy.deepcopy(member)

    def _wake_pollers(self) -> None:
        """Wake every waiting getUpdates (each waits on the event current when it started)."""
        self._updates_event.set()
        self._updates_event = asyncio.Event()

    # ---- observation -----------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[Msg]:
        """Messages the bot sent to a chat, edits applied, deleted ones removed, in order."""
        return list(self._history.get(chat_id, {}).values())

    def message(self, chat_id: int, message_id: int) -> Msg | None:
        """One message the bot sent, or None."""
        return self._history.get(chat_id, {}).get(message_id)

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        """The command list set for that scope and language (empty if none)."""
        return copy.deepcopy(self._commands.get(self._scope_key(scope, language_code), []))

    def calls(self, method: str) -> list[dict]:
        """Parameters of every recorded call of one method."""
        return [params for name, params in self.requests if name == method]

    def add_file(self, content: bytes, filename: str = "file.bin",
                 mime_type: str | None = None) -> str:
        """Register a file (e.g. one a user sent) and return its file_id."""
        return self._store_file(Upload(filename, content, mime_type), "documents").file_id

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

    # ---- failure injection -----------------------------------------------------------------

    def block(self, user_id: int) -> None:
        """Make calls targeting that private chat fail with 403 (the user blocked the bot)."""
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        """Undo block()."""
        self._blocked.discard(user_id)

    def fail_next(self, method: str, *, status: int, description: str,
                  retry_after: int | None = None, count: int = 1) -> None:
        """Answer the next `count` calls of `method` with that error instead of running them."""
        fault = _Fault(status=status, description=description, retry_after=retry_after)
        self._faults.setdefault(method.lower(), deque()).extend([fault] * count)

    def drop_next(self, method: str, count: int = 1, *, processed: bool = False) -> None:
        """Close the connection without answering the next `count` calls of `method`.

        With processed=True the call takes effect first and only the answer is lost, as when
        Telegram delivered a message but the response never reached the bot.
        """
        fault = _Fault(drop=True, processed=processed)
        self._faults.setdefault(method.lower(), deque()).extend([fault] * count)

    def chaos(self, error_rate: float, drop_rate: float, *, seed: int = 1,
              methods: list[str] | None = None) -> None:
        """Make a random share of calls fail, as a flaky network and an overloaded Telegram do.

        A share `error_rate` of calls is answered 500 or 502 without taking effect; a share `drop_rate`
        has its connection closed without an answer, half of them after the call took effect (the
        answer lost) and half before. Calls injected with fail_next/drop_next go first. `methods`
        limits it to those methods (by default all but getUpdates and getMe). The choices come from
        a generator seeded with `seed`; they are counted in stats["chaos"]. chaos(0, 0) ends it.
        """
        if error_rate <= 0 and drop_rate <= 0:
            self._chaos = None
            return
        names = frozenset(m.lower() for m in methods) if methods is not None else None
        self._chaos = _Chaos(error_rate, drop_rate, random.Random(seed), names)

    def _chaos_fault(self, method: str) -> _Fault | None:
        """The random failure chaos() picks for this call, if any."""
        chaos = self._chaos
        if chaos is None:
            return None
        name = method.lower()
        if name not in chaos.methods if chaos.methods is not None else name in ("getupdates", "getme"):
            return None
        draw = chaos.rng.random()
        if draw < chaos.error_rate:
            self.stats["chaos"]["5xx"] += 1
            if chaos.rng.random() < 0.5:
                return _Fault(status=500, description="Internal Server Error")
            return _Fault(status=502, description="Bad Gateway")
        if draw < chaos.error_rate + chaos.drop_rate:
            processed = chaos.rng.random() < 0.5
            self.stats["chaos"]["dropped_after" if processed else "dropped_before"] += 1
            return _Fault(drop=True, processed=processed)
        return None

    # ---- HTTP layer ------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        """Entry point of /bot<token>/<method>."""
        requested = request.match_info["method"]
        if request.match_info["token"] != self.token:
            self._count(requested, "4xx")
            return _json_response(401, {"ok": False, "error_code": 401,
                                        "description": "Unauthorized"})
        entry = self._methods.get(requested.lower())
        name = entry[0] if entry else requested
        try:
            params = await self._read_params(request)
        except ApiError as err:
            return self._error(name, err)
        if self.record_requests:
            self.requests.append((name, params))
        self._notify()
        try:
            return await self._dispatch(request, name, entry, params)
        finally:
            self._notify()

    async def _dispatch(self, request: web.Request, name: str,
                        entry: tuple[str, Callable[[dict], Any]] | None,
                        params: dict) -> web.StreamResponse:
        """Run a method (or an injected fault) and turn the outcome into a response."""
        faults = self._faults.get(name.lower())
        fault = faults.popleft() if faults else self._chaos_fault(name)
        if fault is not None and fault.drop and not fault.processed:
            return self._drop(request, name)
        try:
            if fault is not None and not fault.drop:
                raise ApiError(fault.status, fault.description, fault.retry_after)
            if entry is None:
                raise ApiError(404, "Not Found")
            result = entry[1](params)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as err:
            if fault is not None and fault.drop:
                return self._drop(request, name)
            return self._error(name, err)
        if fault is not None and fault.drop:
            return self._drop(request, name)
        self._count(name, "ok")
        return _json_response(200, {"ok": True, "result": result})

    def _error(self, method: str, err: ApiError) -> web.Response:
        """Telegram's error answer, counted in stats."""
        if err.status == 429:
            outcome = "429"
        elif err.status >= 500:
            outcome = "5xx"
        else:
            outcome = "4xx"
        self._count(method, outcome)
        payload: dict[str, Any] = {"ok": False, "error_code": err.status,
                                   "description": err.description}
        if err.retry_after is not None:
            payload["parameters"] = {"retry_after": err.retry_after}
        return _json_response(err.status, payload)

    def _drop(self, request: web.Request, method: str) -> web.Response:
        """Close the connection so the client sees it end without a response."""
        self._count(method, "dropped")
        if request.transport is not None:
            request.transport.close()
        # Nothing is written to a closed transport; aiohttp just needs a return value.
        return web.Response(status=500)

    async def _read_params(self, request: web.Request) -> dict:
        """Parameters from the query string and a JSON, urlencoded or multipart body."""
        raw: dict[str, Any] = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as err:
                    raise _bad("can't parse JSON encoded request") from err
                if not isinstance(body, dict):
                    raise _bad("can't parse JSON encoded request")
                raw.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[key] = Upload(value.filename, value.file.read(), value.content_type)
                    else:
                        raw[key] = value
        return {key: _coerce(key, value) for key, value in raw.items()}

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """File downloads at /file/bot<token>/<file_path>."""
        if request.match_info["token"] != self.token:
            return _json_response(401, {"ok": False, "error_code": 401,
                                        "description": "Unauthorized"})
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return _json_response(404, {"ok": False, "error_code": 404,
                                        "description": "Not Found"})
        return web.Response(body=stored.content,
                            content_type=stored.mime_type or "application/octet-stream")

    async def _control_push(self, request: web.Request) -> web.Response:
        """POST /_control/push: a list of updates (or one) -> their update_ids."""
        body = await request.json()
        updates = body if isinstance(body, list) else [body]
        return _json_response(200, [self.push_update(update) for update in updates])

    async def _control_stats(self, request: web.Request) -> web.Response:
        """GET /_control/stats."""
        return _json_response(200, {"stats": self.stats, "sent_count": self.sent_count,
                                    "pending_updates": len(self._updates)})

    async def _control_reset_stats(self, request: web.Request) -> web.Response:
        """POST /_control/reset_stats."""
        self.reset_stats()
        return _json_response(200, {"ok": True})

    async def _control_messages(self, request: web.Request) -> web.Response:
        """GET /_control/messages?chat_id=N."""
        try:
            chat_id = int(request.query["chat_id"])
        except (KeyError, ValueError):
            return _json_response(400, {"ok": False, "description": "chat_id required"})
        return _json_response(200, [m.to_json() for m in self.messages(chat_id)])

    # ---- shared validation -----------------------------------------------------------------

    def _target_chat(self, params: dict) -> int:
        """The chat a call addresses, refusing blocked and unknown chats as Telegram does."""
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        if not isinstance(chat_id, int):
            raise _bad("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, _BLOCKED)
        if chat_id not in self._chats:
            raise _bad("chat not found")
        return chat_id

    def _format(self, text: str, parse_mode: Any, entities: Any) -> tuple[str, list[dict]]:
        """Apply the parse mode: returns the plain text and its entities."""
        if parse_mode:
            mode = str(parse_mode).lower()
            if mode == "html":
                try:
                    return parse_html(text, strict=self.strict_html)
                except HtmlParseError as err:
                    raise _bad(f"can't parse entities: {err}") from err
            if mode in ("markdown", "markdownv2"):
                return text, []  # not validated
            raise _bad("unsupported parse_mode")
        return text, entities if isinstance(entities, list) else []

    def _message_text(self, params: dict) -> tuple[str, str, list[dict]]:
        """Validated (raw text, plain text, entities) of a text message."""
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("message text is empty")
        plain, entities = self._format(text, params.get("parse_mode"), params.get("entities"))
        if not plain.strip():
            raise _bad("message text is empty")
        if utf16_len(plain) > MAX_TEXT:
            raise _bad("message is too long")
        return text, plain, entities

    def _caption(self, params: dict) -> tuple[str | None, str | None, list[dict]]:
        """Validated (raw caption, plain caption, entities); all empty when there is none."""
        caption = params.get("caption")
        if not isinstance(caption, str) or caption == "":
            return None, None, []
        plain, entities = self._format(caption, params.get("parse_mode"),
                                       params.get("caption_entities"))
        if utf16_len(plain) > MAX_CAPTION:
            raise _bad("message caption is too long")
        return caption, plain, entities

    def _markup(self, markup: Any, *, inline_only: bool = False) -> dict | None:
        """Validate a reply_markup parameter; returns it (None when absent)."""
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            self._check_inline_keyboard(markup["inline_keyboard"])
            return markup
        if inline_only:
            raise _bad("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad("can't parse keyboard: field \"keyboard\" must be an Array of Arrays")
            for row in rows:
                for button in row:
                    text = button.get("text") if isinstance(button, dict) else button
                    if not isinstance(text, str) or not text:
                        raise _bad("can't parse keyboard button: Text must be non-empty")
            return markup
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise _bad("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_inline_keyboard(rows: Any) -> None:
        """Validate inline keyboard rows the way Telegram refuses them."""
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad("can't parse inline keyboard: field \"inline_keyboard\" must be an Array"
                       " of Arrays")
        if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
            raise _bad("reply markup is too long")
        for row in rows:
            for button in row:
                if not isinstance(button, dict):
                    raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be"
                               " an Object")
                if not isinstance(button.get("text"), str) or not button["text"]:
                    raise _bad("can't parse inline keyboard button: Text must be non-empty")
                kinds = [kind for kind in _INLINE_BUTTON_KINDS if kind in button]
                if len(kinds) != 1:
                    raise _bad("can't parse inline keyboard button: Text buttons are unallowed in"
                               " the inline keyboard")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if (not isinstance(data, str) or not data
                            or len(data.encode("utf-8")) > MAX_CALLBACK_DATA):
                        raise _bad("BUTTON_DATA_INVALID")
                if "url" in button and (not isinstance(button["url"], str) or not button["url"]):
                    raise _bad("BUTTON_URL_INVALID")

    def _check_reply_target(self, chat_id: int, params: dict) -> dict | None:
        """The message being replied to (if any) must exist unless told otherwise."""
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id, lenient = reply.get("message_id"), reply.get("allow_sending_without_reply")
        else:
            message_id = params.get("reply_to_message_id")
            lenient = params.get("allow_sending_without_reply")
        if message_id is None:
            return None
        bot_message = self._history.get(chat_id, {}).get(message_id)
        if bot_message is not None:
            return bot_message.raw
        if message_id in self._user_message_ids.get(chat_id, ()):
            return {"message_id": message_id, "chat": self._chats[chat_id], "date": 0}
        if lenient:
            return None
        raise _bad("message to be replied not found")

    def _rate_limit(self, chat_id: int) -> None:
        """Token buckets per chat and overall; raises 429 with retry_after when exhausted."""
        if self.global_rate is None and self.per_chat_rate is None:
            return
        now = time.monotonic()
        buckets = []
        if self.global_rate is not None:
            if self._global_bucket is None:
                self._global_bucket = _Bucket(self.global_rate, now)
            buckets.append(self._global_bucket)
        if self.per_chat_rate is not None:
            bucket = self._chat_buckets.get(chat_id)
            if bucket is None:
                bucket = self._chat_buckets[chat_id] = _Bucket(self.per_chat_rate, now)
            buckets.append(bucket)
        wait = max(bucket.wait(now) for bucket in buckets)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for bucket in buckets:
            bucket.tokens -= 1.0

    def _store_message(self, method: str, chat_id: int, content: dict, *, text: str | None,
                       parse_mode: str | None, plain: str | None, entities: list[dict],
                       markup: dict | None, reply_to: dict | None = None,
                       document: tuple[str, bytes] | None = None,
                       photo: tuple[str, bytes] | None = None,
                       voice: tuple[str, bytes] | None = None) -> Msg:
        """Record a new bot message and build the Message object Telegram returns."""
        message_id = self.next_message_id(chat_id)
        now = int(time.time())
        raw: dict[str, Any] = {"message_id": message_id, "from": self.bot_user,
                               "chat": self._chats[chat_id], "date": now}
        if reply_to is not None:
            raw["reply_to_message"] = reply_to
        raw.update(content)
        # Telegram only echoes inline keyboards; reply keyboards live on the client side.
        if markup is not None and "inline_keyboard" in markup:
            raw["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        msg = Msg(message_id=message_id, chat_id=chat_id, text=text, parse_mode=parse_mode,
                  reply_markup=markup, document=document, method=method, photo=photo,
                  plain_text=plain, entities=entities, date=now, raw=raw, voice=voice)
        history = self._history.setdefault(chat_id, {})
        history[message_id] = msg
        if self.history_limit is not None and len(history) > self.history_limit:
            del history[next(iter(history))]
        self.sent_count += 1
        return msg

    def _edited_message(self, params: dict) -> Msg:
        """The bot message an edit addresses (raising Telegram's errors)."""
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat_id = self._target_chat(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad("message identifier is not specified")
        msg = self._history.get(chat_id, {}).get(message_id)
        if msg is None:
            if message_id in self._user_message_ids.get(chat_id, ()):
                raise _bad("message can't be edited")
            raise _bad("message to edit not found")
        return msg

    @staticmethod
    def _inline_rows(markup: dict | None) -> list | None:
        """The part of a markup Telegram compares for "not modified"."""
        return markup["inline_keyboard"] if markup and "inline_keyboard" in markup else None

    @staticmethod
    def _apply_markup(msg: Msg, markup: dict | None) -> None:
        """Attach (or, when None, remove) the inline keyboard of a message."""
        msg.reply_markup = markup
        if markup is None:
            msg.raw.pop("reply_markup", None)
        else:
            msg.raw["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}

    @staticmethod
    def _mark_edited(msg: Msg) -> dict:
        """Stamp an edit and return the updated Message object."""
        msg.edit_count += 1
        msg.raw["edit_date"] = int(time.time())
        return msg.raw

    def _store_file(self, upload: Upload, folder: str) -> _File:
        """Keep an uploaded file so getFile and downloads can serve it."""
        number = len(self._files) + 1
        suffix = upload.filename.rsplit(".", 1)[1] if "." in upload.filename else ""
        path = f"{folder}/file_{number}" + (f".{suffix}" if suffix else "")
        stored = _File(file_id=f"BQACAgIAAxkBAAI{self.bot_id}x{number:06d}",
                       file_unique_id=f"AgAD{number:06d}", name=upload.filename,
                       content=upload.content, mime_type=upload.content_type, path=path)
        self._files[stored.file_id] = stored
        self._files_by_path[path] = stored
        return stored

    def _input_file(self, params: dict, key: str, folder: str) -> _File:
        """Resolve a file parameter: an upload, attach://name, a known file_id or a URL."""
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://"):])
        if isinstance(value, Upload):
            return self._store_file(value, folder)
        if isinstance(value, str) and value:
            if value in self._files:
                return self._files[value]
            if value.startswith(("http://", "https://")):
                name = value.rstrip("/").rsplit("/", 1)[-1] or "file"
                return self._store_file(Upload(name, b""), folder)
            raise _bad("wrong file identifier/HTTP URL specified")
        raise _bad(f"there is no {key} in the request")

    # ---- methods ---------------------------------------------------------------------------

    def _true(self, params: dict) -> bool:
        """Methods that only acknowledge (close, logOut)."""
        return True

    def _get_me(self, params: dict) -> dict:
        """getMe."""
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    async def _get_updates(self, params: dict) -> list[dict]:
        """getUpdates with Telegram's offset confirmation and long polling."""
        offset = params.get("offset") or 0
        limit = params.get("limit") or 100
        limit = min(100, max(1, limit if isinstance(limit, int) else 100))
        timeout = params.get("timeout") or 0
        timeout = max(0, timeout if isinstance(timeout, int) else 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else None
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        self._confirm(offset)

        # A newer getUpdates ends an older one that is still waiting, as on Telegram.
        self._poll_seq += 1
        my_seq = self._poll_seq
        if self._waiting_polls:
            self._wake_pollers()
        if not self._deliverable() and timeout > 0 and not self._closing:
            event = self._updates_event
            self._waiting_polls += 1
            try:
                await asyncio.wait_for(event.wait(), timeout)
            except TimeoutError:
                pass
            finally:
                self._waiting_polls -= 1
            if my_seq != self._poll_seq:
                raise ApiError(409, _CONFLICT)
        return self._take_updates(limit)

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
        kind = _update_type(update)
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
            raise _bad("Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else None
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
                limit = max(1, int(self.webhook.get("max_connections") or 40))
                for update in [u for u in self._updates if not self._allowed(u)]:
                    self._updates.remove(update)
                    self.filtered_update_ids.append(update["update_id"])
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
                if not started:
                    event = self._updates_event
                    waiters = [asyncio.ensure_future(event.wait()), *tasks]
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                    waiters[0].cancel()
            for task in tasks:
                task.cancel()

    def _earlier(self, update: dict):
        for queued in self._updates:
            if queued is update:
                return
            yield queued

    async def _post_and_settle(self, session, update: dict, busy: set) -> None:
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
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            try:
                await self._webhook_task
            except (asyncio.CancelledError, Exception):
                pass
            self._webhook_task = None

    @staticmethod
    def _scope_key(scope: Any, language_code: Any) -> tuple:
        """Canonical key of a BotCommandScope plus language."""
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        return (scope.get("type", "default"), scope.get("chat_id"), scope.get("user_id"),
                language_code or "")

    def _command_key(self, params: dict) -> tuple:
        """Validated scope/language key of a *MyCommands call."""
        scope = params.get("scope")
        if scope is not None:
            if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
                raise _bad("can't parse BotCommandScope JSON object")
            if scope["type"].startswith("chat") and scope.get("chat_id") is None:
                raise _bad("chat_id is empty")
            if scope["type"] == "chat_member" and scope.get("user_id") is None:
                raise _bad("user not found")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise _bad("invalid language code specified")
        return self._scope_key(scope, language)

    def _set_my_commands(self, params: dict) -> bool:
        """setMyCommands with Telegram's checks on names and descriptions."""
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands specified")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad("command description is empty" if not description
                           else "BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._command_key(params)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: dict) -> list[dict]:
        """getMyCommands for exactly that scope and language."""
        return copy.deepcopy(self._commands.get(self._command_key(params), []))

    def _delete_my_commands(self, params: dict) -> bool:
        """deleteMyCommands."""
        self._commands.pop(self._command_key(params), None)
        return True

    def _set_chat_menu_button(self, params: dict) -> bool:
        """setChatMenuButton (per chat, or the default when chat_id is absent)."""
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app",
                                                                         "default"):
            raise _bad("can't parse menu button JSON object")
        chat_id = params.get("chat_id")
        if chat_id is not None:
            self._target_chat(params)
        self._menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(self, params: dict) -> dict:
        """getChatMenuButton."""
        chat_id = params.get("chat_id")
        button = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        return button if button and button.get("type") != "default" else {"type": "commands"}

    def _set_description(self, kind: str) -> Callable[[dict], bool]:
        """setMyDescription / setMyShortDescription / setMyName."""
        def handler(params: dict) -> bool:
            self._descriptions[(kind, params.get("language_code") or "")] = str(
                params.get(kind) or "")
            return True
        return handler

    def _get_description(self, kind: str) -> Callable[[dict], dict]:
        """getMyDescription / getMyShortDescription / getMyName."""
        def handler(params: dict) -> dict:
            return {kind: self._descriptions.get((kind, params.get("language_code") or ""), "")}
        return handler

    def _send_message(self, params: dict) -> dict:
        """sendMessage."""
        chat_id = self._target_chat(params)
        text, plain, entities = self._message_text(params)
        markup = self._markup(params.get("reply_markup"))
        reply_to = self._check_reply_target(chat_id, params)
        self._rate_limit(chat_id)
        content: dict[str, Any] = {"text": plain}
        if entities:
            content["entities"] = entities
        return self._store_message("sendMessage", chat_id, content, text=text,
                                   parse_mode=params.get("parse_mode"), plain=plain,
                                   entities=entities, markup=markup, reply_to=reply_to).raw

    def _send_document(self, params: dict) -> dict:
        """sendDocument (upload, attach://, file_id or URL)."""
        chat_id = self._target_chat(params)
        caption, plain, entities = self._caption(params)
        markup = self._markup(params.get("reply_markup"))
        reply_to = self._check_reply_target(chat_id, params)
        stored = self._input_file(params, "document", "documents")
        self._rate_limit(chat_id)
        document: dict[str, Any] = {"file_id": stored.file_id,
                                    "file_unique_id": stored.file_unique_id,
                                    "file_name": stored.name, "file_size": len(stored.content)}
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        content: dict[str, Any] = {"document": document}
        self._add_caption(content, plain, entities)
        return self._store_message("sendDocument", chat_id, content, text=caption,
                                   parse_mode=params.get("parse_mode"), plain=plain,
                                   entities=entities, markup=markup, reply_to=reply_to,
                                   document=(stored.name, stored.content)).raw

    def _send_photo(self, params: dict) -> dict:
        """sendPhoto (upload, attach://, file_id or URL)."""
        chat_id = self._target_chat(params)
        caption, plain, entities = self._caption(params)
        markup = self._markup(params.get("reply_markup"))
        reply_to = self._check_reply_target(chat_id, params)
        stored = self._input_file(params, "photo", "photos")
        self._rate_limit(chat_id)
        size = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "width": 320, "height": 320, "file_size": len(stored.content)}
        content: dict[str, Any] = {"photo": [size]}
        self._add_caption(content, plain, entities)
        return self._store_message("sendPhoto", chat_id, content, text=caption,
                                   parse_mode=params.get("parse_mode"), plain=plain,
                                   entities=entities, markup=markup, reply_to=reply_to,
                                   photo=(stored.name, stored.content)).raw

    @staticmethod
    def _add_caption(content: dict, plain: str | None, entities: list[dict]) -> None:
        """Put a caption and its entities into a Message object."""
        if plain:
            content["caption"] = plain
            if entities:
                content["caption_entities"] = entities

    def _edit_message_text(self, params: dict) -> dict:
        """editMessageText; omitting reply_markup removes the inline keyboard, as on Telegram."""
        msg = self._edited_message(params)
        text, plain, entities = self._message_text(params)
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        if msg.method != "sendMessage":
            raise _bad("there is no text in the message to edit")
        if (plain == msg.plain_text and entities == msg.entities
                and self._inline_rows(markup) == self._inline_rows(msg.reply_markup)):
            raise _bad(_NOT_MODIFIED)
        msg.text, msg.parse_mode, msg.plain_text, msg.entities = (
            text, params.get("parse_mode"), plain, entities)
        msg.raw["text"] = plain
        if entities:
            msg.raw["entities"] = entities
        else:
            msg.raw.pop("entities", None)
        self._apply_markup(msg, markup)
        return self._mark_edited(msg)

    def _edit_message_caption(self, params: dict) -> dict:
        """editMessageCaption."""
        msg = self._edited_message(params)
        caption, plain, entities = self._caption(params)
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        if msg.method == "sendMessage":
            raise _bad("there is no caption in the message to edit")
        if ((plain or None) == (msg.plain_text or None) and entities == msg.entities
                and self._inline_rows(markup) == self._inline_rows(msg.reply_markup)):
            raise _bad(_NOT_MODIFIED)
        msg.text, msg.parse_mode, msg.plain_text, msg.entities = (
            caption, params.get("parse_mode"), plain, entities)
        for key in ("caption", "caption_entities"):
            msg.raw.pop(key, None)
        self._add_caption(msg.raw, plain, entities)
        self._apply_markup(msg, markup)
        return self._mark_edited(msg)

    def _edit_message_reply_markup(self, params: dict) -> dict:
        """editMessageReplyMarkup; no reply_markup removes the keyboard."""
        msg = self._edited_message(params)
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        if self._inline_rows(markup) == self._inline_rows(msg.reply_markup):
            raise _bad(_NOT_MODIFIED)
        self._apply_markup(msg, markup)
        return self._mark_edited(msg)

    def _delete_message(self, params: dict) -> bool:
        """deleteMessage (the bot's messages, or the user's own in a private chat)."""
        chat_id = params.get("chat_id")
        message_id = params.get("message_id")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise _bad("chat not found")
        history = self._history.get(chat_id, {})
        if message_id in history:
            history.pop(message_id).deleted = True
            return True
        user_ids = self._user_message_ids.get(chat_id, set())
        if message_id in user_ids:
            user_ids.discard(message_id)
            return True
        raise _bad("message to delete not found")

    def _answer_callback_query(self, params: dict) -> bool:
        """answerCallbackQuery: each query can be answered once."""
        text = params.get("text")
        if isinstance(text, str) and len(text) > MAX_CALLBACK_ANSWER:
            raise _bad("MESSAGE_TOO_LONG")
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._open_queries.discard(query_id)
        self.callback_answers.append(params)
        return True

    def _send_chat_action(self, params: dict) -> bool:
        """sendChatAction."""
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _get_file(self, params: dict) -> dict:
        """getFile: a file_path the download route serves."""
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.content), "file_path": stored.path}

    def _send_voice(self, params: dict) -> dict:
        """sendVoice (upload, attach://, file_id or URL)."""
        chat_id = self._target_chat(params)
        caption, plain, entities = self._caption(params)
        markup = self._markup(params.get("reply_markup"))
        reply_to = self._check_reply_target(chat_id, params)
        stored = self._input_file(params, "voice", "voices")
        self._rate_limit(chat_id)
        voice: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                                 "duration": params.get("duration") or 0,
                                 "mime_type": stored.mime_type or "audio/ogg",
                                 "file_size": len(stored.content)}
        content: dict[str, Any] = {"voice": voice}
        self._add_caption(content, plain, entities)
        return self._store_message("sendVoice", chat_id, content, text=caption,
                                   parse_mode=params.get("parse_mode"), plain=plain,
                                   entities=entities, markup=markup, reply_to=reply_to,
                                   voice=(stored.name, stored.content)).raw

    def _send_poll(self, params: dict) -> dict:
        """sendPoll with Telegram's limits: question 1-300 characters, 2-12 options of 1-100."""
        chat_id = self._target_chat(params)
        question = params.get("question")
        if not isinstance(question, str) or not question.strip():
            raise _bad("poll question must be non-empty")
        if utf16_len(question) > 300:
            raise _bad("poll question length must not exceed 300")
        options = params.get("options")
        if not isinstance(options, list):
            raise _bad("can't parse options JSON object")
        texts = [o.get("text") if isinstance(o, dict) else o for o in options]
        if not 2 <= len(texts) <= 12:
            raise _bad("poll must have at least 2 option" if len(texts) < 2 else "poll can't have more than 12 options")
        for text in texts:
            if not isinstance(text, str) or not text.strip() or utf16_len(text) > 100:
                raise _bad("poll options length must not exceed 100")
        markup = self._markup(params.get("reply_markup"))
        self._rate_limit(chat_id)
        poll_id = str(5_000_000_000_000 + len(self._polls) + 1)
        poll = {"id": poll_id, "question": question, "total_voter_count": 0, "is_closed": False,
                "is_anonymous": params.get("is_anonymous", True) is not False,
                "type": params.get("type") or "regular",
                "allows_multiple_answers": bool(params.get("allows_multiple_answers")),
                "allows_revoting": True, "members_only": False,
                "options": [{"text": text, "voter_count": 0, "persistent_id": str(index)}
                            for index, text in enumerate(texts)]}
        self._polls[poll_id] = poll
        self._poll_votes[poll_id] = {}
        return self._store_message("sendPoll", chat_id, {"poll": poll}, text=question, parse_mode=None,
                                   plain=question, entities=[], markup=markup).raw

    def _stop_poll(self, params: dict) -> dict:
        """stopPoll: closes the poll of a message the bot sent; a closed poll can't be stopped again."""
        chat_id = self._target_chat(params)
        msg = self._history.get(chat_id, {}).get(params.get("message_id"))
        if msg is None or msg.method != "sendPoll":
            raise _bad("message with poll to stop not found")
        poll = self._polls[msg.raw["poll"]["id"]]
        if poll["is_closed"]:
            raise _bad("poll has already been closed")
        poll["is_closed"] = True
        msg.raw["poll"] = copy.deepcopy(poll)
        return copy.deepcopy(poll)

    def poll(self, poll_id: str) -> dict | None:
        """The current state of a poll the bot sent (votes counted, closed or not)."""
        poll = self._polls.get(poll_id)
        return copy.deepcopy(poll) if poll is not None else None

    def record_vote(self, poll_id: str, user_id: int, option_ids: list[int]) -> None:
        """Apply a user's vote to a poll as Telegram's client would (refused on a closed poll)."""
        poll = self._polls.get(poll_id)
        if poll is None:
            return  # a poll the server never sent: a forged poll_answer, passed through as is
        if poll["is_closed"]:
            raise AssertionError(f"poll {poll_id} is closed: Telegram apps don't let anyone vote")
        votes = self._poll_votes[poll_id]
        votes[user_id] = list(option_ids)
        if not option_ids:
            del votes[user_id]
        for index, option in enumerate(poll["options"]):
            option["voter_count"] = sum(1 for chosen in votes.values() if index in chosen)
        poll["total_voter_count"] = len(votes)

    def _group_chat(self, params: dict) -> int:
        """The group or supergroup a chat-management call addresses."""
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise _bad("chat not found")
        return chat_id

    def _get_chat(self, params: dict) -> dict:
        """getChat: the chat as the bot knows it (ChatFullInfo)."""
        chat_id = self._group_chat(params)
        chat = copy.deepcopy(self._chats[chat_id])
        chat.setdefault("type", "private")
        chat.update({"accent_color_id": 0, "max_reaction_count": 11})
        return chat

    def _user_object(self, user_id: int) -> dict:
        """A User object for someone the server knows (or a placeholder)."""
        if user_id == self.bot_id:
            return self.bot_user
        fake = self._users.get(user_id)
        return fake.user_dict if fake else {"id": user_id, "is_bot": False, "first_name": "User"}

    def _get_chat_member(self, params: dict) -> dict:
        """getChatMember: what updates said about that user in that chat ('left' if nothing)."""
        chat_id = self._group_chat(params)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise _bad("user not found")
        if self._chats[chat_id].get("type") == "private":
            status = "member" if user_id in (chat_id, self.bot_id) else "left"
            return {"status": status, "user": self._user_object(user_id)}
        known = self._chat_members.get(chat_id, {}).get(user_id)
        return copy.deepcopy(known) if known else {"status": "left", "user": self._user_object(user_id)}

    def _get_chat_administrators(self, params: dict) -> list[dict]:
        """getChatAdministrators: the creator and administrators seen so far."""
        chat_id = self._group_chat(params)
        return [copy.deepcopy(m) for m in self._chat_members.get(chat_id, {}).values()
                if m.get("status") in ("creator", "administrator")]

    def _bot_can_invite(self, chat_id: int) -> bool:
        """Whether the bot is an administrator allowed to invite users in that chat."""
        me = self._chat_members.get(chat_id, {}).get(self.bot_id) or {}
        return me.get("status") == "creator" or (me.get("status") == "administrator"
                                                 and bool(me.get("can_invite_users")))

    def _create_chat_invite_link(self, params: dict) -> dict:
        """createChatInviteLink: an additional link (never the primary one), with Telegram's checks."""
        chat_id = self._group_chat(params)
        if self._chats[chat_id].get("type") == "private":
            raise _bad("chat not found")
        if not self._bot_can_invite(chat_id):
            raise _bad("not enough rights to manage chat invite link")
        name = params.get("name")
        if name is not None and len(str(name)) > 32:
            raise _bad("INVITE_LINK_NAME_INVALID")
        limit = params.get("member_limit")
        if limit is not None and (not isinstance(limit, int) or not 1 <= limit <= 99999):
            raise _bad("MEMBER_LIMIT_INVALID")
        if limit is not None and params.get("creates_join_request"):
            raise _bad("member_limit can't be specified for links that create join requests")
        link = f"https://t.me/+FakeInvite{len(self.invite_links) + 1:06d}"
        invite: dict[str, Any] = {"invite_link": link, "creator": self.bot_user,
                                  "creates_join_request": bool(params.get("creates_join_request")),
                                  "is_primary": False, "is_revoked": False}
        for key in ("name", "expire_date", "member_limit"):
            if params.get(key) is not None:
                invite[key] = params[key]
        self.invite_links[link] = {**invite, "chat_id": chat_id, "uses": 0}
        return invite

    def _revoke_chat_invite_link(self, params: dict) -> dict:
        """revokeChatInviteLink."""
        chat_id = self._group_chat(params)
        stored = self.invite_links.get(str(params.get("invite_link") or ""))
        if stored is None or stored["chat_id"] != chat_id:
            raise _bad("INVITE_HASH_EXPIRED")
        stored["is_revoked"] = True
        return {k: v for k, v in stored.items() if k not in ("chat_id", "uses")}

    def use_invite_link(self, link: str, chat_id: int) -> dict:
        """A user joins by a link: refused like Telegram when revoked, for another chat or used up."""
        stored = self.invite_links.get(link)
        if stored is None or stored["chat_id"] != chat_id:
            raise AssertionError(f"invite link {link!r} does not lead to chat {chat_id}")
        if stored["is_revoked"]:
            raise AssertionError(f"invite link {link!r} was revoked")
        limit = stored.get("member_limit")
        if limit is not None and stored["uses"] >= limit:
            raise AssertionError(f"invite link {link!r} was already used {stored['uses']} times")
        stored["uses"] += 1
        return {k: v for k, v in stored.items() if k not in ("chat_id", "uses")}


def _coerce(key: str, value: Any) -> Any:
    """Give a string parameter the type its name implies (ints, booleans, JSON objects)."""
    if not isinstance(value, str):
        return value
    if key in _INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. "@channelusername"
    if key in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    if key in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            return value  # refused later with the method's own error
    return value
