"""One-line log records, with the bot token and phone numbers kept out of them."""

from __future__ import annotations

import logging
import re

_PHONE = re.compile(r"(?<![\w:])\+?\d[\d \-]{7,14}\d(?!\w)")


class Redact(logging.Filter):
    """Replaces the bot token and anything shaped like a phone number in a record's final text."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token:
            message = message.replace(self.token, "<token>")
        message = _PHONE.sub(lambda m: m.group(0) if _looks_like_id(m.group(0)) else "<phone>", message)
        record.msg, record.args = message, None
        return True


def _looks_like_id(text: str) -> bool:
    # Telegram ids and update ids are plain digit runs without spaces; phone numbers come with + or spaces.
    return text.isdigit() and not text.startswith("0")


def setup(level: str, token: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and those contain the token: keep it to warnings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
