"""The Bot API's error answers, as Telegram words them."""

from __future__ import annotations

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"
CONFLICT = (
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


def bad(description: str) -> ApiError:
    """A 400 Bad Request error with Telegram's description prefix."""
    return ApiError(400, f"Bad Request: {description}")
