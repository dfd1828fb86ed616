"""Numbers and dates as each reader writes them: Khmer digits on Khmer screens, day-first dates in both
languages, and typed Khmer or Latin digits both understood."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from openpyxl import load_workbook

from bot import exports
from bot.i18n import LOCALES_DIR, translator
from bot.services import attendance, events
from bot.text import khmer_digits, normalize_digits, parse_int
from handlers.events.attendance import _bars, attendance_chart
from tests.helpers_events import invite, make_event, members_of
from tests.helpers_groups import QUESTION_EN, QUESTION_KM, coordinator_in, make_event as make_group_event
from tests.helpers_workshop import seed_workshop

en = translator("en")
km = translator("km")
PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
LATIN_DIGIT = re.compile(r"[0-9]")
PLACEHOLDER = re.compile(r"\{[^}]*\}")
CODE = re.compile(r"[\w$-]*[A-Za-z_=$][\w$=-]*", re.ASCII)  # an ASCII token such as start=1, columns-3 or q1
# 13 December 2024, 08:30 in Phnom Penh.
MOMENT = datetime(2024, 12, 13, 1, 30, tzinfo=UTC)


def test_the_translator_writes_numbers_dates_and_times_in_khmer_digits_in_khmer():
    assert km.number(1_041) == "១,០៤១"
    assert km.number(2024, grouped=False) == "២០២៤"
    assert km.number(2.5) == "២.៥"
    assert km.percent(0.24) == "២៤%"
    assert km.date(MOMENT, PHNOM_PENH) == "១៣ ធ្នូ ២០២៤"
    assert km.date(MOMENT, PHNOM_PENH, "full") == "សុក្រ ១៣ ធ្នូ ២០២៤"
    assert km.datetime(MOMENT, PHNOM_PENH) == "សុក្រ ១៣ ធ្នូ ២០២៤, ០៨:៣០"
    assert km.duration(timedelta(hours=2)) == "២ ម៉ោង"
    assert (en.number(1_041), en.percent(0.24), en.duration(timedelta(hours=2))) == ("1,041", "24%", "2 hours")


def test_short_dates_are_day_first_in_both_languages_as_coordinators_type_them():
    assert en.date(MOMENT, PHNOM_PENH, "short") == "13/12/2024"
    assert en.datetime(MOMENT, PHNOM_PENH, "short") == "13/12/2024 08:30"
    assert km.date(MOMENT, PHNOM_PENH, "short") == "១៣/១២/២០២៤"
    assert km.datetime(MOMENT, PHNOM_PENH, "short") == "១៣/១២/២០២៤ ០៨:៣០"
    # What is shown can be typed back as it is.
    assert events.parse_moment(en.datetime(MOMENT, PHNOM_PENH, "short"), PHNOM_PENH) == MOMENT
    assert events.parse_moment(km.datetime(MOMENT, PHNOM_PENH, "short"), PHNOM_PENH) == MOMENT


@pytest.mark.parametrize("typed", ["60", "៦០", " ៦០ "])
def test_typed_khmer_and_latin_digits_are_both_read(typed):
    assert parse_int(typed) == 60
    assert normalize_digits(khmer_digits("012 345 678")) == "012 345 678"


async def test_a_khmer_invitation_shows_its_date_time_deadline_and_seats_in_khmer_digits(bot, telegram, db, clock):
    deadline = datetime(2024, 12, 10, 17, 0, tzinfo=PHNOM_PENH)
    [sokha, dara] = await members_of(db, telegram, clock, "km", 701) + await members_of(db, telegram, clock, "en", 702)
    event_id = await make_event(db, clock, capacity=60, rsvp_deadline=deadline.astimezone(UTC))
    await invite(bot, db, clock, event_id, [701, 702])

    text = sokha.last.text
    assert "🗓 សុក្រ ១៣ ធ្នូ ២០២៤, ០៨:៣០ – ១៧:០០" in text
    assert km("Please answer by {deadline}.").format(deadline="អង្គារ ១០ ធ្នូ ២០២៤, ១៧:០០") in text
    assert "មានកៅអី ៦០។" in text
    assert not LATIN_DIGIT.search(text)
    assert "60 seats." in dara.last.text and "08:30" in dara.last.text


async def test_an_english_coordinator_sees_the_closing_time_day_first(bot, telegram, db, clock):
    event_id = await make_group_event(db, clock)
    coordinator = await coordinator_in(telegram, en)
    await coordinator.command("consult")
    await coordinator.press("➕ " + en("New consultation"))
    await coordinator.send(QUESTION_EN)
    await coordinator.send(QUESTION_KM)
    await coordinator.press("✅ " + en("Use the agroecology policy themes"))
    await coordinator.press_data(f"csa:f:ev:{event_id}")
    await coordinator.send("១៣/១២/២០២៤ ១៧:០០")  # typed with Khmer digits, read all the same
    assert en("Open until {time}.").format(time="13/12/2024 17:00") in coordinator.last.text


async def test_attendance_chart_labels_are_in_khmer_digits_for_a_khmer_coordinator(bot, telegram, db, clock):
    event, _ids = await seed_workshop(db, telegram, clock)
    async with db.session() as session:
        report = await attendance.report(session, event.id)
    women = next(bar for bar in _bars(report, "gender", km) if bar.label == km("Woman"))
    assert (women.value, women.text) == (10, "១០ (២៤%)")
    assert all(not LATIN_DIGIT.search(bar.text) for bar in _bars(report, "stakeholder", km))
    assert next(bar.text for bar in _bars(report, "gender", en) if bar.label == en("Woman")) == "10 (24%)"
    assert attendance_chart(report, km).startswith(b"\x89PNG")


def test_spreadsheet_cells_keep_real_numbers_and_dates():
    moment = MOMENT.astimezone(PHNOM_PENH)
    data = exports.workbook("Attendees", ["Name", "Seats", "Checked in at"], [["Sokha", 60, moment]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert [cell.value for cell in sheet[2]] == ["Sokha", 60, datetime(2024, 12, 13, 8, 30)]
    assert sheet["C2"].number_format == "dd/mm/yyyy hh:mm"


def test_khmer_translations_write_their_own_examples_and_counts_in_khmer_digits():
    """Digits inside what a coordinator types into a form (start=1, columns-3) stay as they are typed."""
    with (LOCALES_DIR / "km" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="km")
    latin = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            prose = CODE.sub("", PLACEHOLDER.sub("", text or ""))
            if LATIN_DIGIT.search(prose):
                latin.append(text)
    assert latin == []
