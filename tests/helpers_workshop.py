"""A workshop for the check-in and attendance tests: the event, its members, their answers and who came, straight
in the database."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from bot.models import CheckIn, Delivery, Event, Member, OutboxMessage, Rsvp
from tests.conftest import COORDINATOR_ID


# The 2nd ALiSEA Policy Dialogue Workshop: 13 December 2024, 08:30-17:00 in Phnom Penh.
WORKSHOP_START = datetime(2024, 12, 13, 1, 30, tzinfo=UTC)
TITLE_EN = "2nd ALiSEA Policy Dialogue Workshop"
TITLE_KM = "សិក្ខាសាលាពិគ្រោះយោបល់ស្តីពីគោលនយោបាយ លើកទី២ របស់ ALiSEA"
STAKEHOLDER_CYCLE = ("farmer", "ngo", "government")


async def create_event(db, clock, *, starts_at: datetime = WORKSHOP_START, hours: float = 8.5,
                       status: str = "published", title_en: str = TITLE_EN, title_km: str = TITLE_KM,
                       venue: str = "Cambodiana Hotel, Phnom Penh") -> Event:
    """A published event straight in the database, as the events feature would leave it."""
    now = clock.now()
    async with db.session() as session:
        event = Event(title_en=title_en, title_km=title_km, starts_at=starts_at,
                      ends_at=starts_at + timedelta(hours=hours), timezone="Asia/Phnom_Penh", venue=venue,
                      checkin_token=secrets.token_urlsafe(16), status=status, created_by=COORDINATOR_ID,
                      created_at=now, updated_at=now, published_at=now if status != "draft" else None)
        session.add(event)
    return event


async def add_member(db, telegram, clock, telegram_id: int, *, language: str = "en", name: str | None = None,
                     gender: str = "man", stakeholder: str = "farmer", organisation: str | None = None,
                     province: str | None = "12", phone: str | None = None) -> int:
    """A registered member straight in the database; returns the member id."""
    now = clock.now()
    async with db.session() as session:
        member = Member(telegram_id=telegram_id, language=language, step=None, editing=False,
                        name=name or f"Member {telegram_id}", gender=gender, stakeholder=stakeholder,
                        organisation=organisation, province=province, phone=phone, consented_at=now,
                        registered_at=now, receives_announcements=True, reachable=True, created_at=now,
                        updated_at=now)
        session.add(member)
        await session.flush()
        member_id = member.id
    telegram.add_chat(telegram_id)
    return member_id


async def coordinator(db, telegram, clock, language: str = "en"):
    await add_member(db, telegram, clock, COORDINATOR_ID, language=language, name="Coordinator")
    return telegram.user(COORDINATOR_ID, "Coordinator")


async def invite(db, clock, event_id: int, member_ids: list[int], *, kind: str = "invitation") -> None:
    """An invitation delivery to these members, as the events feature records it in the outbox."""
    async with db.session() as session:
        delivery = Delivery(kind=kind, ref_id=event_id, created_by=COORDINATOR_ID, created_at=clock.now(),
                            send_at=clock.now(), status="done", content={}, total=len(member_ids))
        session.add(delivery)
        await session.flush()
        for member_id in member_ids:
            session.add(OutboxMessage(delivery_id=delivery.id, chat_id=20_000 + member_id, member_id=member_id,
                                      language="en", status="sent", attempts=1, due_at=clock.now()))


async def answer(db, clock, event_id: int, member_ids, value: str, *, waitlisted: bool = False) -> None:
    async with db.session() as session:
        for member_id in member_ids:
            session.add(Rsvp(event_id=event_id, member_id=member_id, answer=value, waitlisted=waitlisted,
                             waitlisted_at=clock.now() if waitlisted else None, created_at=clock.now(),
                             updated_at=clock.now()))


async def check_in(db, event_id: int, member_ids, *, method: str = "qr", start_minute: int = 0) -> None:
    async with db.session() as session:
        for i, member_id in enumerate(member_ids):
            session.add(CheckIn(event_id=event_id, member_id=member_id, method=method,
                                checked_in_at=WORKSHOP_START + timedelta(minutes=start_minute + i - 25)))


async def add_walkins(db, event_id: int) -> None:
    async with db.session() as session:
        for i, (name, gender, stakeholder, organisation) in enumerate([
                ("Chea Sreymom", "woman", "farmer", "Takeo women's group"),
                ("Sok Lina", "woman", "farmer_org", None),
                ("Kim Rithy", "man", "media", "Radio FM 105")]):
            session.add(CheckIn(event_id=event_id, member_id=None, method="walkin", name=name, gender=gender,
                                stakeholder=stakeholder, organisation=organisation, checked_in_by=COORDINATOR_ID,
                                checked_in_at=WORKSHOP_START + timedelta(minutes=40 + i)))


async def seed_workshop(db, telegram, clock):
    """The 2nd ALiSEA Policy Dialogue Workshop: 60 invited, 38 members and 3 walk-ins came, 10 of them women.

    Members 0-34 said Going and came; 35-36 said Maybe and came; 37 came without answering;
    38-42 said Going and did not come; 43-45 Maybe; 46-51 Can't go; 52-53 waitlisted; 54-59 never answered.
    Women: members 0-7 (all came) and 40-41; two of the walk-ins.
    """
    event = await create_event(db, clock)
    ids = []
    for i in range(60):
        ids.append(await add_member(
            db, telegram, clock, 20_000 + i, name=f"Member {i:02d}",
            gender="woman" if i < 8 or i in (40, 41) else "man", stakeholder=STAKEHOLDER_CYCLE[i % 3],
            organisation="CEDAC" if i == 0 else None, province="12" if i % 2 == 0 else "07",
            phone="+85512000000" if i == 0 else None))
    await invite(db, clock, event.id, ids)
    await answer(db, clock, event.id, ids[0:35] + ids[38:43], "going")
    await answer(db, clock, event.id, ids[35:37] + ids[43:46], "maybe")
    await answer(db, clock, event.id, ids[46:52], "no")
    await answer(db, clock, event.id, ids[52:54], "going", waitlisted=True)
    await check_in(db, event.id, ids[0:30])
    await check_in(db, event.id, ids[30:38], method="manual", start_minute=30)
    await add_walkins(db, event.id)
    return event, ids
