"""One-line log records, with the bot token and phone numbers kept out of them (tracebacks included)."""

from __future__ import annotations

import logging
import re
import sys
from urllib.parse import quote

# Any bot's token: the bot's id, a colon and at least 30 characters of secret.
_TOKEN_SHAPE = re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}")
# 8 to 15 digits, optionally after a +, with single spaces or dashes between them: "+855 12 345 678",
# "012-345-678", "85599887766" (how Telegram writes a shared contact). Never a piece of a longer number,
# a word, a path or a decimal ("1733900000.25"), nor a negative number (a group's chat id).
_NUMBER = re.compile(r"(?<![\w+./#-])\+?\d(?:[ -]?\d){7,14}(?![\w:/]|[.,]\d)")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4}")
_WORD_BEFORE = re.compile(r"(\w+)\W{0,4}\Z")
# A plain run of digits right after one of these words is an id or a time, not a phone number:
# "update 123456789", "from user 1234567890", "chat 5012345678", '"date": 1733900000', "user_id=…".
_ID_WORDS = frozenset({"user", "users", "update", "updates", "chat", "chats", "coordinator", "member", "sender",
                       "offset", "id", "ids", "date"})
_ID_SUFFIXES = ("_id", "_ids", "_date", "_at")
_TRACEBACKS = logging.Formatter()


def redact(text: str, token: str = "") -> str:
    """The text with the bot token (as it is or URL-encoded, and anything shaped like a bot token) and phone
    numbers replaced by <token> and <phone>."""
    if token:
        text = text.replace(token, "<token>").replace(quote(token, safe=""), "<token>")
    text = _TOKEN_SHAPE.sub("<token>", text)
    return _NUMBER.sub(lambda match: match.group(0) if _not_a_phone(text, match) else "<phone>", text)


def _not_a_phone(text: str, match: re.Match) -> bool:
    number = match.group(0)
    if _DATE.fullmatch(number):
        return True
    if not number.isdigit():
        return False  # a + or separators: ids and timestamps are never written so
    if match.start() and text[match.start() - 1] == ":":
        return True  # a field of a button's data ("coord:remove:1234567890") or a port
    before = _WORD_BEFORE.search(text, max(0, match.start() - 40), match.start())
    if before is None:
        return False
    word = before.group(1).lower()
    return word in _ID_WORDS or word.endswith(_ID_SUFFIXES)


# `extra` of a record made only of ids, counts, times, the bot's own words and text already passed through
# `redact`: it is written without the redaction, which cost more than the rest of writing the line. The line
# logged for every update is one (bot.context.describe redacts what a person could have written in it).
TRUSTED = {"trusted": True}


class Redact(logging.Filter):
    """Takes the bot token and phone numbers out of a record: its message, its traceback and its stack."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "trusted", False) and not record.exc_info and not record.stack_info:
            return True
        try:
            message = record.getMessage()
        except Exception:  # arguments that don't fit the message: logging reports that itself
            return True
        record.msg, record.args = redact(message, self.token), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.token)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.token)
        return True


def setup(level: str, token: str) -> None:
    """Logs to stderr at `level`, redacted; libraries' routine chatter only at DEBUG."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and those contain the token: keep it to warnings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Alembic tells of every plugin and migration step at INFO.
    logging.getLogger("alembic").setLevel(logging.NOTSET if level == "DEBUG" else logging.WARNING)
    # An error nothing caught goes through the same redaction instead of straight to stderr.
    sys.excepthook = _log_uncaught


def _log_uncaught(kind, error, traceback) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    logging.getLogger("sahakor").critical("stopped by an error: %s: %s", kind.__name__, error,
                                          exc_info=(kind, error, traceback))
