"""Starting and running the bot as a newcomer does: the README's recipe against the fake Telegram, what
`sahakor run` says when Telegram or the database can't be reached, the configured time zone, and a wheel
installed (not editable) in a fresh virtualenv."""

from __future__ import annotations

import ast
import inspect
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import config
from bot.clock import FrozenClock
from bot.fakeapi import FakeTelegram
from bot.i18n import translator
from bot.services import surveys
from tests.conftest import BotRunner, make_settings
from tests.helpers import free_port, wait_until
from tests.helpers_members import register

en = translator("en")
ROOT = Path(__file__).resolve().parent.parent
# Run the command line in a process of its own, then collect every object left behind (the bot freezes the
# collector at start): an aiohttp session nobody closed reports itself then, as "Unclosed client session".
CLI = "import gc, sys; from bot.cli import main; code = main(sys.argv[1:]); gc.unfreeze(); gc.collect(); sys.exit(code)"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def clean_environment() -> dict[str, str]:
    """This process's environment without any of the bot's settings (each test gives its own)."""
    settings = ("TELEGRAM_", "DATABASE_URL", "COORDINATOR_IDS", "TIMEZONE", "LOG_LEVEL", "WEBHOOK_")
    return {k: v for k, v in os.environ.items() if not k.startswith(settings)}


def cli(*args: str, cwd: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """`sahakor ARGS` with these settings."""
    return subprocess.run([sys.executable, "-c", CLI, *args], cwd=cwd, env={**clean_environment(), **env},
                          capture_output=True, text=True, timeout=timeout)


def readme_section(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(heading)
    end = text.find("\n#", start + len(heading))
    return text[start:end if end != -1 else None]


# ------------------------------------------------------------------------------------------ the recipe


async def test_the_readme_recipe_runs_the_bot_against_the_fake_telegram(tmp_path):
    """The two-terminal recipe, word for word (another port): the bot answers, the log shows the member's id
    for COORDINATOR_IDS but never the token or their phone number, and Ctrl-C stops it cleanly."""
    blocks = re.findall(r"```(\w*)\n(.*?)```", readme_section("### Try it without a token"), re.S)
    (_, prompt), (_, command), (_, talk) = blocks
    port = free_port()
    namespace: dict = {}
    await _type_into_python(prompt.replace("8081", str(port)), namespace)
    telegram: FakeTelegram = namespace["telegram"]
    me = namespace["me"]
    words = shlex.split(command.replace("\\\n", " ").replace("8081", str(port)))
    settings = dict(word.split("=", 1) for word in words[:-2])
    assert words[-2:] == ["sahakor", "run"] and settings["TELEGRAM_BOT_TOKEN"] == telegram.token
    # DEBUG: python-telegram-bot then logs every request it makes, the member's phone number among them.
    log_file = (tmp_path / "bot.log").open("w")
    bot = subprocess.Popen([sys.executable, "-c", CLI, "run"], cwd=tmp_path, stderr=log_file,
                           env={**clean_environment(), **settings, "LOG_LEVEL": "DEBUG"})
    try:
        await wait_until(telegram, lambda: _true(bool(telegram.calls("getUpdates"))), timeout=60)
        database = tmp_path / settings["DATABASE_URL"].removeprefix("sqlite:///")
        telegram.settle = lambda update_id: wait_until(telegram, lambda: _finished(database, update_id), timeout=30)
        await _type_into_python(talk, namespace)
        assert en("What is your name?") in " ".join(m.plain_text or "" for m in me.messages)
        assert me.last.button_texts() == [en("Woman"), en("Man"), en("Prefer not to say")]
        await me.press(en("Woman"))
        await me.press(en("Farmer / producer"))
        await me.press(en("Skip"))
        await me.send("Kampot")
        await me.share_contact("85599887766")
        assert "85599887766" in me.last.plain_text
        # A coordinator (COORDINATOR_IDS=1001): their menu was set when they wrote, not at start.
        menus = [c for c in telegram.calls("setMyCommands") if c.get("scope")]
        assert menus and {c["scope"]["chat_id"] for c in menus} == {1001}
    finally:
        bot.send_signal(signal.SIGINT)
        bot.wait(timeout=60)
        log_file.close()
        await telegram.stop()
    log = (tmp_path / "bot.log").read_text(encoding="utf-8")
    assert bot.returncode == 0, log
    assert "command /start from user 1001" in log
    assert "85599887766" not in log and "<phone>" in log
    assert telegram.token not in log and "Traceback" not in log and "Unclosed" not in log


async def _type_into_python(session: str, namespace: dict) -> None:
    """Runs the `>>> ` lines of a `python -m asyncio` session shown in the README, awaiting as that prompt does."""
    for line in session.splitlines():
        if line.startswith(">>> "):
            code = compile(line[4:], "<README>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            result = eval(code, namespace)
            if inspect.iscoroutine(result):
                await result


async def _true(value: bool) -> bool:
    return value


async def _finished(database: Path, update_id: int) -> bool:
    """The bot is done with the update (replies sent): its inbox row is marked finished."""
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT finished_at FROM inbox_update WHERE update_id = ?", (update_id,)).fetchone()
    return row is not None and row[0] is not None


# ------------------------------------------------------------------------------------- failing to start


def test_run_without_telegram_says_so_in_one_line_and_closes_its_connections(tmp_path):
    result = cli("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN",
                 TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{free_port()}/bot", DATABASE_URL="sqlite:///bot.sqlite3")
    lines = result.stderr.splitlines()
    assert result.returncode == 3, result.stderr
    said = [line for line in lines if not LOG_LINE.match(line)]
    assert len(said) == 1 and said[0].startswith("sahakor: cannot reach Telegram at http://127.0.0.1:"), result.stderr
    assert "Check the network connection and TELEGRAM_API_BASE_URL." in said[0]
    # Before it gives up: a warning for each attempt, and nothing else (no traceback, no alembic, no leak).
    assert all(" WARNING sahakor: getMe failed " in line for line in lines if LOG_LINE.match(line)), result.stderr
    assert "Unclosed" not in result.stderr and "alembic" not in result.stderr


@pytest.mark.parametrize("command", ["run", "migrate"])
def test_an_unreachable_database_is_one_line_naming_it_without_its_password(tmp_path, command):
    port = free_port()
    result = cli(command, cwd=tmp_path, TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN",
                 DATABASE_URL=f"postgresql+asyncpg://sahakor:s3cret@127.0.0.1:{port}/sahakor",
                 TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{free_port()}/bot")
    assert result.returncode == 4, result.stderr
    assert result.stderr.splitlines() == [
        f"sahakor: cannot open the database postgresql+asyncpg://sahakor:***@127.0.0.1:{port}/sahakor "
        f"(ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', {port})). "
        "Check DATABASE_URL, and that the database server is running and accepts connections."]


def test_migrate_shows_alembics_steps_only_at_debug(tmp_path):
    quiet = cli("migrate", cwd=tmp_path, DATABASE_URL="sqlite:///quiet.sqlite3")
    assert quiet.returncode == 0, quiet.stderr
    assert [line.split(" ", 3)[3] for line in quiet.stderr.splitlines()] == ["sahakor: database is at revision head"]
    verbose = cli("migrate", cwd=tmp_path, DATABASE_URL="sqlite:///verbose.sqlite3", LOG_LEVEL="DEBUG")
    assert verbose.returncode == 0 and "INFO alembic.runtime.migration: Running upgrade" in verbose.stderr


# ---------------------------------------------------------------------------------------------- TIMEZONE


async def test_dates_and_todays_date_follow_the_configured_timezone(telegram, db):
    """23:30 in Phnom Penh is already the next day in Tokyo: with TIMEZONE=Asia/Tokyo, a member registered
    then is a member since the 2nd, and surveys count the 2nd as today."""
    clock = FrozenClock(datetime(2024, 12, 1, 16, 30, tzinfo=UTC))
    runner = BotRunner(telegram, db, clock, make_settings(telegram, db, timezone="Asia/Tokyo"))
    await runner.start()
    try:
        user = telegram.user(601, "Dara")
        await register(user, en)
        await user.command("profile")
        tokyo, phnom_penh = en.date(clock.now(), ZoneInfo("Asia/Tokyo")), en.date(clock.now(), ZoneInfo("Asia/Phnom_Penh"))
        assert tokyo != phnom_penh
        assert en("Member since {date}.").format(date=tokyo) in user.last.text
        assert surveys.local_today(clock.now()) == date(2024, 12, 2)
    finally:
        await runner.stop()
        config.LOCAL_ZONE.use(config.DEFAULT_TIMEZONE)
    assert runner.errors == []


def test_no_module_hard_codes_the_default_zone():
    """TIMEZONE is the one place the zone is chosen; events keep the zone stored with them."""
    found = [f"{path.relative_to(ROOT)}:{number}"
             for folder in ("bot", "handlers") for path in (ROOT / folder).rglob("*.py")
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if "Asia/Phnom_Penh" in line.split("#")[0] and path != ROOT / "bot" / "config.py"]
    assert found == []


# ----------------------------------------------------------------------------------------------- packaging


def test_a_wheel_carries_catalogs_migrations_and_examples_and_works_installed_in_a_fresh_virtualenv(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", "*.sqlite3*", "tests", "bench"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", str(source), "-w", str(tmp_path)],
                           capture_output=True, text=True, timeout=600)
    offline = r"satisfies the requirement setuptools|No matching distribution|Failed to establish|Network is unreachable"
    if built.returncode != 0 and re.search(offline, built.stdout + built.stderr):
        pytest.skip(f"cannot build a wheel here: setuptools is not available offline ({built.stderr.strip()[-200:]})")
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("sahakor-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {f"bot/{path.relative_to(ROOT)}" for folder in ("locales", "migrations", "examples")
              for path in (ROOT / folder).rglob("*") if path.is_file() and "__pycache__" not in path.parts
              and path.suffix not in (".pyc", ".mo")}
    assert {"bot/locales/km/LC_MESSAGES/messages.po", "bot/migrations/env.py",
            "bot/examples/post_workshop_feedback.xlsx"} <= wanted
    assert wanted - names == set()

    # A virtualenv of its own for the package; its dependencies are borrowed from this one (no downloads).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = sysconfig.get_paths()
    Path(site, "borrowed-dependencies.pth").write_text(f"{ours['purelib']}\n{ours['platlib']}\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--quiet", str(wheel)], check=True, capture_output=True, timeout=300)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in clean_environment().items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run([python, "-c", "import bot.resources as r; print(r.folder('locales'))"], cwd=elsewhere,
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert where == f"{site}/bot/locales"
    migrated = subprocess.run([venv / "bin" / "sahakor", "migrate"], cwd=elsewhere, capture_output=True, text=True,
                              env={**env, "DATABASE_URL": f"sqlite:///{elsewhere}/bot.sqlite3"}, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    with sqlite3.connect(elsewhere / "bot.sqlite3") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"member", "inbox_update", "alembic_version"} <= tables
    # The installed catalogs are the repository's: the check says exactly what it says in the source tree.
    installed = subprocess.run([venv / "bin" / "sahakor", "check-catalogs"], cwd=elsewhere, env=env,
                               capture_output=True, text=True, timeout=120)
    in_tree = subprocess.run([sys.executable, "-m", "bot.cli", "check-catalogs"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert (installed.returncode, installed.stdout, installed.stderr) == (
        in_tree.returncode, in_tree.stdout, in_tree.stderr)
    assert "missing" not in installed.stderr
