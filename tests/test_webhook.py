"""Webhook mode: Telegram posts updates; 200 only once stored; the secret, bad bodies, repeats, health and metrics."""

from __future__ import annotations

import json

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.models import InboxUpdate, Member
from tests.conftest import BotRunner, make_settings
from tests.helpers import free_port

SECRET = "s3cret-token_for-tests-0123456789"



@pytest.fixture
async def hooked(telegram, db, clock):
    """The bot in webhook mode, listening on a free local port; the fake Telegram posts to it."""
    port = free_port()
    settings = make_settings(telegram, db, webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
                             webhook_listen="127.0.0.1", webhook_port=port, webhook_secret=SECRET)
    runner = BotRunner(telegram, db, clock, settings, webhook=True)
    await runner.start()
    runner.url = f"http://127.0.0.1:{port}"
    yield runner
    await runner.stop()
    assert runner.errors == []


async def post(url: str, body: bytes, secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        return response.status


async def stored(db) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(InboxUpdate))


def start_update(update_id: int, user_id: int) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Sokha", "language_code": "km"}
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": 0, "chat": {"id": user_id, "type": "private", "first_name": "Sokha"},
        "from": user, "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


async def test_the_bot_sets_its_webhook_with_the_secret_and_the_updates_it_wants(hooked, telegram):
    assert telegram.webhook["url"].endswith("/telegram/hook")
    assert telegram.webhook["secret_token"] == SECRET
    call = telegram.calls("setWebhook")[-1]
    assert "callback_query" in call["allowed_updates"] and "poll_answer" in call["allowed_updates"]


async def test_a_member_posted_by_telegram_gets_the_first_screen(hooked, telegram, db):
    user = telegram.user(7101, "Sokha", language_code="km")
    await user.command("start")
    assert "ភាសាខ្មែរ" in user.last.button_texts()
    assert [status for _, status in telegram.webhook_attempts] == [200]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret-0123456789", SECRET[:-1]])
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(hooked, db, secret):
    assert await post(f"{hooked.url}/telegram/hook", json.dumps(start_update(900, 7102)).encode(), secret) == 403
    assert await stored(db) == 0


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b'{"update_id": "7"}', b'{"message": {}}',
                                  b'{"update_id": 5}', b"\xff\xfe", b"{" * 2_000_000])
async def test_a_malformed_or_oversized_body_is_refused_and_nothing_is_stored(hooked, db, body):
    assert await post(f"{hooked.url}/telegram/hook", body) == 400
    assert await stored(db) == 0


async def test_the_same_update_posted_twice_is_handled_once(hooked, telegram, db):
    telegram.add_chat(7103)
    body = json.dumps(start_update(901, 7103)).encode()
    assert await post(f"{hooked.url}/telegram/hook", body) == 200
    await hooked.settle(901)
    assert await post(f"{hooked.url}/telegram/hook", body) == 200
    await hooked.settle(901, times=2)
    assert await stored(db) == 1
    assert len(telegram.messages(7103)) == 1
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 1


async def test_health_tells_the_inbox_depth_and_metrics_count_updates(hooked, telegram):
    user = telegram.user(7104, "Dara")
    await user.command("start")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{hooked.url}/healthz") as response:
            assert response.status == 200
            health = await response.json()
        async with session.get(f"{hooked.url}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["inbox_waiting"] == 0 and health["leader"] is True
    for name in ("sahakor_updates_received_total", "sahakor_updates_handled_total", "sahakor_inbox_depth",
                 "sahakor_outbox_depth", "sahakor_messages_sent_total", "sahakor_telegram_429_total",
                 "sahakor_update_handling_seconds_bucket"):
        assert name in text


async def test_polling_is_refused_by_telegram_while_a_webhook_is_set(hooked, telegram):
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{telegram.base_url}{telegram.token}/getUpdates", json={"timeout": 0}) as response:
            assert response.status == 409
