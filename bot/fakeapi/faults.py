"""Telegram misbehaving on purpose: blocked users, injected errors and dropped connections, random chaos,
and Telegram's send limits (429 with retry_after)."""

from __future__ import annotations

import math
import random
import time
from collections import deque
from dataclasses import dataclass

from .errors import ApiError


@dataclass
class Fault:
    """An injected failure for the next call of a method."""

    status: int = 0
    description: str = ""
    retry_after: int | None = None
    drop: bool = False
    processed: bool = False  # drop only the answer, after the call took effect


@dataclass
class _Chaos:
    """Random failures for a share of all calls (see Faults.chaos)."""

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


class Faults:
    """Blocks, injected failures, chaos and rate limits."""

    def _init_faults(self, global_rate: float | None, per_chat_rate: float | None) -> None:
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self._blocked: set[int] = set()
        self._faults: dict[str, deque[Fault]] = {}
        self._chaos: _Chaos | None = None
        self._global_bucket: _Bucket | None = None
        self._chat_buckets: dict[int, _Bucket] = {}

    def block(self, user_id: int) -> None:
        """Make calls targeting that private chat fail with 403 (the user blocked the bot)."""
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        """Undo block()."""
        self._blocked.discard(user_id)

    def fail_next(self, method: str, *, status: int, description: str,
                  retry_after: int | None = None, count: int = 1) -> None:
        """Answer the next `count` calls of `method` with that error instead of running them."""
        fault = Fault(status=status, description=description, retry_after=retry_after)
        self._faults.setdefault(method.lower(), deque()).extend([fault] * count)

    def drop_next(self, method: str, count: int = 1, *, processed: bool = False) -> None:
        """Close the connection without answering the next `count` calls of `method`.

        With processed=True the call takes effect first and only the answer is lost, as when
        Telegram delivered a message but the response never reached the bot.
        """
        fault = Fault(drop=True, processed=processed)
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

    def _next_fault(self, method: str) -> Fault | None:
        """The failure this call of `method` meets: an injected one first, else chaos's pick."""
        faults = self._faults.get(method.lower())
        return faults.popleft() if faults else self._chaos_fault(method)

    def _chaos_fault(self, method: str) -> Fault | None:
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
                return Fault(status=500, description="Internal Server Error")
            return Fault(status=502, description="Bad Gateway")
        if draw < chaos.error_rate + chaos.drop_rate:
            processed = chaos.rng.random() < 0.5
            self.stats["chaos"]["dropped_after" if processed else "dropped_before"] += 1
            return Fault(drop=True, processed=processed)
        return None

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
