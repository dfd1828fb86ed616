"""Broadcast benchmark: the outbox worker against the fake Bot API server in another process.

Scenarios, measured in one run:
  * 3,000 recipients with the server's limit at 30 msg/s: the sustained rate must reach ≥ 95% of the
    limit without provoking a single 429; 0 lost, 0 duplicated.
  * 10,000 and 100,000 recipients with the limit lifted: msg/s (target ≥ 1,000) and the worker's peak
    memory for each (target: within 20% of each other — recipients are read in windows, never all at once).

Each scenario runs the worker in its own process (so its peak RSS is its own), against a fresh server
process and a fresh SQLite database (or PostgreSQL with --database-url).

    python bench/broadcast.py                 # all three scenarios
    python bench/broadcast.py --small         # 300 / 1,000 / 3,000: a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import gc
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIRST_CHAT = 1_000_000
TOKEN = "123456:BENCH-TOKEN"


def start_server(recipients: int, rate: float | None) -> tuple[subprocess.Popen, str]:
    """Starts the fake Bot API server; returns the process and its base URL."""
    command = [sys.executable, "-m", "bot.fakeapi", "--port", "0", "--token", TOKEN, "--history", "1",
               "--known-chats", f"{FIRST_CHAT}-{FIRST_CHAT + recipients - 1}"]
    if rate:
        command += ["--global-rate", str(rate)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base_url = process.stdout.readline().strip()
    if not base_url.startswith("http"):
        process.kill()
        raise RuntimeError("the fake Bot API server did not start")
    return process, base_url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


async def seed(url: str, recipients: int) -> int:
    """Migrated database with `recipients` registered members and one broadcast to all of them."""
    from sqlalchemy import insert

    from bot.db import Database
    from bot.models import Member
    from bot.services import outbox
    from bot.services.audience import Audience

    now = datetime.now(UTC)
    db = Database(url)
    async with db.session() as session:
        for start in range(0, recipients, 5_000):
            rows = [dict(telegram_id=FIRST_CHAT + i, language="km" if i % 2 else "en", step=None, editing=False,
                         name=f"Member {i}", gender="woman" if i % 3 == 0 else "man", registered_at=now,
                         consented_at=now, receives_announcements=True, reachable=True, created_at=now,
                         updated_at=now)
                    for i in range(start, min(start + 5_000, recipients))]
            await session.execute(insert(Member), rows)
        content = {"en": {"text": "<b>Policy brief</b>: the second ALiSEA Policy Dialogue Workshop report is out."},
                   "km": {"text": "<b>សេចក្តីសង្ខេបគោលនយោបាយ</b>៖ របាយការណ៍សិក្ខាសាលាពិភាក្សាគោលនយោបាយលើកទី២ បានចេញហើយ។"}}
        delivery = await outbox.create(session, kind="broadcast", content=content, send_at=now, now=now)
        await outbox.add_audience(session, delivery, Audience())
        delivery_id = delivery.id
    await db.dispose()
    return delivery_id


async def work(url: str, base_url: str, rate: float | None, delivery_id: int) -> dict:
    """Runs the delivery worker until the broadcast is done; returns what it measured."""
    from sqlalchemy import func, select

    from bot.clock import Clock
    from bot.db import Database
    from bot.delivery import DeliveryWorker, Limits
    from bot.models import Delivery, OutboxMessage

    db = Database(url)
    bot = DeliveryWorker.make_bot(TOKEN, base_url, base_url.replace("/bot", "/file/bot"))
    worker = DeliveryWorker(db, bot, Clock(), Limits(per_second=rate, window=100 if not rate else 50))
    # As the bot does once it has started (handlers.system.on_startup): what exists now lives for good.
    gc.freeze()
    started = time.perf_counter()
    await worker.start()

    async def finished() -> bool:
        async with db.session() as session:
            return (await session.get(Delivery, delivery_id)).status == "done"

    while not await finished():
        async with worker.window_done:
            await worker.window_done.wait()
    elapsed = time.perf_counter() - started
    await worker.stop()
    async with db.session() as session:
        counts = dict((await session.execute(select(OutboxMessage.status, func.count()).group_by(
            OutboxMessage.status))).all())
    await db.dispose()
    return {"elapsed": elapsed, "statuses": counts, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def server_stats(base_url: str) -> dict:
    import urllib.request

    control = base_url.rsplit("/bot", 1)[0] + "/_control/stats"
    with urllib.request.urlopen(control, timeout=10) as response:
        return json.load(response)


def scenario(name: str, recipients: int, rate: float | None, database_url: str | None) -> dict:
    """One scenario: fresh database and server, the worker in a child process, then the checks."""
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{folder}/bench.sqlite3"
        from bot.db import migrate

        migrate(url)
        delivery_id = asyncio.run(seed(url, recipients))
        server, base_url = start_server(recipients, rate)
        try:
            child = subprocess.run([sys.executable, __file__, "--worker", url, base_url, str(rate or 0),
                                    str(delivery_id)], cwd=ROOT, capture_output=True, text=True, timeout=3600)
            if child.returncode != 0:
                raise RuntimeError(child.stderr[-2000:])
            measured = json.loads(child.stdout.strip().splitlines()[-1])
            stats = server_stats(base_url)
        finally:
            stop(server)
        if database_url:
            asyncio.run(_empty(database_url))
    outcomes = stats["stats"]["outcomes"]
    sent_rows = measured["statuses"].get("sent", 0)
    return {
        "name": name, "recipients": recipients, "rate_limit": rate, "seconds": measured["elapsed"],
        "msg_per_s": stats["sent_count"] / measured["elapsed"], "lost": recipients - sent_rows,
        "duplicated": stats["sent_count"] - sent_rows, "http_429": outcomes.get("429", 0),
        "peak_rss_mb": measured["peak_rss_mb"],
    }


async def _empty(url: str) -> None:
    from sqlalchemy import text

    from bot.db import Database
    from bot.models import Base

    db = Database(url)
    async with db.session() as session:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await db.dispose()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, base_url, rate, delivery_id = sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
        print(json.dumps(asyncio.run(work(url, base_url, rate or None, delivery_id))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="smaller audiences, for a quick look")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="an empty, migrated-or-new database to use instead of a temporary SQLite file")
    args = parser.parse_args()
    sizes = (300, 1_000, 3_000) if args.small else (3_000, 10_000, 100_000)
    results = [
        scenario("limit 30 msg/s", sizes[0], 30.0, args.database_url),
        scenario("no limit", sizes[1], None, args.database_url),
        scenario("no limit", sizes[2], None, args.database_url),
    ]
    print(f"{'scenario':<16}{'recipients':>11}{'seconds':>9}{'msg/s':>9}{'lost':>6}{'dup':>5}{'429s':>6}{'peak MB':>9}")
    for r in results:
        print(f"{r['name']:<16}{r['recipients']:>11,}{r['seconds']:>9.1f}{r['msg_per_s']:>9.1f}{r['lost']:>6}"
              f"{r['duplicated']:>5}{r['http_429']:>6}{r['peak_rss_mb']:>9.1f}")
    limited, small, large = results
    print(f"limited run: {limited['msg_per_s'] / 30.0:.1%} of the 30 msg/s limit (target ≥ 95%, no 429)")
    print(f"unlimited: {small['msg_per_s']:.0f} and {large['msg_per_s']:.0f} msg/s (target ≥ 1,000)")
    print(f"peak memory {large['recipients']:,} vs {small['recipients']:,} recipients: "
          f"{large['peak_rss_mb'] / small['peak_rss_mb']:.2f}× (target ≤ 1.20×)")
    ok = all(r["lost"] == 0 and r["duplicated"] == 0 for r in results) and limited["http_429"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
