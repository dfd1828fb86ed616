"""Several bot processes on one database: who is the leader, and who may use a SQLite file.

The leader runs the scheduled jobs (reminders, post-event surveys, closing polls) and, in polling mode,
is the one that polls; every process handles updates from the inbox and sends from the outbox. On
PostgreSQL the leader holds a session advisory lock on a connection of its own: when the process dies,
the server ends the connection and the lock with it, and another process takes over at its next try.
SQLite supports one bot process per file: that process is the leader, and a second one refuses to start.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import metrics
from bot.background import cancel
from bot.db import Database, is_sqlite

log = logging.getLogger("sahakor.cluster")

# The advisory lock the leader holds ("sahakor" in ASCII, as a number).
LEADER_LOCK = 0x736168616B6F72

Hook = Callable[[], Awaitable[None]]


class AlreadyRunning(Exception):
    """Another bot process already uses this SQLite database."""


def identity() -> str:
    """A name for this process, unique among the replicas (host, process id and a random part)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class SqliteLock:
    """Holds an exclusive lock on `<database>.lock` while the process runs, so a second one cannot start."""

    def __init__(self, url: str) -> None:
        database = make_url(url).database or ""
        self.path = Path(f"{database}.lock") if database and database != ":memory:" else None
        self._file = None

    def acquire(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise AlreadyRunning(
                f"Another Sahakor process is already running on {self.path.with_suffix('')}. SQLite supports one "
                "bot process; stop the other one, or use PostgreSQL (DATABASE_URL=postgresql+asyncpg://...) "
                "to run several.") from None
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class Leadership:
    """Elects one leader among the processes on a database, and tells this one when it wins or loses."""

    def __init__(self, db: Database, *, on_elected: Hook, on_deposed: Hook, check_interval: float = 5.0) -> None:
        self.db = db
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.check_interval = check_interval
        self.is_leader = False
        self._connection: AsyncConnection | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """SQLite: this process leads (it is the only one). PostgreSQL: tries now, then every interval."""
        if is_sqlite(self.db.url):
            await self._elected()
            return
        await self._try()
        self._task = asyncio.create_task(self._watch(), name="leadership")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None
        if self.is_leader:
            await self._deposed()
        await self._close()

    async def _try(self) -> None:
        """Takes the leader's lock if it is free; checks the connection that holds it if we lead."""
        try:
            if self._connection is None:
                self._connection = await self.db.engine.connect()
            if self.is_leader:
                await self._connection.execute(text("SELECT 1"))
                await self._connection.commit()
                return
            won = await self._connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK})
            await self._connection.commit()
        except Exception as exc:  # the connection (and with it the lock) is gone
            log.warning("the leader's database connection failed (%s)", exc)
            await self._close()
            if self.is_leader:
                await self._deposed()
            return
        if won:
            await self._elected()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.check_interval)
            await self._try()

    async def _elected(self) -> None:
        self.is_leader = True
        metrics.LEADER.set(1)
        log.info("this process is the leader: it runs the scheduled jobs")
        await self.on_elected()

    async def _deposed(self) -> None:
        self.is_leader = False
        metrics.LEADER.set(0)
        log.warning("this process is no longer the leader")
        await self.on_deposed()

    async def _close(self) -> None:
        """Drops the lock's connection for good (returned to the pool, it would keep the lock)."""
        if self._connection is not None:
            try:
                await self._connection.invalidate()
                await self._connection.close()
            except Exception:
                pass
            self._connection = None
