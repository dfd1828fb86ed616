"""Database engine, sessions and schema migration."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text, util
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, MultipleResultsFound
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlalchemy.orm.util import identity_key
from sqlalchemy.util import greenlet_spawn

from bot import resources, sqlite_inloop

MIGRATIONS_DIR = resources.folder("migrations")


class DatabaseUnavailable(Exception):
    """The database cannot be opened: the server is down or elsewhere, or the name, user or password is wrong."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def async_url(url: str) -> str:
    """The URL the async engine is made from: plain SQLite (`sqlite:///file`) runs in the event loop's
    thread (bot.sqlite_inloop); a URL naming an async driver (`sqlite+aiosqlite`, `postgresql+asyncpg`)
    is used as it is."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return parsed.set(drivername=f"sqlite+{sqlite_inloop.DRIVER}").render_as_string(hide_password=False)
    return url


def make_engine(url: str, pool_size: int = 20) -> AsyncEngine:
    """Creates the engine; SQLite gets WAL, foreign keys and a busy timeout.

    A PostgreSQL pool keeps `pool_size` connections open (enough for the updates handled at once and the
    background workers, so none is opened and closed per update) and may open as many again in a burst;
    replicas × 2 × pool_size must fit the server's max_connections. Connections are not pinged before use
    (a round trip per unit of work): one the server dropped fails its update, which the inbox tries again.
    """
    url = async_url(url)
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)


# What AsyncSession asks of every execute: the rows read before the call returns.
_BUFFERED = util.immutabledict({"prebuffer_rows": True})


class InLoopSession(AsyncSession):
    """An AsyncSession for SQLite run in the event loop's thread (bot.sqlite_inloop): its driver never waits,
    so each call goes straight to the ORM session instead of through a greenlet (and, on exit, a task of its
    own), which cost several times the SQLite work of a small transaction. The same interface and results
    (rows buffered) as AsyncSession; the calls the application makes on every update are the ones taken
    straight, the others go through AsyncSession as before."""

    async def execute(self, statement, params=None, *, execution_options=util.EMPTY_DICT, bind_arguments=None,
                      **kw: Any):
        options = util.immutabledict(execution_options).union(_BUFFERED) if execution_options else _BUFFERED
        return self.sync_session.execute(statement, params, execution_options=options,
                                         bind_arguments=bind_arguments, **kw)

    async def scalar(self, statement, params=None, *, execution_options=util.EMPTY_DICT, bind_arguments=None,
                     **kw: Any):
        options = util.immutabledict(execution_options).union(_BUFFERED) if execution_options else _BUFFERED
        return self.sync_session.scalar(statement, params, execution_options=options,
                                        bind_arguments=bind_arguments, **kw)

    async def get(self, entity, ident, **kw: Any):
        return self.sync_session.get(entity, ident, **kw)

    async def refresh(self, instance: object, attribute_names=None, with_for_update=None) -> None:
        self.sync_session.refresh(instance, attribute_names=attribute_names, with_for_update=with_for_update)

    async def delete(self, instance: object) -> None:
        self.sync_session.delete(instance)

    async def flush(self, objects=None) -> None:
        self.sync_session.flush(objects=objects)

    async def commit(self) -> None:
        self.sync_session.commit()

    async def rollback(self) -> None:
        self.sync_session.rollback()

    async def close(self) -> None:
        self.sync_session.close()

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        # Nothing in a close can wait, so nothing can interrupt it half way: no task of its own needed.
        self.sync_session.close()


@functools.cache
def _compiled(statement, dialect) -> tuple[str, tuple[str, ...], dict, dict, tuple | None]:
    """A statement as the driver takes it: its SQL, the order of its parameters, their conversions, the values
    written into it, and the conversions of the columns it returns (None if none needs one); compiled once per
    statement (one built once, at import) and dialect."""
    compiled = statement.compile(dialect=dialect)
    fixed = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
    returned = tuple(entry.type._cached_result_processor(dialect, None) for entry in compiled._result_columns)
    return (compiled.string, tuple(compiled.positiontup), dict(compiled._bind_processors), fixed,
            returned if any(returned) else None)


async def execute_direct(session: AsyncSession, statement, params: dict) -> tuple[list[tuple], int]:
    """Runs a Core statement built once, returning (its rows as tuples, the rows it changed). With SQLite in the
    event loop it goes straight to the session's connection (same transaction), without SQLAlchemy's execution
    around it: for the statements run on every update. Elsewhere, through the session. Either way the session's
    changes are flushed first, as session.execute does (unless autoflush is off), and the values are converted
    both ways as session.execute converts them."""
    if not isinstance(session, InLoopSession):
        result = await session.execute(statement, params)
        if getattr(statement, "is_select", False):
            # A SELECT of a mapped table's columns comes back as the ORM's result, which counts no rows changed.
            return [tuple(row) for row in result], -1
        return ([tuple(row) for row in result] if result.returns_rows else []), result.rowcount
    sync = session.sync_session
    if sync.autoflush:
        sync.flush()  # nothing to do, and cheap, when the session holds no changes
    connection = sync.connection()
    sql, order, conversions, fixed, returned = _compiled(statement, connection.dialect)
    values = fixed | params if fixed else params
    cursor = connection.connection.driver_connection.execute(
        sql, [conversions[name](values[name]) if name in conversions else values[name] for name in order])
    try:
        rows = cursor.fetchall()
        if returned is not None:
            rows = [tuple(v if convert is None else convert(v) for convert, v in zip(returned, row)) for row in rows]
        return rows, cursor.rowcount
    finally:
        cursor.close()


class Shape:
    """How the object of one model is read out of a row of a direct statement: the columns to select (its
    table's, but those left `without`, to be loaded when first read, as a deferred column is), the attribute
    each is read into, and where its primary key is among them."""

    def __init__(self, model, without: tuple[str, ...] = ()) -> None:
        mapper = sa_inspect(model)
        if len(mapper.primary_key) != 1:
            raise ValueError(f"{model.__name__}: a direct read takes a model with a one-column primary key")
        self.model = model
        self.columns = tuple(column for column in mapper.local_table.c
                             if mapper.get_property_by_column(column).key not in without)
        self.keys = tuple(mapper.get_property_by_column(column).key for column in self.columns)
        self.width = len(self.columns)
        self._primary = self.columns.index(mapper.primary_key[0])
        self._manager = manager_of_class(model)

    def take(self, session: AsyncSession, row: tuple, start: int = 0):
        """The object of the row's columns from `start` on (None if an outer join found none), in the session as
        if the ORM had loaded it: the session's own object if it holds one already (with its changes), else a new
        one that lazy-loads, flushes its changes and expires as any other."""
        values = row[start:start + self.width]
        key = values[self._primary]
        if key is None:
            return None
        sync = session.sync_session
        kept = sync.identity_map.get(identity_key(self.model, key))
        if kept is not None:
            return kept
        return self._adopt(sync, zip(self.keys, values))

    def written(self, session: AsyncSession, values: dict):
        """The object of a row the application has just written with these values (the others empty), in the
        session as if read back."""
        return self._adopt(session.sync_session, ((key, values.get(key)) for key in self.keys))

    def _adopt(self, sync, values) -> object:
        instance = self._manager.new_instance()
        instance.__dict__.update(values)
        make_transient_to_detached(instance)  # as the row has it; columns left out load when first read
        sync.add(instance)
        return instance


@functools.cache
def shape(model, without: tuple[str, ...] = ()) -> Shape:
    return Shape(model, without)


def take_all(session: AsyncSession, row: tuple, shapes: tuple[Shape, ...]) -> list:
    """The objects of several shapes selected one after another, then the row's other values."""
    found, start = [], 0
    for each in shapes:
        found.append(each.take(session, row, start))
        start += each.width
    return found + list(row[start:])


def direct_select(model, *where):
    """A SELECT of every column of the model's table, for load_direct (build it once, at import)."""
    return select(*shape(model).columns).where(*where)


async def load_direct(session: AsyncSession, model, statement, params: dict):
    """The object of the one row a `direct_select` statement finds (None for none), as Shape.take makes it. The
    ORM's loading cost more than the statement on the paths that read a member on every update."""
    rows, _ = await execute_direct(session, statement, params)
    if not rows:
        return None
    if len(rows) > 1:
        raise MultipleResultsFound(f"{len(rows)} rows of {model.__name__} where one was expected")
    return shape(model).take(session, rows[0])


class Database:
    """Owns the engine and hands out sessions that commit at the end of a unit of work.

    SQLite lets one connection write at a time, and a transaction that read before another one wrote
    cannot write at all ("database is locked"); so with SQLite the sessions of this process take turns
    (updates of different members are handled concurrently, but only their Bot API calls overlap).
    PostgreSQL sessions run side by side.
    """

    def __init__(self, url: str, pool_size: int = 20) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size)
        self._in_loop = self.engine.dialect.driver == sqlite_inloop.DRIVER
        self._connected = False
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False,
                                               class_=InLoopSession if self._in_loop else AsyncSession)
        self._turn = asyncio.Lock() if is_sqlite(url) else None
        # Set while the current task holds the turn, so that a session opened inside another waits for none.
        self._holding: ContextVar[bool] = ContextVar(f"holding_{id(self)}", default=False)
        # SQLite in the event loop: the session of whoever holds the turn, on its own connection (_turn_session).
        self._turns: InLoopSession | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One transaction: commits when the block ends, rolls back if it raises."""
        if self._turn is None or self._holding.get():
            async with self._transaction() as session:
                yield session
            return
        async with self._turn:
            token = self._holding.set(True)
            try:
                async with (self._turn_session() if self._in_loop else self._transaction()) as session:
                    yield session
            finally:
                self._holding.reset(token)

    @asynccontextmanager
    async def _turn_session(self) -> AsyncIterator[AsyncSession]:
        """SQLite in the event loop: the turns take one session on one connection, each its own transaction in
        it, instead of a new session and a connection from the pool each (which cost twenty times the SQLite
        work of a small transaction). A session opened inside a turn gets one of its own (_transaction)."""
        session = self._turns
        if session is None:
            # An engine's first connection runs its set-up under an asyncio lock: in a greenlet, once.
            connection = await greenlet_spawn(self.engine.sync_engine.connect)
            self._connected = True
            session = self._turns = self.sessionmaker(bind=AsyncConnection(self.engine, connection))
        connection = session.sync_session.bind
        if connection.in_transaction():
            # Never the case after a turn ended, however it ended; were it, the session would join that
            # transaction and not commit its own work.
            connection.rollback()
        try:
            with session.sync_session.begin():
                yield session
        finally:
            session.sync_session.close()
            if self._turns is not session:  # the database was disposed of during this turn
                connection.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        if not self._in_loop:
            async with self.sessionmaker() as session, session.begin():
                yield session
            return
        session = self.sessionmaker()
        try:
            with session.sync_session.begin():
                if not self._connected:
                    # An engine's first connection runs its set-up under an asyncio lock: in a greenlet, once.
                    await greenlet_spawn(session.sync_session.connection)
                    self._connected = True
                yield session
        finally:
            session.sync_session.close()

    async def dispose(self) -> None:
        if self._turns is not None:
            connection, self._turns = self._turns.sync_session.bind, None
            if not connection.in_transaction():
                connection.close()  # else the turn in progress closes it when it ends
        await self.engine.dispose()
        self._connected = False


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def _ensure_sqlite_dir(url: str) -> None:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def shown_url(url: str) -> str:
    """The URL as it may be printed: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def check_connection(url: str) -> None:
    """Opens the database once (creating a new SQLite file's folder); raises DatabaseUnavailable saying why not."""

    async def connect() -> None:
        database = Database(url)
        try:
            async with database.session() as session:
                await session.execute(text("SELECT 1"))
        finally:
            await database.dispose()

    try:
        _ensure_sqlite_dir(url)
        asyncio.run(connect())
    except Exception as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        raise DatabaseUnavailable(f"{type(reason).__name__}: {reason}".strip()) from exc


def migrate(url: str, revision: str = "head") -> None:
    """Brings the database to `revision` (creating it if it is a new SQLite file)."""
    from alembic import command

    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)
