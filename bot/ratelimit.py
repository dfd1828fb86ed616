"""How replies reach Telegram: its rate limits and 429 retry_after honoured, and a failed call tried again
only where trying again cannot make the member see something twice."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter

from bot.http import CREATING_METHODS, NotSent, OutcomeUnknown

log = logging.getLogger("sahakor")

ANSWER_PRESS = "answerCallbackQuery"


def may_have_happened(error: NetworkError) -> bool:
    """Whether Telegram may have acted on a call that failed this way (its answer was lost, not refused)."""
    return isinstance(error, OutcomeUnknown) or (isinstance(error, TimedOut) and not isinstance(error, NotSent))


def safe_to_repeat(endpoint: str) -> bool:
    """Whether a call may be sent again after Telegram perhaps acted on it: edits, gets and sets may; a send
    would make a second message, and a press answered twice only earns "query is too old"."""
    return endpoint not in CREATING_METHODS and endpoint != ANSWER_PRESS


def press_expired(error: BadRequest) -> bool:
    text = str(error).lower()
    return "query is too old" in text or "query id is invalid" in text


# Parts of the message Telegram sends back for a message the bot sent or edited that nothing reads (the
# application keeps ids and files from those answers): python-telegram-bot would make an object of each
# button of the keyboard the bot itself just sent.
UNREAD_IN_ANSWERS = ("reply_markup", "entities", "caption_entities", "link_preview_options")
# A button with any of these set is written out by python-telegram-bot itself.
_UNCOMMON_BUTTON_FIELDS = tuple(name for name in InlineKeyboardButton.__slots__ if name not in ("text", "url",
                                                                                                "callback_data"))
_WRITTEN_MAX = 1024


def _button_json(button: InlineKeyboardButton) -> dict | None:
    """A plain button (text with callback data or a link) as the Bot API takes it; None for any other."""
    if type(button) is not InlineKeyboardButton or button.api_kwargs or not isinstance(button.callback_data,
                                                                                       str | None):
        return None
    if any(getattr(button, name) is not None for name in _UNCOMMON_BUTTON_FIELDS):
        return None
    written = {"text": button.text}
    if button.url is not None:
        written["url"] = button.url
    if button.callback_data is not None:
        written["callback_data"] = button.callback_data
    return written


class KeyboardWriter:
    """Writes inline keyboards out for the Bot API. python-telegram-bot's generic to_dict costs as much as a
    reply's whole JSON several times over; keyboards of plain buttons are written directly, and a keyboard
    object sent again (screens keep theirs: Telegram objects can't change) is written once."""

    def __init__(self, limit: int = _WRITTEN_MAX) -> None:
        self.limit = limit
        self._written: dict[int, tuple[InlineKeyboardMarkup, dict]] = {}

    def __call__(self, markup: InlineKeyboardMarkup) -> dict:
        kept = self._written.get(id(markup))
        if kept is not None and kept[0] is markup:
            return kept[1]
        written = self._write(markup)
        if len(self._written) >= self.limit:
            self._written.clear()
        # The object is kept with its JSON, so its id can't be another object's while it is here.
        self._written[id(markup)] = (markup, written)
        return written

    @staticmethod
    def _write(markup: InlineKeyboardMarkup) -> dict:
        if type(markup) is InlineKeyboardMarkup and not markup.api_kwargs:
            rows = []
            for row in markup.inline_keyboard:
                buttons = [_button_json(button) for button in row]
                if None in buttons:
                    break
                rows.append(buttons)
            else:
                return {"inline_keyboard": rows}
        return markup.to_dict()


def lean(result):
    """Telegram's answer to a call without the parts of a message the application never reads."""
    if isinstance(result, dict):
        for key in UNREAD_IN_ANSWERS:
            result.pop(key, None)
    return result


class PatientRateLimiter(AIORateLimiter):
    """Telegram's rate limits and 429 retry_after, plus retries with backoff where a repeat is safe.

    A call Telegram answered with an error (5xx) or that never left (no connection) did nothing, so it is
    tried again. A call whose answer was lost may have been acted on: a send is then not repeated (the
    member would see it twice) and raises `OutcomeUnknown`; an edit, a get or a set is repeated. Answering a
    button press only stops the spinner on the member's phone: its failures are logged and swallowed, so
    they never stop the conversation the press moved on.
    """

    def __init__(self, *, retries: int, base_delay: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._retries = retries
        self._base_delay = base_delay
        self._keyboards = KeyboardWriter()

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if endpoint != ANSWER_PRESS:
            markup = data.get("reply_markup")
            if isinstance(markup, InlineKeyboardMarkup):
                # `data` is what the call sends (args holds the same dict).
                data["reply_markup"] = self._keyboards(markup)
            return lean(await self._with_retries(callback, args, kwargs, endpoint, data, rate_limit_args))
        try:
            return await self._with_retries(callback, args, kwargs, endpoint, data, rate_limit_args)
        except BadRequest as exc:
            if not press_expired(exc):
                raise
            log.info("%s refused (%s); the press was handled all the same", endpoint, exc)
        except (NetworkError, RetryAfter) as exc:
            log.warning("%s failed (%s); the press was handled all the same", endpoint, exc)
        return True

    async def _with_retries(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        attempt = 0
        while True:
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:
                if may_have_happened(exc) and not safe_to_repeat(endpoint):
                    if endpoint == ANSWER_PRESS:
                        raise
                    raise type(exc)(f"{endpoint} may have reached Telegram; not sent again, which could only "
                                    f"repeat it ({exc})") from exc
                if endpoint == "getUpdates" or attempt >= self._retries:
                    raise
                delay = self._base_delay * 2**attempt
                # At start-up (getMe) a failure ends in one clear line from `sahakor run`; the tries say nothing more.
                level = logging.DEBUG if endpoint == "getMe" else logging.WARNING
                log.log(level, "%s failed (%s); retry %d of %d in %.1f s", endpoint, exc, attempt + 1, self._retries,
                        delay)
                await asyncio.sleep(delay)
                attempt += 1
