"""Surveys for tests: XLSForm workbooks built in memory, the people who answer, sending a survey and reading the
answers back."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot import xlsform
from bot.i18n import translator
from bot.models import Member, Survey, SurveyAnswer, SurveyResponse
from tests.conftest import COORDINATOR_ID
from tests.helpers_members import seed_members
from tests.helpers_outbox import wait_done

en = translator("en")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["type", "name", "label::English (en)", "label::Khmer (km)", "required", "relevant", "constraint"]
YES_NO = [["yes_no", "yes", "Yes", "បាទ/ចាស"], ["yes_no", "no", "No", "ទេ"]]


def workbook(rows, *, header=HEADER, choices=YES_NO, sheet="survey", extra_sheets=()) -> bytes:
    book = Workbook()
    survey = book.active
    survey.title = sheet
    survey.append(header)
    for row in rows:
        survey.append(row)
    if choices is not None:
        sheet_choices = book.create_sheet("choices")
        sheet_choices.append(["list_name", "name", "label::English (en)", "label::Khmer (km)"])
        for row in choices:
            sheet_choices.append(row)
    for name in extra_sheets:
        book.create_sheet(name)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def problems(data: bytes) -> list[tuple[str, int | None, dict]]:
    with pytest.raises(xlsform.InvalidForm) as caught:
        xlsform.parse(data)
    return [(p.reason, p.row, p.params) for p in caught.value.problems]


async def people(db, telegram, clock):
    """A coordinator, a Khmer-reading woman farmer and an English-reading man from an NGO."""
    await seed_members(db, telegram, clock, 1, start_id=COORDINATOR_ID, language="en", name="Coordinator")
    await seed_members(db, telegram, clock, 1, start_id=501, language="km", gender="woman", stakeholder="farmer",
                       name="សុខា")
    await seed_members(db, telegram, clock, 1, start_id=502, language="en", gender="man", stakeholder="ngo",
                       name="Dara")
    return (telegram.user(COORDINATOR_ID, "Coordinator"), telegram.user(501, "Sokha", language_code="km"),
            telegram.user(502, "Dara"))


async def latest_survey(db) -> Survey:
    async with db.session() as session:
        return await session.scalar(select(Survey).order_by(Survey.id.desc()).limit(1))


async def send_and_deliver(bot, db, coordinator) -> Survey:
    await coordinator.press("📤 " + en("Send"))
    survey = await latest_survey(db)
    await wait_done(bot, db, survey.delivery_id)
    return survey


async def answers_of(db, member_id: int) -> dict:
    async with db.session() as session:
        rows = await session.execute(
            select(SurveyAnswer.question, SurveyAnswer.value, SurveyAnswer.voice_file_id)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(Member, Member.id == SurveyResponse.member_id)
            .where(Member.telegram_id == member_id))
        return {q: (v if f is None else ("voice", f)) for q, v, f in rows}


def alerts(telegram) -> list[str]:
    return [a.get("text") for a in telegram.callback_answers]
