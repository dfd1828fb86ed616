"""Pacers: how fast mass sends (and the worker's own messages) may go out.

`Pacer` keeps the pace inside one process (SQLite: one process owns the file). `SharedPacer` keeps one pace
for every bot process on a PostgreSQL database, through the `send_budget` row. Both take their clocks and
their sleep from the caller, so tests move time instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

from bot.db import Database
from bot.services import budget

Sleep = Callable[[float], Awaitable[None]]


class Pacer:
    """Spaces sends evenly at `per_second`: sustained, never in bursts.

    After a short stall (the database round trip between windows) it may catch up by at most
    `catch_up` seconds' worth of sends, so the average rate holds without a burst.
    """

    def __init__(self, per_second: float | None, catch_up: float = 0.1, *,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.catch_up = catch_up
        self.monotonic = monotonic
        self.sleep = sleep
        self._next = -math.inf
        self._paused_until = -math.inf

    def make_room(self, most: float = 5.0) -> None:
        """Another send went out on the same budget (a reply to a member): the next mass send waits one
        interval longer, so replies and mass sends together stay within the limit. Never more than `most`
        seconds of delay build up."""
        if not self.interval:
            return
        now = self.monotonic()
        self._next = min(max(self._next, now - self.catch_up) + self.interval, now + most)

    async def pause(self, seconds: float) -> None:
        """Telegram asked to slow down: nothing more goes out for `seconds`."""
        self._paused_until = max(self._paused_until, self.monotonic() + seconds)

    async def wait(self) -> None:
        """Waits for this process's next free moment to send."""
        now = self.monotonic()
        start = max(self._next, now - self.catch_up, self._paused_until)
        self._next = start + self.interval
        if start > now:
            await self.sleep(start - now)


class SharedPacer:
    """Spaces sends at `per_second` across every process on one database.

    Slots are reserved from `send_budget` a block at a time (one statement for a window of sends); each send
    waits for its own slot. Replies this process sent meanwhile (`make_room`) are added to the next
    reservation, so they count against the same limit. A 429 pushes the budget back for every process; the
    one that got it gives up the slots it had reserved (others may still use theirs: a window's worth at most).
    """

    def __init__(self, db: Database, per_second: float, *, block: int = 1, catch_up: float = 0.1,
                 most: float = 5.0, wall: Callable[[], float] = time.time, sleep: Sleep = asyncio.sleep,
                 name: str = budget.TELEGRAM) -> None:
        self.db = db
        self.interval = 1.0 / per_second
        self.block = max(1, block)
        self.catch_up = catch_up
        self.wall = wall
        self.sleep = sleep
        self.name = name
        # Replies sent since the last reservation (their moments); a flood counts as `most` seconds at most.
        self._replies: deque[float] = deque(maxlen=max(1, math.ceil(most * per_second)))
        self._slots: deque[tuple[float, int]] = deque()
        self._generation = 0
        self._lock = asyncio.Lock()

    def make_room(self) -> None:
        """A reply went out on the same budget; it is counted in this process's next reservation."""
        self._replies.append(self.wall())

    async def pause(self, seconds: float) -> None:
        """Telegram asked to slow down: no process sends for `seconds`; slots already reserved are given up."""
        async with self._lock:  # no reservation is taken while the budget moves
            self._generation += 1
            self._slots.clear()
            async with self.db.session() as session:
                await budget.push_back(session, until=self.wall() + seconds, name=self.name)

    async def wait(self) -> None:
        """Waits for the next reserved slot (reserving a block of them when none is left)."""
        while True:
            slot, generation = await self._take()
            delay = slot - self.wall()
            if delay > 0.001:  # slots are sums of floats: a hair past now is now
                await self.sleep(delay)
            if generation == self._generation:
                return
            # A 429 came while this send waited: its slot is void, take one after the pause.

    async def _take(self) -> tuple[float, int]:
        async with self._lock:
            now = self.wall()
            # A slot left unused too long ago would make a burst if taken now.
            while self._slots and self._slots[0][0] < now - self.catch_up:
                self._slots.popleft()
            if not self._slots:
                await self._reserve(now)
            return self._slots.popleft()

    async def _reserve(self, now: float) -> None:
        generation = self._generation
        replies = sum(1 for moment in self._replies if moment >= now - 1.0)
        self._replies.clear()
        count = self.block + replies
        async with self.db.session() as session:
            end = await budget.reserve(session, now=now, count=count, interval=self.interval,
                                       catch_up=self.catch_up, name=self.name)
        # The replies already went out: they take the first slots of the reservation.
        first = end - self.block * self.interval
        self._slots.extend((first + i * self.interval, generation) for i in range(self.block))
