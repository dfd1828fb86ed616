"""SQLite for the async engine, run in the event loop's own thread.

SQLAlchemy's aiosqlite driver hands every cursor call to a helper thread and back; a transaction of
three statements makes about a dozen such trips, each costing more than the SQLite work itself (a
lookup by an indexed column on a local file takes microseconds). This dialect is the standard
pysqlite one declared usable from asyncio: SQLAlchemy's async layer then calls it directly, with no
thread and no await in between. The bot's sessions take turns (bot.db.Database), so a call never
waits on another session of the same process; a lock held by another process is waited for up to
SQLite's busy timeout.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL

DRIVER = "inloop"


class InLoopCursor(sqlite3.Cursor):
    """A sqlite3 cursor with the one coroutine SQLAlchemy's async results call on a driver's cursor."""

    async def _async_soft_close(self) -> None:
        """Nothing to release early: the rows are read from the file as they are fetched."""


class InLoopConnection(sqlite3.Connection):
    def cursor(self, factory=InLoopCursor):  # noqa: D102 - sqlite3's own signature
        return super().cursor(factory)


class SQLiteInLoopDialect(SQLiteDialect_pysqlite):
    driver = DRIVER
    is_async = True
    supports_statement_cache = True

    def create_connect_args(self, url: URL):
        args, options = super().create_connect_args(url)
        options["factory"] = InLoopConnection
        return args, options

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool


registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteInLoopDialect")
