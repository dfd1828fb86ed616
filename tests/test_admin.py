"""Coordinators: member counts and export, adding and removing coordinators, their command menu."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.i18n import translator
from bot.services import coordinators
from tests.conftest import COORDINATOR_ID
from tests.helpers_members import register, register_after_start

km = translator("km")
en = translator("en")


async def test_members_command_counts_by_gender_and_sends_the_member_list_as_xlsx(bot, telegram, db):
    await register(telegram.user(401, "Sokha"), km, phone="+85512000001")
    await register(telegram.user(402, "Dara"), en, province="Phnom Penh")
    coordinator = telegram.user(COORDINATOR_ID, "Coordinator")
    await register(coordinator, en, province="Takeo")

    await coordinator.command("members")
    counts, document = coordinator.messages[-2], coordinator.messages[-1]
    assert "3 registered members" in counts.text
    assert f"{en('Woman')} 3" in counts.text
    assert "ភាសាខ្មែរ 1" in counts.text and "English 2" in counts.text

    filename, content = document.document
    assert filename.startswith("members-") and filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == ("Name", "Gender", "Stakeholder type", "Organisation", "Province", "Phone", "Language")
    assert rows[1][:7] == ("Sokha", "Woman", "Farmer / producer", None, "Kampot", "+85512000001", "ភាសាខ្មែរ")
    assert rows[2][4] == "Phnom Penh" and rows[3][4] == "Takeo"
    assert len(rows) == 4


async def test_coordinator_invites_a_newcomer_who_becomes_coordinator_after_registering(bot, telegram, db):
    coordinator = telegram.user(COORDINATOR_ID, "Coordinator")
    await register(coordinator, en)
    await coordinator.command("coordinators")
    await coordinator.press("➕ " + en("Create an invitation link"))
    link = coordinator.last.text.split()[-1]
    payload = link.split("start=")[1]
    assert link.startswith(f"https://t.me/{telegram.bot_username}?start=coord_")

    newcomer = telegram.user(403, "Malis", language_code="km")
    await newcomer.command("start", payload)
    await register_after_start(newcomer, km)
    assert newcomer.last.text == km("You are now a coordinator. Send /help to see your commands.")
    async with db.session() as session:
        assert await coordinators.is_coordinator(session, 403, frozenset())
    assert [c["command"] for c in telegram.commands({"type": "chat", "chat_id": 403})][-2:] == ["members", "coordinators"]

    # The link works once.
    other = telegram.user(404, "Other")
    await register(other, en)
    await other.command("start", payload)
    assert other.last.text == en("That invitation link is not valid: it was already used or has expired.")

    # The coordinator takes the role back.
    await coordinator.command("coordinators")
    await coordinator.press("✖ " + en("Remove {name}").format(name="Malis"))
    async with db.session() as session:
        assert not await coordinators.is_coordinator(session, 403, frozenset())
    await newcomer.command("members")
    assert newcomer.last.text == km("This command is for coordinators only.")


async def test_command_menus_are_set_per_language_and_for_coordinators(bot, telegram, db):
    default = [c["command"] for c in telegram.commands()]
    assert default == ["events", "groups", "surveys", "briefs", "profile", "language", "help", "stop", "delete"]
    khmer = telegram.commands(language_code="km")
    assert khmer[4]["description"] == km("see or correct your details")
    coordinator = telegram.user(COORDINATOR_ID, "Coordinator")
    await register(coordinator, km)
    menu = telegram.commands({"type": "chat", "chat_id": COORDINATOR_ID})
    assert [c["command"] for c in menu] == ["events", "groups", "surveys", "briefs", "profile", "language", "help",
                                            "stop", "delete", "newevent", "checkin", "report", "eventreport", "newgroup", "consult",
                                            "inputs", "newsurvey", "poll", "results", "broadcast", "newbrief",
                                            "members", "coordinators"]
    assert menu[-1]["description"] == km("list, add or remove coordinators")


async def test_members_command_with_no_members_says_so(bot, telegram, db):
    coordinator = telegram.user(COORDINATOR_ID, "Coordinator")
    await coordinator.command("members")
    assert coordinator.last.text == en("No one has registered yet.")


async def test_a_coordinators_menu_is_set_when_they_first_write_once_per_process_start(bot, telegram, db, clock):
    """Telegram refuses a menu for a chat its user never opened ("chat not found"): nothing is set for a chat at
    start; a coordinator gets theirs with their first update to the process, in their language, and not again
    until the next start."""
    def chat_menus(chat_id: int) -> list[dict]:
        return [c for c in telegram.calls("setMyCommands") if (c.get("scope") or {}).get("chat_id") == chat_id]

    assert [c for c in telegram.calls("setMyCommands") if c.get("scope")] == []
    coordinator = telegram.user(COORDINATOR_ID, "Coordinator", language_code="km")
    await coordinator.command("help")
    assert len(chat_menus(COORDINATOR_ID)) == 1
    menu = telegram.commands({"type": "chat", "chat_id": COORDINATOR_ID})
    assert (menu[-1]["command"], menu[-1]["description"]) == ("coordinators", km("list, add or remove coordinators"))
    await coordinator.command("help")
    assert len(chat_menus(COORDINATOR_ID)) == 1

    # Added in the chat: known at the next start. Removed again (say, by another process) before writing: no menu.
    async with db.session() as session:
        await coordinators.add(session, 405, added_by=COORDINATOR_ID, now=clock.now())
        await coordinators.add(session, 406, added_by=COORDINATOR_ID, now=clock.now())
    await bot.restart()
    assert [c for c in telegram.calls("setMyCommands") if c.get("scope")] == chat_menus(COORDINATOR_ID)
    async with db.session() as session:
        await coordinators.remove(session, 406)
    added, removed = telegram.user(405, "Added"), telegram.user(406, "Removed")
    await added.command("help")
    await removed.command("help")
    assert [c["commands"][-1]["command"] for c in chat_menus(405)] == ["coordinators"] and chat_menus(406) == []
    # After the restart the configured coordinator's menu is set once more (its commands may have changed).
    await coordinator.command("help")
    assert len(chat_menus(COORDINATOR_ID)) == 2
