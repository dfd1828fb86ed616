"""Tests of the fake Bot API server itself, driven by a real telegram.Bot over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import os
import signal
import sys
import warnings
from pathlib import Path

import aiohttp
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter

from bot.fakeapi import FakeTelegram, parse_html

USER = 42


@pytest.fixture
async def server():
    """A running fake server."""
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def api(server):
    """A real PTB Bot pointed at the fake server."""
    async with telegram.Bot(server.token, base_url=server.base_url,
                            base_file_url=server.base_file_url) as bot:
        yield bot


@pytest.fixture
async def user(server):
    """A user who has already written to the bot (so the bot may message them)."""
    fake = server.user(USER, "Dara", username="dara")
    await fake.send("hi")
    return fake


def seconds(err: RetryAfter) -> float:
    """retry_after in seconds, whichever type this PTB version returns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = err.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """An inline keyboard from (text, callback_data) pairs."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row]
                                 for row in rows])


# ---- sending -------------------------------------------------------------------------------


async def test_send_message_round_trip_is_recorded(server, api, user):
    sent = await api.send_message(USER, "<b>Hello</b>, Dara", parse_mode="HTML",
                                  reply_markup=keyboard([("Yes", "y"), ("No", "n")]))

    assert sent.text == "Hello, Dara"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 5
    assert sent.chat.id == USER and sent.from_user.id == server.bot_id
    assert sent.message_id == 2  # the user's "hi" was message 1 in this chat
    msg = user.last
    assert (msg.message_id, msg.chat_id, msg.method) == (2, USER, "sendMessage")
    assert msg.text == "<b>Hello</b>, Dara" and msg.plain_text == "Hello, Dara"
    assert msg.parse_mode == "HTML"
    assert msg.button_texts() == ["Yes", "No"]
    assert msg.buttons()[0][1] == {"text": "No", "callback_data": "n"}
    assert server.sent_count == 1
    assert server.calls("sendMessage")[0]["chat_id"] == USER
    assert server.stats["methods"]["sendMessage"]["ok"] == 1


@pytest.mark.parametrize("text, detail", [
    ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ("Tom & Jerry", "Character entity expected at byte offset 4"),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
])
async def test_invalid_html_is_refused(server, api, user, text, detail):
    with pytest.raises(BadRequest, match="(?i)can't parse entities") as caught:
        await api.send_message(USER, text, parse_mode="HTML")
    # PTB strips "Bad Request: " and lower-cases the rest of the description
    assert detail.lower() in caught.value.message.lower()
    assert user.messages == []
    assert server.stats["outcomes"]["4xx"] == 1


async def test_escaped_html_is_accepted(api, user):
    sent = await api.send_message(USER, "<b>a &lt; b</b> &amp; &#x1F600; &quot;q&quot;",
                                  parse_mode="HTML")
    assert sent.text == 'a < b & 😀 "q"'
    assert user.last.plain_text == sent.text


def test_html_entities_use_utf16_offsets():
    plain, entities = parse_html(
        '😀 <i>x</i> <a href="https://e.org/?a=1&amp;b=2">l</a> <pre><code class="language-py">'
        'p</code></pre> <tg-spoiler>s</tg-spoiler> <blockquote expandable>q</blockquote>')
    assert plain == "😀 x l p s q"
    assert entities == [
        {"type": "italic", "offset": 3, "length": 1},
        {"type": "text_link", "offset": 5, "length": 1, "url": "https://e.org/?a=1&b=2"},
        {"type": "pre", "offset": 7, "length": 1, "language": "py"},
        {"type": "spoiler", "offset": 9, "length": 1},
        {"type": "expandable_blockquote", "offset": 11, "length": 1},
    ]


async def test_length_limits_count_text_after_parsing(api, user):
    await api.send_message(USER, f"<b>{'a' * 4096}</b>", parse_mode="HTML")  # tags don't count
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await api.send_message(USER, "a" * 4097)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await api.send_message(USER, "😀" * 2049)  # 4098 UTF-16 code units
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await api.send_message(USER, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message caption is too long"):
        await api.send_document(USER, b"x", filename="x.txt", caption="c" * 1025)


async def test_unknown_chat_is_not_found(server, api):
    server.user(77)  # exists, but never wrote to the bot
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await api.send_message(77, "hello")
    server.add_chat(77)
    await api.send_message(77, "hello")


async def test_blocked_user_gets_forbidden(server, api, user):
    server.block(USER)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await api.send_message(USER, "still there?")
    server.unblock(USER)
    await api.send_message(USER, "welcome back")


async def test_block_bot_pushes_my_chat_member_and_blocks(server, api, user):
    update_id = await user.block_bot()
    updates = await api.get_updates(timeout=0)
    change = updates[-1].my_chat_member
    assert updates[-1].update_id == update_id
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("member", "kicked")
    assert change.new_chat_member.user.id == server.bot_id
    with pytest.raises(Forbidden):
        await api.send_message(USER, "hello?")


async def test_button_data_over_64_bytes_is_refused(api, user):
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await api.send_message(USER, "pick", reply_markup=keyboard([("Go", "x" * 65)]))
    # 64 bytes is fine, counted in bytes rather than characters
    await api.send_message(USER, "pick", reply_markup=keyboard([("Go", "é" * 32)]))


async def test_reply_markup_as_json_string_or_object_in_a_json_body(server, user):
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    url = f"{server.base_url}{server.token}/sendMessage"
    async with aiohttp.ClientSession() as session:
        for value in (markup, json.dumps(markup)):
            async with session.post(url, json={"chat_id": USER, "text": "t",
                                               "reply_markup": value}) as resp:
                assert resp.status == 200 and (await resp.json())["ok"] is True
        async with session.post(url, data={"chat_id": str(USER), "text": "t",
                                           "reply_markup": "{not json"}) as resp:
            body = await resp.json()
    assert user.messages[-1].reply_markup == markup
    assert resp.status == 400 and body == {
        "ok": False, "error_code": 400,
        "description": "Bad Request: can't parse reply keyboard markup JSON object"}


async def test_send_document_keeps_the_bytes_and_serves_them(server, api, user):
    sent = await api.send_document(USER, document=b"col1,col2\n1,2\n", filename="export.csv",
                                   caption="Your <b>export</b>", parse_mode="HTML")
    assert sent.document.file_name == "export.csv" and sent.document.file_size == 14
    assert sent.caption == "Your export"
    assert user.last.document == ("export.csv", b"col1,col2\n1,2\n")
    assert user.last.method == "sendDocument"

    file = await api.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"col1,col2\n1,2\n"
    again = await api.send_document(USER, document=sent.document.file_id)  # resend by file_id
    assert again.document.file_id == sent.document.file_id
    with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
        await api.send_document(USER, document="no-such-file-id")


async def test_wrong_token_is_unauthorized(server):
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{server.base_url}999:WRONG/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {"ok": False, "error_code": 401,
                                         "description": "Unauthorized"}
    bot = telegram.Bot("999:WRONG", base_url=server.base_url)
    with pytest.raises(InvalidToken):
        await bot.initialize()
    await bot.shutdown()


async def test_unknown_method_is_not_found(server):
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{server.base_url}{server.token}/sendTelepathy") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404,
                                         "description": "Not Found"}


# ---- edits ---------------------------------------------------------------------------------


async def test_edit_message_text(server, api, user):
    sent = await api.send_message(USER, "Pick one", reply_markup=keyboard([("A", "a")]))

    with pytest.raises(BadRequest, match="(?i)message is not modified: specified new message"):
        await api.edit_message_text("Pick one", USER, sent.message_id,
                                    reply_markup=keyboard([("A", "a")]))
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await api.edit_message_text("x", USER, 999)

    # same text, but omitting reply_markup removes the keyboard: that is a modification
    edited = await api.edit_message_text("Pick one", USER, sent.message_id)
    assert edited.reply_markup is None and edited.edit_date is not None
    msg = user.last
    assert msg.reply_markup is None and msg.edit_count == 1

    await api.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard([("B", "b")]))
    assert msg.button_texts() == ["B"]
    await api.edit_message_text("<i>Done</i>", USER, sent.message_id, parse_mode="HTML")
    assert (msg.text, msg.plain_text, msg.reply_markup) == ("<i>Done</i>", "Done", None)

    assert await api.delete_message(USER, sent.message_id) is True
    assert user.messages == []
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await api.delete_message(USER, sent.message_id)


# ---- failure injection ---------------------------------------------------------------------


async def test_fail_next_429_raises_retry_after_then_recovers(server, api, user):
    server.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 7",
                     retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await api.send_message(USER, "one")
    assert seconds(caught.value) == 7
    await api.send_message(USER, "two")
    assert user.texts() == ["two"]
    assert server.stats["methods"]["sendMessage"] == {"ok": 1, "4xx": 0, "429": 1, "5xx": 0,
                                                      "dropped": 0}


async def test_fail_next_server_error_and_count(server, api, user):
    server.fail_next("sendMessage", status=500, description="Internal Server Error", count=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="(?i)Internal Server Error"):
            await api.send_message(USER, "x")
    await api.send_message(USER, "y")
    assert server.stats["outcomes"]["5xx"] == 2 and server.sent_count == 1


async def test_drop_next_closes_the_connection(server, api, user):
    server.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await api.send_message(USER, "lost")
    assert user.messages == []

    # processed=True: the message is delivered, only the answer is lost
    server.drop_next("sendMessage", processed=True)
    with pytest.raises(NetworkError):
        await api.send_message(USER, "delivered")
    assert user.texts() == ["delivered"]
    assert server.stats["outcomes"]["dropped"] == 2
    await api.send_message(USER, "fine again")


async def test_per_chat_rate_limit_answers_429():
    async with FakeTelegram(per_chat_rate=1.0) as server:
        async with telegram.Bot(server.token, base_url=server.base_url) as api:
            for user_id in (1, 2):
                await server.user(user_id).send("hi")
            await api.send_message(1, "first")
            with pytest.raises(RetryAfter) as caught:
                await api.send_message(1, "second, too soon")
            assert seconds(caught.value) == 1
            await api.send_message(2, "another chat has its own budget")
            assert server.stats["outcomes"]["429"] == 1 and server.sent_count == 2


async def test_global_rate_limit_answers_429():
    async with FakeTelegram(global_rate=2.0) as server:
        async with telegram.Bot(server.token, base_url=server.base_url) as api:
            for user_id in (1, 2, 3):
                await server.user(user_id).send("hi")
            await api.send_message(1, "a")
            await api.send_message(2, "b")
            with pytest.raises(RetryAfter):
                await api.send_message(3, "c")


# ---- updates -------------------------------------------------------------------------------


async def test_long_poll_returns_an_update_pushed_while_waiting(server, api):
    poll = asyncio.create_task(api.get_updates(timeout=10))
    await server.wait_for(lambda: server.pending_polls == 1)
    update_id = await server.user(7, "Sophea").send("hello")
    updates = await asyncio.wait_for(poll, 2)  # long before the 10 s poll timeout
    assert [(u.update_id, u.message.text) for u in updates] == [(update_id, "hello")]
    assert updates[0].message.from_user.first_name == "Sophea"


async def test_offset_confirms_and_redelivery_keeps_update_id(server, api):
    first = server.user(7)
    a = await first.send("a")
    b = await first.command("start", "ref-123")
    updates = await api.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [a, b]
    assert updates[1].message.text == "/start ref-123"
    assert updates[1].message.entities[0].type == "bot_command"
    assert updates[1].message.message_id == updates[0].message.message_id + 1

    assert await api.get_updates(timeout=0) != []  # not confirmed yet: delivered again
    assert await api.get_updates(offset=b + 1, timeout=0) == ()  # confirmed

    server.push_update(updates[0].to_dict())  # Telegram redelivering an old update
    again = await api.get_updates(offset=b + 1, timeout=0)
    assert [u.update_id for u in again] == [a]


async def test_allowed_updates_filters_what_is_delivered(server, api):
    user = server.user(7)
    await user.send("kept")
    server.push_update({"message_reaction": {"chat": user.chat, "message_id": 1, "date": 0,
                                             "old_reaction": [], "new_reaction": []}})
    updates = await api.get_updates(timeout=0, allowed_updates=["message"])
    assert [u.message.text for u in updates] == ["kept"]
    assert len(server.filtered_update_ids) == 1


async def test_a_newer_poll_ends_the_older_with_conflict(server, api):
    # Another process polling with the same token (PTB allows one poll per Bot at a time).
    async with telegram.Bot(server.token, base_url=server.base_url) as other:
        old = asyncio.create_task(other.get_updates(timeout=10))
        await server.wait_for(lambda: server.pending_polls == 1)
        new = asyncio.create_task(api.get_updates(timeout=10))
        with pytest.raises(telegram.error.Conflict):
            await asyncio.wait_for(old, 2)
        await server.wait_for(lambda: server.pending_polls == 1)
        await server.user(7).send("x")
        assert len(await asyncio.wait_for(new, 2)) == 1


async def test_wait_for_times_out_with_an_assertion(server):
    with pytest.raises(AssertionError, match="condition not met"):
        await server.wait_for(lambda: False, timeout=0.05)


# ---- fake users ----------------------------------------------------------------------------


async def test_press_emits_the_button_callback_data(server, api, user):
    menu = await api.send_message(USER, "Menu", reply_markup=keyboard([("Profile", "p:1")]))
    await api.send_message(USER, "Lang", reply_markup=keyboard([("English", "lang:en"),
                                                                ("ខ្មែរ", "lang:km")]))
    seen = [u.update_id for u in await api.get_updates(timeout=0)]

    update_id = await user.press("ខ្មែរ")
    await user.press("p:1")  # by callback_data, found on the older message
    updates = await api.get_updates(offset=seen[-1] + 1, timeout=0)
    first, second = (u.callback_query for u in updates)
    assert updates[0].update_id == update_id
    assert (first.data, first.message.text, first.from_user.id) == ("lang:km", "Lang", USER)
    assert (second.data, second.message.message_id) == ("p:1", menu.message_id)
    assert first.id != second.id

    assert await first.answer("Saved") is True
    assert server.callback_answers[-1]["text"] == "Saved"
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await first.answer()  # a query is answered once
    with pytest.raises(BadRequest, match="(?i)MESSAGE_TOO_LONG"):
        await second.answer("x" * 201)

    with pytest.raises(AssertionError, match="English"):
        await user.press("Nope")  # the message lists the buttons there are


async def test_press_data_and_reply_keyboard(server, api, user):
    await api.send_message(USER, "Share?", reply_markup=ReplyKeyboardMarkup(
        [[KeyboardButton("Share phone", request_contact=True)], ["Skip"]]))
    last_seen = (await api.get_updates(timeout=0))[-1].update_id
    await user.press("Skip")  # a reply-keyboard button sends its text
    await user.press_data("forged:999")
    await user.share_contact("+85512345678")
    await user.share_contact("+85599999999", user_id=None, first_name="Friend")
    updates = await api.get_updates(offset=last_seen + 1, timeout=0)
    assert updates[0].message.text == "Skip"
    assert updates[1].callback_query.data == "forged:999"
    assert updates[2].message.contact.user_id == USER
    assert updates[2].message.contact.phone_number == "+85512345678"
    assert updates[3].message.contact.user_id is None


async def test_commands_by_scope_and_language(server, api):
    await api.set_my_commands([("start", "Start"), ("help", "Help")])
    await api.set_my_commands([("start", "ចាប់ផ្តើម")], language_code="km")
    admin = telegram.BotCommandScopeChat(9000)
    await api.set_my_commands([("admin", "Admin tools")], scope=admin)

    assert [c["command"] for c in server.commands()] == ["start", "help"]
    assert server.commands(language_code="km") == [{"command": "start",
                                                    "description": "ចាប់ផ្តើម"}]
    assert server.commands({"type": "chat", "chat_id": 9000})[0]["command"] == "admin"
    assert [c.command for c in await api.get_my_commands(scope=admin)] == ["admin"]
    await api.delete_my_commands(scope=admin)
    assert server.commands({"type": "chat", "chat_id": 9000}) == []
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await api.set_my_commands([("Bad-Name", "x")])


async def test_control_api(server, api):
    base = f"http://127.0.0.1:{server.port}/_control"
    chat = {"id": 5, "type": "private", "first_name": "Vanna"}
    update = {"message": {"message_id": 1, "date": 0, "chat": chat, "text": "hi",
                          "from": {"id": 5, "is_bot": False, "first_name": "Vanna"}}}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/push", json=[update, update]) as resp:
            ids = await resp.json()
        await api.send_message(5, "hello")
        async with session.get(f"{base}/messages", params={"chat_id": "5"}) as resp:
            messages = await resp.json()
        async with session.get(f"{base}/stats") as resp:
            stats = await resp.json()
        async with session.post(f"{base}/reset_stats") as resp:
            assert resp.status == 200
    assert ids == [1, 2]
    assert [m["text"] for m in messages] == ["hello"]
    assert stats["sent_count"] == 1 and stats["stats"]["methods"]["sendMessage"]["ok"] == 1
    assert server.sent_count == 0 and server.stats["requests"] == 0


async def test_standalone_server_prints_url_and_stops_on_sigterm():
    root = Path(__file__).resolve().parent.parent
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.fakeapi", "--port", "0", "--global-rate", "30",
        cwd=root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(root)})
    try:
        base_url = (await asyncio.wait_for(proc.stdout.readline(), 15)).decode().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/bot")
        async with telegram.Bot("123456:TEST-TOKEN", base_url=base_url) as api:
            assert api.username == "sahakor_test_bot"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0


async def _chaos_run(server, api, calls: int) -> list[str]:
    """Sends `calls` messages under chaos; what the bot saw of each: ok, 5xx or dropped."""
    seen = []
    for i in range(calls):
        try:
            await api.send_message(USER, f"m{i}")
            seen.append("ok")
        except NetworkError as err:
            seen.append("5xx" if "Server Error" in str(err) or "Bad Gateway" in str(err) else "dropped")
    return seen


async def test_chaos_fails_a_seeded_share_of_calls_and_drops_half_after_processing(server, api, user):
    server.chaos(error_rate=0.2, drop_rate=0.2, seed=7)
    seen = await _chaos_run(server, api, 200)
    chaos = server.stats["chaos"]
    assert seen.count("5xx") == chaos["5xx"] == server.stats["outcomes"]["5xx"]
    assert seen.count("dropped") == chaos["dropped_before"] + chaos["dropped_after"] == server.stats["outcomes"]["dropped"]
    assert 20 <= chaos["5xx"] <= 60 and 10 <= chaos["dropped_before"] <= 35 and 10 <= chaos["dropped_after"] <= 35
    # A 5xx or a drop before processing sends nothing; a drop after it delivers the message all the same.
    assert len(user.messages) == seen.count("ok") + chaos["dropped_after"]
    assert (await api.get_me()).username == "sahakor_test_bot"  # getMe is left alone
    assert server.stats["methods"]["getMe"]["ok"] >= 1

    # The same seed fails the same calls; chaos(0, 0) ends it.
    server.chaos(0.2, 0.2, seed=7)
    assert await _chaos_run(server, api, 200) == seen
    server.chaos(0, 0)
    assert await _chaos_run(server, api, 50) == ["ok"] * 50


async def test_chaos_can_be_limited_to_some_methods(server, api, user):
    server.chaos(error_rate=1.0, drop_rate=0, methods=["editMessageText"])
    sent = await api.send_message(USER, "fine")
    with pytest.raises(NetworkError):
        await api.edit_message_text("changed", chat_id=USER, message_id=sent.message_id)
    assert user.texts() == ["fine"] and server.stats["chaos"]["5xx"] == 1
