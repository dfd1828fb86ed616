"""The attendance report: the real workshop (41 attendees including 10 women), in both languages."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.i18n import translator
from bot.services import attendance
from handlers.events import callbacks
from handlers.events.attendance import donor_sentence
from tests.helpers_workshop import (
    STAKEHOLDER_CYCLE,
    TITLE_EN,
    TITLE_KM,
    WORKSHOP_START,
    add_member,
    answer,
    check_in,
    coordinator,
    create_event,
    invite,
    seed_workshop,
)

km = translator("km")
en = translator("en")


def member_row(i: int, _) -> tuple:
    """What the attendee list says of member i of the seeded workshop (checked in at 08:05 + i minutes)."""
    provinces = {"en": {"12": "Phnom Penh", "07": "Kampot"}, "km": {"12": "រាជធានីភ្នំពេញ", "07": "កំពត"}}[_.language]
    stakeholders = {"farmer": "Farmer / producer", "ngo": "NGO / CSO", "government": "Government"}
    rsvp = _("Going") if i < 35 else _("Maybe") if i < 37 else None
    return (f"Member {i:02d}", _("Woman") if i < 8 else _("Man"), _(stakeholders[STAKEHOLDER_CYCLE[i % 3]]),
            "CEDAC" if i == 0 else None, provinces["12" if i % 2 == 0 else "07"], "+85512000000" if i == 0 else None,
            rsvp, _("QR code") if i < 30 else _("Checked in by a coordinator"),
            datetime(2024, 12, 13, 8, 5) + timedelta(minutes=i))


@pytest.mark.parametrize("language", ["en", "km"])
async def test_workshop_report_says_41_attendees_including_10_women_in_both_languages(bot, telegram, db, clock,
                                                                                      language):
    _ = translator(language)
    event, _ids = await seed_workshop(db, telegram, clock)
    boss = await coordinator(db, telegram, clock, language)
    clock.set(WORKSHOP_START + timedelta(hours=9))

    await boss.command("report")
    assert boss.last.text == _("Choose the event for the attendance report:")
    await boss.press(callbacks.ATTENDANCE.data(event.id))

    summary, breakdown, workbook, chart = boss.messages[-4:]
    lines = summary.text.splitlines()
    assert lines[1] == f"<b>{TITLE_KM if language == 'km' else TITLE_EN}</b>"
    n = _.digits
    assert lines[4:8] == [
        _("Invited: {count}").format(count=n("60")),
        _("Going: {going} · Maybe: {maybe} · Can't go: {no} · Waitlisted: {waitlisted}").format(
            going=n("40"), maybe=n("5"), no=n("6"), waitlisted=n("2")),
        _("Checked in: {count} (members: {members}, walk-ins: {walkins})").format(
            count=n("41"), members=n("38"), walkins=n("3")),
        _("Show-up rate: {rate} ({came} of the {going} who said Going)").format(rate=n("88%"), came=n("35"),
                                                                               going=n("40")),
    ]
    sentences = lines[-2:]
    assert donor_sentence(41, 10, en) == "41 attendees including 10 women"
    assert set(sentences) == {donor_sentence(41, 10, en), donor_sentence(41, 10, km)}
    assert sentences[0] == donor_sentence(41, 10, _)
    if language == "km":
        assert sentences[0] == "អ្នកចូលរួម ៤១ នាក់ ក្នុងនោះស្ត្រី ១០ នាក់"
        # Every Khmer line in Khmer digits (the English sentence for reports aside), the date included.
        assert lines[2] == "🗓 សុក្រ ១៣ ធ្នូ ២០២៤, ០៨:៣០ – ១៧:០០"
        assert not re.search(r"[0-9]", "\n".join(lines[:-1]))

    group_line = ("{group}: invited {invited} · going {going} · maybe {maybe} · can't go {no} · waitlisted "
                  "{waitlisted} · checked in {checked_in} ({share}) · show-up {rate}")
    women = _(group_line).format(group=f"<b>{_('Woman')}</b>", invited=n("10"), going=n("10"), maybe=n("0"),
                                 no=n("0"), waitlisted=n("0"), checked_in=n("10"), share=n("24%"), rate=n("80%"))
    no_province = _(group_line).format(group="<b>—</b>", invited=n("0"), going=n("0"), maybe=n("0"), no=n("0"),
                                       waitlisted=n("0"), checked_in=n("3"), share=n("7%"), rate="—")
    assert women in breakdown.text.splitlines()
    assert no_province in breakdown.text.splitlines()
    assert breakdown.text.splitlines()[-1] == no_province
    assert f"<b>{_('By province')}</b>" in breakdown.text
    if language == "km":
        assert not re.search(r"[0-9]", breakdown.text)

    filename, content = workbook.document
    assert filename == f"attendance-{event.id}-2024-12-13.xlsx"
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0] == (_("Name"), _("Gender"), _("Stakeholder type"), _("Organisation"), _("Province"), _("Phone"),
                       _("RSVP answer"), _("Check-in method"), _("Checked in at"))
    assert rows[1:39] == [member_row(i, _) for i in range(38)]
    assert rows[39:] == [
        ("Chea Sreymom", _("Woman"), _("Farmer / producer"), "Takeo women's group", None, None, None, _("Walk-in"),
         datetime(2024, 12, 13, 9, 10)),
        ("Sok Lina", _("Woman"), _("Farmer organisation / agricultural cooperative"), None, None, None, None,
         _("Walk-in"), datetime(2024, 12, 13, 9, 11)),
        ("Kim Rithy", _("Man"), _("Media"), "Radio FM 105", None, None, None, _("Walk-in"),
         datetime(2024, 12, 13, 9, 12)),
    ]
    assert len(rows) == 42
    # Real dates in the cells, shown day first whatever the spreadsheet program's language.
    assert load_workbook(io.BytesIO(content)).active["I2"].number_format == "dd/mm/yyyy hh:mm"

    filename, content = chart.document
    assert filename == f"attendance-{event.id}-2024-12-13.png"
    image = Image.open(io.BytesIO(content))
    assert (image.format, image.size) == ("PNG", (1600, 1200))


async def test_report_for_an_event_without_check_ins_sends_counts_but_no_list(bot, telegram, db, clock):
    event = await create_event(db, clock)
    member_id = await add_member(db, telegram, clock, 601)
    await answer(db, clock, event.id, [member_id], "going")
    boss = await coordinator(db, telegram, clock, "en")

    await boss.command("report")
    await boss.press(callbacks.ATTENDANCE.data(event.id))
    assert boss.last.text == en("No one has checked in yet, so there is no attendee list or chart.")
    summary = boss.messages[-3].text
    assert en("Show-up rate: {rate} ({came} of the {going} who said Going)").format(
        rate="0%", came="0", going="1") in summary
    assert "0 attendees including 0 women" in summary
    assert all(m.document is None for m in boss.messages)


async def test_report_lists_only_published_events_and_says_when_there_are_none(bot, telegram, db, clock):
    boss = await coordinator(db, telegram, clock, "km")
    await create_event(db, clock, status="draft")
    await boss.command("report")
    assert boss.last.text == km("There are no published events yet.")

    cancelled = await create_event(db, clock, status="cancelled")
    published = await create_event(db, clock, title_km="វេទិកាកសិករ")
    await boss.command("report")
    assert [b["callback_data"] for row in boss.last.buttons() for b in row] == [callbacks.ATTENDANCE.data(published.id)]
    await boss.press_data(f"rep:ev:{cancelled.id}")
    assert telegram.callback_answers[-1]["text"] == km("This button is no longer active.")


async def test_a_long_report_is_split_into_messages_telegram_accepts(bot, telegram, db, clock):
    event = await create_event(db, clock)
    stakeholders = ("farmer", "farmer_org", "ngo", "government", "research", "private", "media", "other")
    genders = ("woman", "man", "undisclosed")
    ids = [await add_member(db, telegram, clock, 30_000 + i, province=f"{i + 1:02d}", gender=genders[i % 3],
                            stakeholder=stakeholders[i % 8]) for i in range(25)]
    await check_in(db, event.id, ids)
    boss = await coordinator(db, telegram, clock, "en")

    await boss.command("report")
    start = len(boss.messages)
    await boss.press(callbacks.ATTENDANCE.data(event.id))
    texts = [m.text for m in boss.messages[start:] if m.document is None]
    assert len(texts) >= 3 and all(len(text) <= 4096 for text in texts)
    breakdown = "\n".join(texts[1:]).splitlines()
    assert sum(1 for line in breakdown if "show-up" in line) == 3 + 8 + 25


# ---------------------------------------------------------------- the service


async def test_invited_counts_each_recipient_once_across_invitation_rounds_and_not_reminders(db, clock, telegram):
    event = await create_event(db, clock)
    ids = [await add_member(db, telegram, clock, 40_000 + i, gender="woman" if i < 3 else "man") for i in range(5)]
    await invite(db, clock, event.id, ids[:4])
    await invite(db, clock, event.id, ids[2:])
    await invite(db, clock, event.id, ids, kind="reminder")
    async with db.session() as session:
        report = await attendance.report(session, event.id)
    assert (report.invited.total, report.invited.by_gender["woman"], report.invited.by_gender["man"]) == (5, 3, 2)
    assert report.show_up_rate is None and report.women == 0


def test_the_donor_sentence_agrees_with_one_woman_and_one_attendee():
    assert donor_sentence(1, 1, en) == "1 attendee including 1 woman"
    assert donor_sentence(12, 1, en) == "12 attendees including 1 woman"
    assert donor_sentence(1_041, 0, en) == "1,041 attendees including 0 women"
