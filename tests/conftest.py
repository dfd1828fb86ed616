"""Fixtures: a real database (SQLite file, or PostgreSQL when SAHAKOR_TEST_DATABASE_URL is set), the
local fake Bot API server, and the real application polling it over HTTP."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.app import build_application
from bot.runner import Runner
from bot.clock import FrozenClock
from bot.config import Settings
from bot.db import Database, migrate
from bot.fakeapi import FakeTelegram
from bot.models import Base

PG_URL = os.environ.get("SAHAKOR_TEST_DATABASE_URL", "").strip()
COORDINATOR_ID = 9000


def _pg_admin(url: str, statement: str) -> None:
    """Runs CREATE/DROP DATABASE on the server's maintenance database."""
    import asyncpg

    parsed = make_url(url)

    async def run() -> None:
        conn = await asyncpg.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
                                     user=parsed.username or "postgres", password=parsed.password,
                                     database="postgres")
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A database migrated to the latest revision, once per test session."""
    if PG_URL:
        name = f"sahakor_test_{uuid.uuid4().hex[:10]}"
        _pg_admin(PG_URL, f'CREATE DATABASE "{name}"')
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        migrate(url)
        yield url
        _pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        url = f"sqlite:///{path}"
        migrate(url)
        yield url


@pytest.fixture
async def db(database_url, tmp_path) -> Database:
    """A clean database for one test: a copy of the migrated SQLite file, or emptied PostgreSQL tables."""
    if PG_URL:
        url = database_url
        database = Database(url)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with database.session() as session:
            await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    else:
        source = make_url(database_url).database
        target = tmp_path / "bot.sqlite3"
        shutil.copy(source, target)
        database = Database(f"sqlite:///{target}")
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2024, 12, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
async def telegram() -> FakeTelegram:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


class BotRunner:
    """Runs the real application against the fake server with the real polling loop; can restart it."""

    def __init__(self, server: FakeTelegram, db: Database, clock: FrozenClock, settings: Settings, *,
                 webhook: bool = False) -> None:
        self.server = server
        self.webhook = webhook
        self.db = db
        self.clock = clock
        self.settings = settings
        self.app = None
        self.errors: list[BaseException] = []
        self._processed: Counter[int] = Counter()
        self._changed = asyncio.Condition()
        server.settle = self.settle

    def _on_update(self, update) -> None:
        self._processed[getattr(update, "update_id", -1)] += 1
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def settle(self, update_id: int, times: int = 1, timeout: float = 10.0) -> None:
        """Waits until the bot has finished handling the update (event-driven, no sleeping)."""
        async def done() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: self._processed[update_id] >= times)

        await asyncio.wait_for(done(), timeout)

    async def start(self) -> None:
        self.app = build_application(self.settings, db=self.db, clock=self.clock)
        services = self.app.bot_data["services"]
        services.update_listeners.append(self._on_update)
        services.error_listeners.append(lambda _update, error: self.errors.append(error))
        self.runner = Runner(self.app, webhook=self.webhook, poll_timeout=1, poll_pause=0)
        await self.runner.start()

    async def stop(self) -> None:
        await self.runner.stop()

    async def restart(self) -> None:
        await self.stop()
        await self.start()


def make_settings(server: FakeTelegram, db: Database, **overrides) -> Settings:
    values = dict(
        token=server.token,
        database_url=db.url,
        api_base_url=server.base_url,
        api_file_url=server.base_file_url,
        coordinator_ids=frozenset({COORDINATOR_ID}),
        network_retry_base_delay=0.01,
        poll_timeout=1,
        rate_overall_per_second=0,
        progress_interval=0,
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def bot(telegram, db, clock) -> BotRunner:
    """The running bot. Fails the test if any handler raised."""
    runner = BotRunner(telegram, db, clock, make_settings(telegram, db))
    await runner.start()
    yield runner
    await runner.stop()
    assert runner.errors == [], f"handlers raised: {runner.errors!r}"
