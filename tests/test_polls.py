"""Quick polls: native Telegram polls in each member's language through the outbox, answers counted from
poll_answer updates across every poll message, results with a chart, closing, and Telegram's limits."""

from __future__ import annotations

from sqlalchemy import select

from bot.i18n import translator
from bot.models import Member, Poll, PollMessage, PollVote
from bot.services import polls
import handlers.surveys.callbacks as routes
from tests.conftest import COORDINATOR_ID
from tests.helpers_members import seed_members
from tests.helpers_outbox import wait_done
from tests.helpers_surveys import alerts, people

en = translator("en")
km = translator("km")
QUESTION = "Which theme should the working group take up first?\nតើក្រុមការងារគួរលើកយកប្រធានបទណាមុនគេ?"
OPTIONS = "Seeds | គ្រាប់ពូជ\nMarkets | ទីផ្សារ\nWater | ទឹក"


async def send_poll(bot, db, coordinator, *, question: str = QUESTION, options: str = OPTIONS) -> Poll:
    await coordinator.command("poll")
    await coordinator.send(question)
    await coordinator.send(options)
    await coordinator.press("✅ " + en("Done"))
    await coordinator.press("📤 " + en("Send the poll"))
    async with db.session() as session:
        poll = await session.scalar(select(Poll).order_by(Poll.id.desc()).limit(1))
    await wait_done(bot, db, poll.delivery_id)
    return poll


async def votes(db, poll_id: int) -> dict[int, list[int]]:
    async with db.session() as session:
        rows = await session.execute(select(PollVote.member_id, PollVote.option_ids).where(PollVote.poll_id == poll_id))
        return dict(rows.all())


async def test_a_native_poll_goes_to_each_member_in_their_language_and_answers_are_counted(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    poll = await send_poll(bot, db, coordinator)
    khmer, english = sokha.last, dara.last
    assert khmer.method == english.method == "sendPoll"
    assert khmer.raw["poll"]["question"] == "តើក្រុមការងារគួរលើកយកប្រធានបទណាមុនគេ?"
    assert [o["text"] for o in khmer.raw["poll"]["options"]] == ["គ្រាប់ពូជ", "ទីផ្សារ", "ទឹក"]
    assert [o["text"] for o in english.raw["poll"]["options"]] == ["Seeds", "Markets", "Water"]
    assert all(call["is_anonymous"] is False for call in telegram.calls("sendPoll"))
    async with db.session() as session:
        sent = list(await session.scalars(select(PollMessage).where(PollMessage.poll_id == poll.id)))
    assert {m.chat_id for m in sent} == {COORDINATOR_ID, 501, 502}
    assert {m.telegram_poll_id for m in sent} == {telegram.message(m.chat_id, m.message_id).raw["poll"]["id"]
                                                  for m in sent}

    await sokha.vote(khmer, [1])
    await dara.vote(english, [0])
    await bot.restart()  # the poll ids are rows: answers after a restart still count
    await dara.vote(english, [])
    await dara.vote(english, [2])
    # Someone the poll was not sent to (a forwarded poll keeps its id) is not counted.
    await seed_members(db, telegram, clock, 1, start_id=503, language="en")
    await telegram.user(503, "Outsider").vote(khmer, [0])
    await sokha.vote("9999999", [0])
    async with db.session() as session:
        member_ids = dict((await session.execute(select(Member.telegram_id, Member.id))).all())
    assert await votes(db, poll.id) == {member_ids[501]: [1], member_ids[502]: [2]}

    await coordinator.command("results")
    await coordinator.press(routes.POLL_RESULTS.data(poll.id))  # its button in /results (tests/test_results_list.py)
    text = coordinator.last.text
    assert en("Sent to {sent} · {voters} answered ({rate})").format(sent="3", voters="2", rate="67%") in text
    assert "• Seeds — 0 (0%)\n• Markets — 1 (50%)\n• Water — 1 (50%)" in text
    assert "Woman (1): Markets 1" in text and "Man (1): Water 1" in text
    assert "Farmer / producer (1): Markets 1" in text

    await coordinator.press("📊 " + en("Chart"))
    assert coordinator.last.photo[1].startswith(b"\x89PNG")

    await coordinator.press("🔒 " + en("Close the poll"))
    await telegram.wait_for(lambda: len(telegram.calls("stopPoll")) == 3)
    assert telegram.poll(khmer.raw["poll"]["id"])["is_closed"] is True
    # An answer that raced the closing is not counted.
    await sokha.send_update({"poll_answer": {"poll_id": khmer.raw["poll"]["id"], "user": sokha.user_dict,
                                             "option_ids": [2], "option_persistent_ids": ["2"]}})
    assert await votes(db, poll.id) == {member_ids[501]: [1], member_ids[502]: [2]}
    await coordinator.press_data(f"pl:close:{poll.id}")
    assert alerts(telegram)[-1] == en("This button is no longer active.")


async def test_telegrams_poll_limits_are_explained_before_anything_is_sent(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await coordinator.command("poll")
    await coordinator.send("Q" * 301)
    assert coordinator.last.text == en("The question is too long: Telegram allows at most {limit} characters.").format(
        limit="300")
    await coordinator.send("Which theme first?")
    for options, reason in (
            ("Only one", en("A poll needs between {low} and {high} options.").format(low="2", high="12")),
            ("\n".join(f"Option {i}" for i in range(13)),
             en("A poll needs between {low} and {high} options.").format(low="2", high="12")),
            ("Seeds\n" + "S" * 101, en("An option is too long: Telegram allows at most {limit} characters.").format(
                limit="100")),
            ("Seeds\nseeds", en("Two options are the same. Please make each one different.")),
            ("Seeds | គ្រាប់ពូជ | extra\nWater", en("Please write each option on its own line as: English | Khmer"))):
        await coordinator.send(options)
        assert coordinator.last.text == reason
    assert telegram.calls("sendPoll") == []
    async with db.session() as session:
        assert await session.scalar(select(Poll)) is None


async def test_members_cannot_send_or_close_polls(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    poll = await send_poll(bot, db, coordinator)
    await dara.command("poll")
    assert dara.last.text == en("This command is for coordinators only.")
    await dara.press_data(f"pl:close:{poll.id}", message=dara.last)
    assert alerts(telegram)[-1] == en("This is for coordinators only.")
    async with db.session() as session:
        assert (await session.get(Poll, poll.id)).status == polls.OPEN
