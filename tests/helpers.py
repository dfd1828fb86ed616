"""Bot processes run as a person would run them (one, or replicas behind a load balancer), and waiting on them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

from bot.fakeapi import FakeTelegram


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


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RoundRobinProxy:
    """A load balancer in front of webhook replicas: each request goes to the next replica that answers."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.port = free_port()
        self.forwarded: dict[int, int] = {port: 0 for port in backends}
        self._next = 0
        self._runner = None
        self._session = None

    async def start(self) -> RoundRobinProxy:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._session = aiohttp.ClientSession()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()
        await self._session.close()

    async def _forward(self, request):
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        for _ in range(len(self.backends)):
            port = self.backends[self._next % len(self.backends)]
            self._next += 1
            try:
                async with self._session.request(request.method, f"http://127.0.0.1:{port}{request.path_qs}",
                                                 data=body, headers=headers) as response:
                    self.forwarded[port] += 1
                    return web.Response(status=response.status, body=await response.read())
            except aiohttp.ClientConnectionError:
                continue  # that replica is down: the next one takes it, as a load balancer's health check would
        return web.Response(status=502, text="no replica answered")


# What the replicas are started with: the webhook's secret, and their shared send rate (messages a second).
SECRET = "replica-secret-0123456789abcdef"
RATE = 30


class Replicas:
    """`sahakor run --webhook` several times on one database behind the round-robin proxy; one of them leads."""

    def __init__(self, telegram: FakeTelegram, db_url: str, count: int = 3) -> None:
        self.ports = [free_port() for _ in range(count)]
        self.proxy = RoundRobinProxy(self.ports)
        self.telegram = telegram
        self.db_url = db_url
        self.processes: dict[int, BotProcess] = {}

    async def start(self) -> None:
        await self.proxy.start()
        url = f"http://127.0.0.1:{self.proxy.port}/telegram/hook"
        for port in self.ports:
            self.processes[port] = BotProcess(
                self.telegram, self.db_url, "--webhook", WEBHOOK_URL=url, WEBHOOK_PORT=str(port),
                WEBHOOK_SECRET=SECRET, SEND_RATE_PER_SECOND=str(RATE), LEASE_SECONDS="2", LEADER_CHECK_SECONDS="0.5",
                INBOX_SWEEP_SECONDS="0.2").start()
        await asyncio.wait_for(self._all_healthy(), 120)

    async def _all_healthy(self) -> None:
        while True:
            states = [await self.health(port) for port in self.ports]
            if all(states) and sum(s["leader"] for s in states) == 1:
                return
            await asyncio.sleep(0.2)

    async def health(self, port: int) -> dict | None:
        try:
            async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as r:
                return await r.json() if r.status == 200 else None
        except aiohttp.ClientError:
            return None

    async def leader(self) -> int:
        for port in self.ports:
            state = await self.health(port)
            if state and state["leader"]:
                return port
        raise AssertionError("no leader")

    async def stop(self) -> None:
        for process in self.processes.values():
            if process.alive:
                await process.stop()
        await self.proxy.stop()
