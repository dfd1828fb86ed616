"""Members for tests: registering through the bot as a newcomer would, or straight in the database."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.i18n import translator
from bot.models import Member
from bot.services import members
from tests.conftest import COORDINATOR_ID

en = translator("en")


async def member_of(db, telegram_id: int) -> Member | None:
    async with db.session() as session:
        return await members.get(session, telegram_id)


async def count_members(db) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(Member))


async def register(user, _, *, name_button: bool = True, province: str = "Kampot", phone: str | None = None) -> None:
    """Walks a newcomer through registration in the language of translator `_`."""
    await user.command("start")
    await user.press("ភាសាខ្មែរ" if _.language == "km" else "English")
    await user.press(_("Yes, I agree"))
    if name_button:
        await user.press(_("Use “{name}”").format(name=user.first_name))
    else:
        await user.send("Test Name")
    await user.press(_("Woman"))
    await user.press(_("Farmer / producer"))
    await user.press(_("Skip"))
    await user.send(province)
    if phone:
        await user.share_contact(phone)
    else:
        await user.send(_("Skip"))
    await user.press("✅ " + _("Confirm"))


async def register_after_start(user, _) -> None:
    await user.press("ភាសាខ្មែរ" if _.language == "km" else "English")
    await user.press(_("Yes, I agree"))
    await user.press(_("Use “{name}”").format(name=user.first_name))
    await user.press(_("Woman"))
    await user.press(_("NGO / CSO"))
    await user.press(_("Skip"))
    await user.send("Siemreap")
    await user.send(_("Skip"))
    await user.press("✅ " + _("Confirm"))


async def seed_members(db, telegram, clock, count: int, *, start_id: int = 10_000, **fields) -> list[int]:
    """Registered members straight in the database; the fake server learns their chats."""
    ids = list(range(start_id, start_id + count))
    now = clock.now()
    async with db.session() as session:
        for i in ids:
            values = dict(telegram_id=i, language="km" if i % 2 else "en", step=None, editing=False,
                          name=f"Member {i}", gender="woman" if i % 3 == 0 else "man", stakeholder="farmer",
                          province="12", consented_at=now, registered_at=now, receives_announcements=True,
                          reachable=True, created_at=now, updated_at=now)
            values.update(fields)
            session.add(Member(**values))
    for i in ids:
        telegram.add_chat(i)
    return ids


async def coordinator_ready(telegram):
    coordinator = telegram.user(COORDINATOR_ID, "Sophal")
    await register(coordinator, en)
    return coordinator
