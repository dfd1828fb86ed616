"""Working groups and consultations for tests: made straight in the database, their coordinator and members, the
linked chat."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.i18n import translator
from bot.models import Event, GroupInterest, Member
from bot.services import consultations, groups
from handlers.consultations.screens import POLICY_THEMES
from tests.conftest import COORDINATOR_ID
from tests.helpers_members import register

km = translator("km")


CHAT_ID = -1001234567890
CHAT_TITLE = "Policy WG"
NAME_EN = "Policy Working Group"
NAME_KM = "ក្រុមការងារគោលនយោបាយ"
ABOUT_EN = "Members who follow agroecology policy and speak for the network."
ABOUT_KM = "សមាជិកដែលតាមដានគោលនយោបាយកសិអេកូឡូស៊ី។"
QUESTION_EN = "What support do farmers need most for agroecology?"
QUESTION_KM = "តើកសិករត្រូវការការគាំទ្រអ្វីខ្លះសម្រាប់កសិអេកូឡូស៊ី?"


async def make_group(db, clock, *, name_en: str = NAME_EN, name_km: str = NAME_KM, status: str = "open",
                     chat_id: int | None = None) -> int:
    """A working group straight in the database; returns its id."""
    async with db.session() as session:
        group = await groups.create(session, name_en=name_en, name_km=name_km, description_en=ABOUT_EN,
                                    description_km=ABOUT_KM, created_by=COORDINATOR_ID, now=clock.now())
        group.status = status
        group.chat_id = chat_id
        group.chat_title = CHAT_TITLE if chat_id else None
        return group.id


async def add_member(db, telegram, clock, telegram_id: int, *, language: str = "en", name: str | None = None,
                     gender: str = "man", stakeholder: str = "farmer", organisation: str | None = None,
                     province: str | None = "12", phone: str | None = None, first_name: str = "Dara"):
    """A registered member straight in the database, with a fake user to act for them."""
    now = clock.now()
    async with db.session() as session:
        session.add(Member(telegram_id=telegram_id, language=language, step=None, editing=False,
                           name=name or f"Member {telegram_id}", gender=gender, stakeholder=stakeholder,
                           organisation=organisation, province=province, phone=phone, consented_at=now,
                           registered_at=now, receives_announcements=True, reachable=True, created_at=now,
                           updated_at=now))
    user = telegram.user(telegram_id, first_name, language_code=language)
    telegram.add_chat(telegram_id)
    return user


async def make_event(db, clock) -> int:
    now = clock.now()
    start = datetime(2024, 12, 13, 1, 30, tzinfo=UTC)
    async with db.session() as session:
        event = Event(title_en="2nd ALiSEA Policy Dialogue Workshop", title_km="សិក្ខាសាលាគោលនយោបាយ លើកទី២",
                      starts_at=start, ends_at=start + timedelta(hours=8), timezone="Asia/Phnom_Penh",
                      venue="Cambodiana Hotel", checkin_token=secrets.token_urlsafe(16), status="published",
                      created_by=COORDINATOR_ID, created_at=now, updated_at=now, published_at=now)
        session.add(event)
        await session.flush()
        return event.id


async def interest(db, group_id: int, telegram_id: int) -> GroupInterest | None:
    async with db.session() as session:
        return await session.scalar(select(GroupInterest).join(Member, Member.id == GroupInterest.member_id)
                                    .where(GroupInterest.group_id == group_id, Member.telegram_id == telegram_id))


async def count(db, model, *where) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def coordinator_in(telegram, _) -> object:
    coordinator = telegram.user(COORDINATOR_ID, "Coordinator", language_code=_.language)
    await register(coordinator, _)
    return coordinator


async def link_chat(coordinator, _, name: str = NAME_EN) -> None:
    """The coordinator adds the bot to the group chat as an admin and picks the working group."""
    await coordinator.add_bot_to_group(CHAT_ID, CHAT_TITLE)
    assert _("I was added to {chat} as an admin. Which working group is this chat for?").format(
        chat=f"<b>{CHAT_TITLE}</b>") == coordinator.last.text
    await coordinator.press(name)


async def refused_entry(user, link: str) -> None:
    """The user tries to join the chat with a link Telegram must refuse (revoked)."""
    try:
        await user.join_group(CHAT_ID, CHAT_TITLE, invite_link=link)
    except AssertionError as exc:
        assert "was revoked" in str(exc)
    else:
        raise AssertionError("a used invite link let someone else in")


async def ask_to_join(user, _, name: str) -> None:
    await user.command("groups")
    await user.press(name)
    await user.press("🙋 " + _("I'm interested"))
    await user.press(_("Skip"))


async def open_consultation(db, clock, *, event_id: int | None = None, closes_in: timedelta | None = None,
                            themes=None) -> tuple[int, dict[str, int]]:
    """A consultation with the policy themes straight in the database; returns its id and theme ids by English label."""
    async with db.session() as session:
        consultation = await consultations.create(
            session, question_en=QUESTION_EN, question_km=QUESTION_KM,
            themes=themes or [(label, km(label)) for label in POLICY_THEMES], event_id=event_id,
            closes_at=clock.now() + closes_in if closes_in else None, created_by=COORDINATOR_ID, now=clock.now())
        found = await consultations.themes(session, consultation.id)
        return consultation.id, {t.label_en: t.id for t in found}
