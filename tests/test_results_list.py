"""/results: every survey sent and every poll can be reached, a page at a time, newest first; drafts, which
have no results yet, are a button away and open the screen to send them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.i18n import translator
from bot.models import Poll
from bot.services import surveys
from tests.conftest import COORDINATOR_ID
from tests.helpers_members import seed_members


async def add_survey(db, title: str, *, sent_days_ago: int | None, now) -> int:
    """A survey built in the chat; sent that many days ago, or still a draft (None)."""
    async with db.session() as session:
        survey = await surveys.create(session, title={"en": title, "km": f"{title} (ខ្មែរ)"},
                                      questions=[surveys.built_question(0, "text", {"en": "Why?", "km": "ហេតុអ្វី?"})],
                                      source="chat", created_by=COORDINATOR_ID, now=now - timedelta(days=30))
        if sent_days_ago is not None:
            survey.status, survey.sent_at = surveys.OPEN, now - timedelta(days=sent_days_ago)
        await session.commit()
        return survey.id


@pytest.mark.parametrize("language", ["en", "km"])
async def test_results_pages_through_every_sent_survey_and_poll_with_drafts_apart(bot, telegram, db, clock, language):
    await seed_members(db, telegram, clock, 1, start_id=COORDINATOR_ID, language=language)
    coordinator, _ = telegram.user(COORDINATOR_ID, "Coordinator"), translator(language)
    now = clock.now()
    for day in range(1, 12):
        await add_survey(db, "data" if day in (10, 11) else f"Survey {day}", sent_days_ago=day, now=now)
    for n in (1, 2):
        await add_survey(db, f"Draft {n}", sent_days_ago=None, now=now)
    async with db.session() as session:
        session.add(Poll(question_en="Seeds or tools?", question_km="គ្រាប់ពូជ ឬឧបករណ៍?", options=[], audience={},
                         status="open", created_by=COORDINATOR_ID, created_at=now - timedelta(days=3, hours=12)))
        await session.commit()

    def label(icon: str, title: str, days: float) -> str:
        return f"{icon} {title} · {_.date(now - timedelta(days=days), surveys.LOCAL_ZONE, 'short')}"

    def titled(title: str) -> str:
        return f"{title} (ខ្មែរ)" if language == "km" else title

    poll = "គ្រាប់ពូជ ឬឧបករណ៍?" if language == "km" else "Seeds or tools?"
    await coordinator.command("results")
    page = coordinator.last
    assert page.text == _("Which results would you like to see?")
    assert page.button_texts() == [
        label("📋", titled("Survey 1"), 1), label("📋", titled("Survey 2"), 2), label("📋", titled("Survey 3"), 3),
        label("📊", poll, 3.5), label("📋", titled("Survey 4"), 4), label("📋", titled("Survey 5"), 5),
        label("📋", titled("Survey 6"), 6), label("📋", titled("Survey 7"), 7),
        _("Older") + " ▶", "📝 " + _("Not sent yet ({count})").format(count=_.number(2))]
    await coordinator.press(_("Older") + " ▶")
    assert coordinator.last.message_id == page.message_id  # the same list, turned to its next page
    assert coordinator.last.button_texts() == [
        label("📋", titled("Survey 8"), 8), label("📋", titled("Survey 9"), 9), label("📋", titled("data"), 10),
        label("📋", titled("data"), 11), "◀ " + _("Newer"), "📝 " + _("Not sent yet ({count})").format(count=_.number(2))]
    # The oldest of two surveys with the same title is reached, and shows its results.
    await coordinator.press(label("📋", titled("data"), 11))
    assert coordinator.last.text.startswith(f"📊 <b>{titled('data')}</b>")

    await coordinator.command("results")
    await coordinator.press("📝 " + _("Not sent yet ({count})").format(count=_.number(2)))
    assert coordinator.last.text == _("Surveys not sent yet. Open one to choose who gets it and send it.")
    assert coordinator.last.button_texts() == [label("📋", titled("Draft 2"), 30), label("📋", titled("Draft 1"), 30),
                                               "◀ " + _("Results")]
    await coordinator.press(label("📋", titled("Draft 1"), 30))
    assert "📤 " + _("Send") in coordinator.last.button_texts()
    assert _("Status: {status}").format(status=_("Not sent yet")) in coordinator.last.text


async def test_results_without_anything_sent_says_so_and_still_reaches_the_drafts(bot, telegram, db, clock):
    await seed_members(db, telegram, clock, 1, start_id=COORDINATOR_ID, language="en")
    coordinator, _ = telegram.user(COORDINATOR_ID, "Coordinator"), translator("en")
    await coordinator.command("results")
    assert coordinator.last.text == _("There are no surveys or polls yet. Create one with /newsurvey or /poll.")
    await add_survey(db, "Draft", sent_days_ago=None, now=clock.now())
    await coordinator.command("results")
    assert coordinator.last.text == _("No survey or poll has been sent yet.")
    assert coordinator.last.button_texts() == ["📝 " + _("Not sent yet ({count})").format(count=_.number(1))]


async def test_results_buttons_sent_before_the_prefixes_were_spelt_out_still_open_what_they_opened(
        bot, telegram, db, clock):
    await seed_members(db, telegram, clock, 1, start_id=COORDINATOR_ID, language="en")
    coordinator, _ = telegram.user(COORDINATOR_ID, "Coordinator"), translator("en")
    survey_id = await add_survey(db, "Survey", sent_days_ago=1, now=clock.now())
    await coordinator.command("results")
    await coordinator.press_data("rs:dr:0")
    assert coordinator.last.text == _("There is no survey waiting to be sent.")
    await coordinator.press_data("rs:pg:0")
    assert coordinator.last.text == _("Which results would you like to see?")
    await coordinator.press_data(f"rs:sv:{survey_id}")
    assert coordinator.last.text.startswith("📊 <b>Survey</b>")
