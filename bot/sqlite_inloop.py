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

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL

DRIVER = "inloop"


class SQLiteInLoopDialect(SQLiteDialect_pysqlite):
    driver = DRIVER
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool


registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteInLoopDialect")
