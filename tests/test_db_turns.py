"""SQLite in the event loop: the units of work take turns on one session and one connection (bot.db.Database.
_turn_session). Each turn is still its own transaction: what one commits stays, what one that fails wrote is
gone, and a session opened inside a turn is a transaction of its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.models import Member
from bot.services import members
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="the turns are SQLite's (PostgreSQL sessions run side by side)")

NOW = datetime(2024, 12, 13, 1, 30, tzinfo=UTC)


async def _count(db) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(Member))


async def test_turns_share_one_connection_and_each_commits_or_rolls_back_its_own_work(db):
    async with db.session() as session:
        first = session.sync_session.connection()
        await members.start(session, telegram_id=601, payload=None, now=NOW)
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            assert session.sync_session.connection() is first
            await members.start(session, telegram_id=602, payload=None, now=NOW)
            raise RuntimeError("the handler fails")
    async with db.session() as session:
        assert session.sync_session.connection() is first
        assert not session.sync_session.identity_map  # nothing of an earlier turn is left in the session
        assert await members.get(session, 601) is not None and await members.get(session, 602) is None
    assert await _count(db) == 1


async def test_a_session_opened_inside_a_turn_is_a_transaction_of_its_own(db):
    async with db.session() as outer:
        async with db.session() as inner:
            assert inner is not outer
            assert inner.sync_session.connection() is not outer.sync_session.connection()
            await members.start(inner, telegram_id=603, payload=None, now=NOW)
        # committed on its own: seen from the turn's connection once the turn reads again
        assert await members.get(outer, 603) is not None
    assert await _count(db) == 1


async def test_a_turn_left_inside_a_transaction_is_rolled_back_before_the_next_one(db):
    async with db.session() as session:
        connection = session.sync_session.connection()
    connection.begin()  # as if a turn had ended half way (never the case): the next must not join it
    async with db.session() as session:
        await members.start(session, telegram_id=604, payload=None, now=NOW)
    assert not connection.in_transaction()
    assert await _count(db) == 1


async def test_disposing_of_the_database_during_a_turn_closes_its_connection_when_the_turn_ends(db):
    async with db.session() as session:
        connection = session.sync_session.connection()
        await db.dispose()
        await members.start(session, telegram_id=605, payload=None, now=NOW)
    assert connection.closed
    assert await _count(db) == 1  # committed, and the database opens again
