"""Configuration, the command line, migrations, catalogs, logs and Telegram errors."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from bot.config import ConfigError, derive_file_url, load_settings
from bot.db import downgrade, migrate
from bot.i18n import LANGUAGES, catalog_problems, translator
from bot.logs import Redact, redact
from bot.models import Base
from tests.conftest import PG_URL
from tests.helpers_members import member_of, register

en = translator("en")
ROOT = Path(__file__).resolve().parent.parent


def test_settings_come_from_the_environment_with_sensible_defaults():
    settings = load_settings({"TELEGRAM_BOT_TOKEN": "1:abc", "COORDINATOR_IDS": "12, ១៣,", "TIMEZONE": ""})
    assert settings.coordinator_ids == {12, 13}
    assert settings.timezone == "Asia/Phnom_Penh"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert settings.api_file_url == "https://api.telegram.org/file/bot"
    local = load_settings({"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot"})
    assert local.api_file_url == "http://127.0.0.1:8081/file/bot"
    assert derive_file_url("http://h/custom/") == "http://h/custom/file"


def test_bad_settings_are_explained():
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load_settings({})
    with pytest.raises(ConfigError, match="COORDINATOR_IDS"):
        load_settings({"TELEGRAM_BOT_TOKEN": "1:a", "COORDINATOR_IDS": "alice"})
    with pytest.raises(ConfigError, match="TIMEZONE"):
        load_settings({"TELEGRAM_BOT_TOKEN": "1:a", "TIMEZONE": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR"):
        load_settings({"TELEGRAM_BOT_TOKEN": "1:a", "LOG_LEVEL": "verbose"})


def test_run_without_a_token_exits_at_once_with_a_clear_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_command_creates_the_sqlite_database(tmp_path):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path}/data/bot.sqlite3")
    env.pop("TELEGRAM_BOT_TOKEN", None)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "migrate"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    engine = create_engine(f"sqlite:///{tmp_path}/data/bot.sqlite3")
    assert {"member", "coordinator", "inbox_update", "send_budget", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_migrations_upgrade_from_empty_downgrade_to_base_and_match_the_models(tmp_path):
    if PG_URL:
        import uuid

        from tests.conftest import _pg_admin

        name = f"sahakor_mig_{uuid.uuid4().hex[:8]}"
        _pg_admin(PG_URL, f'CREATE DATABASE "{name}"')
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    else:
        # The rest of the suite uses plain sqlite:// URLs; an explicit aiosqlite URL must work as well.
        url = f"sqlite+aiosqlite:///{tmp_path}/mig.sqlite3"
    try:
        migrate(url)
        diff = asyncio.run(_autogenerate_diff(url))
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(url, "base")
        assert asyncio.run(_tables(url)) <= {"alembic_version"}
        migrate(url)
        assert "member" in asyncio.run(_tables(url))
    finally:
        if PG_URL:
            _pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _autogenerate_diff(url: str) -> list:
    from bot.db import make_engine

    engine = make_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    await engine.dispose()
    return diff


async def _tables(url: str) -> set[str]:
    from bot.db import make_engine

    engine = make_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_translation_with_the_same_placeholders(language):
    assert catalog_problems(language) == []


def test_the_catalog_template_holds_every_message_in_the_code(tmp_path):
    """A message added to the code but not extracted would show in English to Khmer readers."""
    pot = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_",
                    "--no-location", "--sort-output", "-o", str(pot), "."], cwd=ROOT, check=True,
                   capture_output=True)
    from babel.messages.pofile import read_po

    fresh = {m.id for m in read_po(pot.open("rb")) if m.id}
    catalog = {m.id for m in read_po((ROOT / "locales/km/LC_MESSAGES/messages.po").open("rb")) if m.id}
    assert fresh - catalog == set(), "run the catalog update described in the README"


def test_logs_never_show_the_token_or_phone_numbers():
    record = logging.LogRecord("x", logging.INFO, __file__, 1,
                               "POST https://api.telegram.org/bot123:SECRET/sendMessage for %s, update %s",
                               ("+855 12 345 678", 123456789), None)
    Redact("123:SECRET").filter(record)
    assert record.getMessage() == "POST https://api.telegram.org/bot<token>/sendMessage for <phone>, update 123456789"


@pytest.mark.parametrize("phone", ["85599887766", "+85599887766", "+855 99 887 766", "855-99-887-766", "099 887 766",
                                   "012345678", "12345678", "០១២៣៤៥៦៧៨"])
def test_phone_numbers_are_redacted_however_they_are_written(phone):
    assert redact(f"contact {phone} shared; phone_number='{phone}'") == "contact <phone> shared; phone_number='<phone>'"


@pytest.mark.parametrize("text", [
    "update 123456789 handled in 3.2 ms: command /start from user 1234567890",  # the fixed phrases with ids
    "update 987654321 (button 'coord:remove:5012345678' from user 9000): Forbidden",
    "menu for chat -1001234567890 not set; could not tell coordinator 5012345678 about chat -1009876543210",
    "{'update_id': 123456789, 'user_id': 1234567890, 'date': 1733900000, 'edit_date': 1733900100}",
    "reminder at 2024-12-11 17:00:00+00:00, lease until 1733900000.25, sent 2024-12-11T17:00:00",
    "poll 5381828371637190657 closed; connect call failed ('127.0.0.1', 5432); 0x7f448b79da00",
])
def test_ids_timestamps_and_other_numbers_are_left_as_they_are(text):
    assert redact(text, "123:SECRET") == text


def test_the_token_is_redacted_from_tracebacks_and_stacks_and_any_bot_token_shape():
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact("123456:SECRET-token"))
    logger = logging.getLogger("sahakor.test.redaction")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError("The token `123456:SECRET-token` was rejected (GET /bot123456%3ASECRET-token/getMe) "
                               "for contact 85599887766")
        except RuntimeError:
            logger.exception("start failed")
        logger.warning("other bot 987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", stack_info=True)
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert "Traceback (most recent call last)" in text and "Stack (most recent call last)" in text
    assert "SECRET" not in text and "AAHdqTcv" not in text and "85599887766" not in text
    assert "The token `<token>` was rejected (GET /bot<token>/getMe) for contact <phone>" in text
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ERROR sahakor.test.redaction: start failed", text)


def test_an_error_nothing_caught_is_logged_redacted(tmp_path):
    program = ("from bot import logs; logs.setup('INFO', '123456:SECRET-token'); "
               "raise RuntimeError('bad token 123456:SECRET-token, phone 85599887766')")
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "CRITICAL sahakor: stopped by an error: RuntimeError: bad token <token>, phone <phone>" in result.stderr
    assert "SECRET" not in result.stderr and "85599887766" not in result.stderr


async def test_a_429_retry_after_is_respected_5xx_are_retried_and_a_reply_that_may_have_arrived_is_not(bot, telegram, db):
    user = telegram.user(501, "Retry")
    await register(user, en)
    telegram.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1)
    telegram.fail_next("sendMessage", status=502, description="Bad Gateway")
    await user.command("help")
    assert en("Here is what you can do:") in user.last.text
    sent = len(telegram.calls("sendMessage"))
    telegram.drop_next("sendMessage", processed=True)
    await user.command("help")
    assert user.texts()[-2:] == [user.last.text] * 2 and len(telegram.calls("sendMessage")) == sent + 1
    assert [type(e).__name__ for e in bot.errors] == ["OutcomeUnknown"]  # logged; see test_fault_tolerance.py
    bot.errors.clear()
    assert (await member_of(db, 501)).reachable is True
