"""bot.db.load_direct: a member read without the ORM's loading behaves as the ORM's own object would (SQLite
in the event loop and PostgreSQL alike)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, literal, select
from sqlalchemy.exc import MultipleResultsFound

from bot.db import direct_select, execute_direct, load_direct, shape, take_all
from bot.models import Coordinator, Member
from bot.services import members

NOW = datetime(2024, 12, 13, 1, 30, tzinfo=UTC)
_BY_LANGUAGE = direct_select(Member, Member.language == bindparam("language"))


async def _add(db, telegram_id: int, **fields) -> None:
    async with db.session() as session:
        await members.start(session, telegram_id=telegram_id, payload=None, now=NOW)
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
        for name, value in fields.items():
            setattr(member, name, value)


async def test_a_member_read_directly_equals_the_one_the_orm_reads(db):
    await _add(db, 501, name="Sokha <b>", registered_at=NOW, province="PP", receives_announcements=False)
    async with db.session() as session:
        direct = await members.get(session, 501)
        session.expunge(direct)
        orm = await session.scalar(select(Member).where(Member.telegram_id == 501))
        assert direct is not orm
        for column in Member.__table__.c:
            assert getattr(direct, column.key) == getattr(orm, column.key), column.key
        assert direct.registered_at.tzinfo is not None and direct.receives_announcements is False


async def test_a_member_read_twice_in_a_session_is_one_object_with_its_unsaved_changes(db):
    await _add(db, 502)
    async with db.session() as session:
        first = await members.get(session, 502)
        first.name = "Dara"
        again = await members.get(session, 502)
        assert again is first and again.name == "Dara"
        assert await members.get(session, 999) is None


async def test_a_change_to_a_member_read_directly_is_saved_and_a_rollback_undoes_it(db):
    await _add(db, 503)
    async with db.session() as session:
        (await members.get(session, 503)).organisation = "CEDAC"
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            (await members.get(session, 503)).organisation = "lost"
            await session.flush()
            raise RuntimeError("the unit of work fails")
    async with db.session() as session:
        assert (await members.get(session, 503)).organisation == "CEDAC"


async def test_a_statement_that_finds_several_rows_is_refused(db):
    await _add(db, 504)
    await _add(db, 505)
    async with db.session() as session:
        with pytest.raises(MultipleResultsFound):
            await load_direct(session, Member, _BY_LANGUAGE, {"language": "en"})


async def test_a_column_left_out_is_loaded_when_asked_for_and_an_outer_join_that_found_nothing_is_none(db):
    await _add(db, 506, name="Sreymom")
    members_and_coordinators = (shape(Member, without=("name",)), shape(Coordinator))
    statement = (select(*members_and_coordinators[0].columns, *members_and_coordinators[1].columns, literal(7))
                 .select_from(Member).outerjoin(Coordinator, Coordinator.telegram_id == Member.telegram_id)
                 .where(Member.telegram_id == bindparam("telegram_id")))
    async with db.session() as session:
        rows, _ = await execute_direct(session, statement, {"telegram_id": 506})
        member, coordinator, seven = take_all(session, rows[0], members_and_coordinators)
        assert coordinator is None and seven == 7
        assert "name" not in member.__dict__  # as a deferred column: loaded when asked for
        await session.refresh(member, ["name"])
        assert member.name == "Sreymom"
