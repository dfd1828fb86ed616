"""Helpers several test modules share: bot processes run as a person would run them, and waiting on them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable

from tests.fakebot.server import FakeTelegram


class BotProcess:
    """`sahakor run` in a process of its own, pointed at the fake Bot API server and a test database."""

    def __init__(self, telegram: FakeTelegram, db_url: str, *args: str, **env: str) -> None:
        self.telegram = telegram
        self.db_url = db_url
        self.args = args
        self.env = env
        self.process: subprocess.Popen | None = None
        self._log = tempfile.NamedTemporaryFile("w+", prefix="sahakor-", suffix=".log", delete=False)

    def start(self) -> BotProcess:
        env = dict(os.environ, TELEGRAM_BOT_TOKEN=self.telegram.token, TELEGRAM_API_BASE_URL=self.telegram.base_url,
                   DATABASE_URL=self.db_url, LOG_LEVEL="WARNING", **self.env)
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", *self.args], env=env,
                                        stdout=subprocess.DEVNULL, stderr=self._log, text=True)
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def wait(self, timeout: float = 30) -> int:
        return await asyncio.get_running_loop().run_in_executor(None, self.process.wait, timeout)

    async def kill(self) -> None:
        """SIGKILL, as an out-of-memory kill or a power cut would: nothing gets to clean up."""
        self.process.send_signal(signal.SIGKILL)
        await self.wait()

    async def stop(self) -> int:
        """SIGTERM, a clean stop."""
        if self.alive:
            self.process.terminate()
        return await self.wait()

    def log(self) -> str:
        self._log.flush()
        with open(self._log.name, encoding="utf-8", errors="replace") as handle:
            return handle.read()


async def wait_until(telegram: FakeTelegram, check: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    """Waits until `check()` holds, looking again whenever the fake server sees a call (or twice a second)."""
    async def loop() -> None:
        while not await check():
            seen = len(telegram.requests)
            try:
                await telegram.wait_for(lambda: len(telegram.requests) > seen, timeout=0.5)
            except AssertionError:
                pass

    await asyncio.wait_for(loop(), timeout)
