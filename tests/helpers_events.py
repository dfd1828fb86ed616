"""Events for tests: the workshop of 13 December 2024 made straight in the database or through /newevent, its
invitations, reminders and the edits that redraw them."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.models import Draft, Event, Member
from bot.services import drafts, outbox, reminders, rsvps
from handlers.events.rsvp import promotion_content
from handlers.events.screens import invitation_content
from tests.conftest import COORDINATOR_ID
from tests.helpers_members import register, seed_members
from tests.helpers_outbox import wait_done


PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
TITLE_EN = "2nd ALiSEA Policy Dialogue Workshop"
TITLE_KM = "សិក្ខាសាលាសន្ទនាគោលនយោបាយ ALiSEA លើកទី២"
VENUE = "Cambodiana Hotel, Phnom Penh"
START = datetime(2024, 12, 13, 8, 30, tzinfo=PHNOM_PENH).astimezone(UTC)
END = datetime(2024, 12, 13, 17, 0, tzinfo=PHNOM_PENH).astimezone(UTC)


async def make_event(db, clock, **fields) -> int:
    """A published event straight in the database: the workshop of 13 December 2024, 08:30 Phnom Penh time."""
    now = clock.now()
    values = dict(
        title_en=TITLE_EN, title_km=TITLE_KM,
        description_en="Policy dialogue on agroecology.", description_km="ការសន្ទនាគោលនយោបាយស្តីពីកសិអេកូឡូស៊ី។",
        starts_at=datetime(2024, 12, 13, 8, 30, tzinfo=PHNOM_PENH).astimezone(UTC),
        ends_at=datetime(2024, 12, 13, 17, 0, tzinfo=PHNOM_PENH).astimezone(UTC),
        timezone="Asia/Phnom_Penh", venue=VENUE, latitude=11.5564, longitude=104.9282, capacity=None,
        seats_taken=0, rsvp_deadline=None, agenda="", audience={}, reminder_minutes=[1440, 120],
        checkin_opens_minutes=120, checkin_token=secrets.token_urlsafe(16), status="published", created_by=9000,
        created_at=now, updated_at=now, published_at=now)
    values.update(fields)
    async with db.session() as session:
        event = Event(**values)
        session.add(event)
        await session.flush()
        return event.id


async def invite(bot, db, clock, event_id: int, chat_ids: list[int]) -> None:
    """Sends the invitation through the outbox, as publishing does, and waits until it is delivered."""
    async with db.session() as session:
        event = await session.get(Event, event_id)
        delivery = await outbox.create(session, kind="invitation", content=invitation_content(event),
                                       send_at=clock.now(), ref_id=event_id, now=clock.now())
        await outbox.add_query(session, delivery, select(Member.telegram_id, Member.id, Member.language)
                               .where(Member.telegram_id.in_(chat_ids)))
    bot.app.bot_data["services"].delivery.wake()
    await wait_done(bot, db, delivery.id)


async def members_of(db, telegram, clock, language: str, *ids: int) -> list:
    for i in ids:
        await seed_members(db, telegram, clock, 1, start_id=i, language=language)
    return [telegram.user(i, f"Member {i}", language_code=language) for i in ids]


def title_in(_) -> str:
    return TITLE_KM if _.language == "km" else TITLE_EN


async def coordinator_in(telegram, _):
    user = telegram.user(COORDINATOR_ID, "Sophea", language_code=_.language)
    await register(user, _, province="Kampot")
    return user


async def only_event(db) -> Event:
    async with db.session() as session:
        [event] = (await session.scalars(select(Event))).all()
        return event


async def draft_of(db, telegram_id: int, kind: str = "event") -> Draft | None:
    async with db.session() as session:
        return await drafts.get(session, telegram_id, kind)


async def up_to_the_reminders(user, _, *, title: str = TITLE_EN, capacity: str | None = None) -> None:
    """/newevent for the workshop of 13 December 2024, 08:30, answered with the fewest answers up to the
    reminders."""
    await user.command("newevent")
    await user.send(title)
    await user.press(_("Use it for both languages"))
    await user.press(_("No description"))
    await user.send("13/12/2024 08:30")
    await user.send("17:00")
    await user.press("✅ " + _("Yes, that's right"))
    await user.send(VENUE)
    await user.press(_("No map location"))
    if capacity:
        await user.send(capacity)
    else:
        await user.press(_("No limit"))
    await user.press(_("No deadline"))
    await user.press(_("No agenda"))


async def quick_event(user, _, *, title: str = TITLE_EN, capacity: str | None = None) -> None:
    """Walks /newevent in English with the fewest answers and publishes the workshop to everyone."""
    await up_to_the_reminders(user, _, title=title, capacity=capacity)
    await user.press("✅ " + _("Done"))
    await user.press("✅ " + _("Done"))
    await user.press("🚀 " + _("Publish"))


async def event_with_a_reminder(db, telegram, clock) -> int:
    """An event three hours from now; two members are going; a reminder an hour before the start."""
    now = datetime.now(UTC)
    event_id = await make_event(db, clock, starts_at=now + timedelta(hours=3), ends_at=now + timedelta(hours=5),
                                reminder_minutes=[60])
    await seed_members(db, telegram, clock, 2, start_id=31_000)
    async with db.session() as session:
        for telegram_id in (31_000, 31_001):
            member = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
            await rsvps.answer(session, event_id=event_id, member_id=member.id, answer="going", now=now,
                               content=promotion_content)
        await reminders.plan(session, await session.get(Event, event_id), now)
    return event_id


def reminder_messages(telegram, user_id: int) -> int:
    return sum(1 for m in telegram.messages(user_id) if "⏰" in (m.text or ""))


async def reminder_ids(db, event_id: int) -> dict[int, int]:
    async with db.session() as session:
        return {r.minutes_before: r.id for r in await reminders.of_event(session, event_id)}


EDITS = ("editMessageText", "editMessageReplyMarkup", "editMessageCaption")


def edit_calls(telegram) -> int:
    return sum(len(telegram.calls(method)) for method in EDITS)


def refused_edits(telegram, *chat_ids: int) -> int:
    """Edits the server refused (Telegram's "message is not modified", a message gone): calls that edited nothing."""
    made = sum(m.edit_count for chat in chat_ids for m in telegram.messages(chat))
    asked = sum(1 for method in EDITS for call in telegram.calls(method) if call.get("chat_id") in chat_ids)
    return asked - made
