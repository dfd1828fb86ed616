"""Working groups' limits and statuses, and how typed text and voice notes are checked (consultations check theirs
the same way).
"""

from __future__ import annotations

from datetime import timedelta

from bot import forms


NAME_MAX = 100
DESCRIPTION_MAX = 1000
REASON_MAX = 500
PAPER_NAME_MAX = 100
ORGANISATION_MAX = 200
VOICE_MAX_SECONDS = 120
VOICE_MAX_BYTES = 5 * 1024 * 1024
# A member's invite link lasts a week; one about to expire is replaced rather than handed out again.
INVITE_LIFETIME = timedelta(days=7)
INVITE_MARGIN = timedelta(hours=1)
PAGE_SIZE = 8
# Members' requests to join are gathered for a few minutes into one notice to the group's coordinators; a notice
# about to go out is left alone (the outbox may be sending it) and later requests start the next one.
NOTICE_DELAY = timedelta(minutes=10)
NOTICE_MARGIN = timedelta(minutes=1)
NOTICE_KIND = "group_requests"
DECISION_KIND = "group_decision"

OPEN, CLOSED = "open", "closed"
INTERESTED, APPROVED, DECLINED, WITHDRAWN = "interested", "approved", "declined", "withdrawn"


InvalidInput = forms.Invalid  # typed or sent input that does not fit (reason, limit)


# ---------------------------------------------------------------- cleaning input


def clean_text(value: str | None, limit: int) -> str:
    """Typed text with line breaks kept; raises InvalidInput if empty or too long."""
    return forms.clean_text(value, limit)


def clean_single_line(value: str | None, limit: int) -> str:
    """One line of typed text (a name); raises InvalidInput if empty or too long."""
    return forms.clean_text(value, limit, multiline=False)


def check_voice(seconds: int | None, size: int | None) -> int:
    """Accepts a voice note of at most two minutes and 5 MB; returns its length in seconds."""
    if seconds is not None and seconds > VOICE_MAX_SECONDS:
        raise InvalidInput("voice_too_long", VOICE_MAX_SECONDS)
    if size is not None and size > VOICE_MAX_BYTES:
        raise InvalidInput("voice_too_big", VOICE_MAX_BYTES)
    return int(seconds or 0)


def both_languages(english: str | None, khmer: str | None) -> tuple[str, str]:
    """A text given in one language only is used for both."""
    english, khmer = english or "", khmer or ""
    return english or khmer, khmer or english
