"""How replies reach Telegram: its rate limits and 429 retry_after honoured, and a failed call tried again
only where trying again cannot make the member see something twice."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

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

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if endpoint != ANSWER_PRESS:
            return await self._with_retries(callback, args, kwargs, endpoint, data, rate_limit_args)
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
