"""Several bot processes on one database: leased claims, one send budget, and reports that survive a 429."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, update

from bot import metrics
from bot.db import Database
from bot.delivery import DeliveryWorker, Limits
from bot.i18n import translator
from bot.models import Delivery, OutboxMessage
from bot.pacing import SharedPacer
from bot.services.audience import Audience
from handlers.outreach.delivery_status import make_progress_hook
from tests.conftest import COORDINATOR_ID, PG_URL
from tests.helpers_members import seed_members
from tests.helpers_outbox import create_delivery, delivery_status, statuses

en = translator("en")
LEASE = 30.0
HEARTBEAT = LEASE / 3


class VirtualTime:
    """A wall clock and a sleep for the code under test: time moves, and sleepers wake, only when the test says."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.asked: list[float] = []  # every sleep asked for, in order
        self._sleepers: list[tuple[float, float, asyncio.Future]] = []
        self._waiters: set[asyncio.Event] = set()

    def wall(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Parks the caller until the test moves time past its wake-up moment (or wakes it by hand)."""
        self.asked.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        sleeper = (self.now + seconds, seconds, asyncio.get_running_loop().create_future())
        self._sleepers.append(sleeper)
        self._notify()
        try:
            await sleeper[2]
        finally:
            self._sleepers.remove(sleeper)
            self._notify()

    def parked(self, asked: Callable[[float], bool] = lambda _: True) -> int:
        """How many are asleep, of those whose sleep matches `asked`."""
        return sum(1 for _, seconds, _ in self._sleepers if asked(seconds))

    def move(self, seconds: float) -> None:
        """Moves the clock without waking anyone."""
        self.now += seconds

    def advance(self, seconds: float) -> None:
        """Moves the clock and wakes everyone whose moment has come."""
        self.now += seconds
        self.wake(lambda _: True)

    def wake(self, asked: Callable[[float], bool]) -> None:
        """Wakes the sleepers whose moment has come, of those whose sleep matches `asked`."""
        for at, seconds, future in self._sleepers:
            if asked(seconds) and at <= self.now and not future.done():
                future.set_result(None)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Waits until the predicate holds, re-checking whenever someone falls asleep or wakes."""
        async def loop() -> None:
            while not predicate():
                event = asyncio.Event()
                self._waiters.add(event)
                try:
                    await event.wait()
                finally:
                    self._waiters.discard(event)

        await asyncio.wait_for(loop(), timeout)

    def _notify(self) -> None:
        for event in self._waiters:
            event.set()


def make_bot(telegram):
    return DeliveryWorker.make_bot(telegram.token, telegram.base_url, telegram.base_file_url)


async def rows(db, delivery_id: int) -> list[OutboxMessage]:
    async with db.session() as session:
        return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.delivery_id == delivery_id)
                                          .order_by(OutboxMessage.id)))


async def stall_a_window(db, telegram, clock, vt: VirtualTime, identity: str = "replica-a"):
    """A worker claims a window of ten rows and sends the first few; the rest wait on its pacer, whose time
    never moves. Returns the worker and the task running its window."""
    worker = DeliveryWorker(db, make_bot(telegram), clock, Limits(per_second=40.0), identity=identity,
                            lease_seconds=LEASE, wall=vt.wall, monotonic=vt.wall, sleep=vt.sleep)
    assert worker.window == 10
    await worker.bot.initialize()
    window = asyncio.create_task(worker.run_once())
    await vt.wait_until(lambda: vt.parked(lambda s: s == HEARTBEAT) == 1 and vt.parked(lambda s: s < 1) >= 1)
    return worker, window


async def kill(worker: DeliveryWorker, window: asyncio.Task) -> None:
    """Stops a worker as a crash would: its window is cancelled and nothing is recorded."""
    window.cancel()
    with pytest.raises(asyncio.CancelledError):
        await window
    await worker.bot.shutdown()


async def test_a_starting_replica_leaves_rows_under_a_live_lease_and_takes_them_once_it_runs_out(telegram, db, clock):
    ids = await seed_members(db, telegram, clock, 12)
    delivery_id = await create_delivery(db, clock)
    vt = VirtualTime()
    a, window = await stall_a_window(db, telegram, clock, vt)
    claimed_at = vt.now
    # A third of a lease later, A's heartbeat renews its claim.
    vt.move(25)
    vt.wake(lambda s: s == HEARTBEAT)
    await vt.wait_until(lambda: vt.asked.count(HEARTBEAT) == 2)

    vt.move(10)  # past the first lease, within the renewed one
    b = DeliveryWorker(db, make_bot(telegram), clock, Limits(per_second=None), identity="replica-b",
                       lease_seconds=LEASE, wall=vt.wall, monotonic=vt.wall, sleep=vt.sleep)
    await b.start()
    assert b.recovered == 0
    await until_sent(b, db, delivery_id, 2)  # only the rows no one holds
    held = [r for r in await rows(db, delivery_id) if r.status == "sending"]
    assert len(held) == 10
    assert {r.claimed_by for r in held} == {"replica-a"}
    assert {r.lease_until for r in held} == {claimed_at + 25 + LEASE}

    await kill(a, window)
    vt.move(LEASE)  # A's lease runs out: A is gone
    b.wake()
    await wait_done(b, db, delivery_id)
    await b.stop()

    after = await rows(db, delivery_id)
    assert Counter(r.status for r in after) == Counter({"sent": 12})
    taken_back = [r for r in after if r.claimed_by == "replica-b" and r.attempts == 2]
    assert len(taken_back) == 10  # each counted as a retry
    # What A sent before it died goes out once more (it never recorded it); everything else exactly once.
    counts = Counter(len(telegram.messages(chat)) for chat in ids)
    assert set(counts) == {1, 2}
    assert 1 <= counts[2] < 10


async def until_sent(worker: DeliveryWorker, db, delivery_id: int, count: int, timeout: float = 20.0) -> None:
    async def loop() -> None:
        while (await statuses(db, delivery_id))["sent"] < count:
            async with worker.window_done:
                await worker.window_done.wait()

    await asyncio.wait_for(loop(), timeout)


async def test_a_replica_starting_after_a_lease_ran_out_puts_the_rows_back_and_sends_them(telegram, db, clock):
    ids = await seed_members(db, telegram, clock, 10)
    delivery_id = await create_delivery(db, clock)
    vt = VirtualTime()
    a, window = await stall_a_window(db, telegram, clock, vt)
    await kill(a, window)

    vt.move(LEASE + 1)
    c = DeliveryWorker(db, make_bot(telegram), clock, Limits(per_second=None), identity="replica-c",
                       lease_seconds=LEASE, wall=vt.wall, sleep=vt.sleep)
    await c.start()
    assert c.recovered == 10
    await wait_done(c, db, delivery_id)
    await c.stop()
    assert await statuses(db, delivery_id) == Counter({"sent": 10})
    assert all(1 <= len(telegram.messages(chat)) <= 2 for chat in ids)


async def test_the_sole_process_puts_back_every_row_left_in_flight_lease_or_not(telegram, db, clock):
    ids = await seed_members(db, telegram, clock, 10)
    delivery_id = await create_delivery(db, clock)
    vt = VirtualTime()
    a, window = await stall_a_window(db, telegram, clock, vt)
    await kill(a, window)

    # With SQLite no other process can have the file: the restarted bot owns what is in flight at once.
    c = DeliveryWorker(db, make_bot(telegram), clock, Limits(per_second=None), identity="replica-c",
                       lease_seconds=LEASE, sole_process=True, wall=vt.wall, sleep=vt.sleep)
    await c.start()
    assert c.recovered == 10
    await wait_done(c, db, delivery_id)
    await c.stop()
    assert await statuses(db, delivery_id) == Counter({"sent": 10})
    assert all(1 <= len(telegram.messages(chat)) <= 2 for chat in ids)


async def wait_done(worker: DeliveryWorker, db, delivery_id: int, timeout: float = 20.0) -> None:
    async def loop() -> None:
        while await delivery_status(db, delivery_id) != "done":
            async with worker.window_done:
                await worker.window_done.wait()

    await asyncio.wait_for(loop(), timeout)


async def test_a_restarted_process_takes_back_what_it_held_under_the_same_name(telegram, db, clock):
    await seed_members(db, telegram, clock, 10)
    delivery_id = await create_delivery(db, clock)
    vt = VirtualTime()
    a, window = await stall_a_window(db, telegram, clock, vt, identity="host-1")
    await kill(a, window)
    again = DeliveryWorker(db, make_bot(telegram), clock, Limits(per_second=None), identity="host-1",
                           lease_seconds=LEASE, wall=vt.wall, sleep=vt.sleep)
    await again.start()
    assert again.recovered == 10  # the lease has not run out, but its holder is this process, restarted
    await wait_done(again, db, delivery_id)
    await again.stop()


@pytest.mark.skipif(not PG_URL, reason="SQLite: only one bot process can use the file")
async def test_two_replicas_send_one_delivery_once_each_and_together_keep_to_the_limit(telegram, db, clock):
    rate, count = 100.0, 300
    telegram.global_rate = rate  # the fake Telegram answers 429 beyond 100 messages a second
    ids = await seed_members(db, telegram, clock, count)
    delivery_id = await create_delivery(db, clock)
    other_db = Database(db.url)  # another process's connections
    workers = [DeliveryWorker(database, make_bot(telegram), clock, Limits(per_second=rate), identity=name)
               for database, name in ((db, "replica-a"), (other_db, "replica-b"))]
    loop = asyncio.get_running_loop()
    arrivals: list[float] = []

    def all_sent() -> bool:
        arrivals.extend([loop.time()] * (telegram.sent_count - len(arrivals)))
        return telegram.sent_count >= count

    try:
        for worker in workers:
            await worker.start()
        await telegram.wait_for(all_sent, timeout=30)
        for worker in workers:
            await worker.stop()
    finally:
        await other_db.dispose()

    assert await statuses(db, delivery_id) == Counter({"sent": count})
    assert await delivery_status(db, delivery_id) == "done"
    assert [len(telegram.messages(i)) for i in ids] == [1] * count
    assert telegram.stats["outcomes"]["429"] == 0
    async with db.session() as session:
        shares = dict((await session.execute(select(OutboxMessage.claimed_by, func.count())
                                             .group_by(OutboxMessage.claimed_by))).all())
    assert set(shares) == {"replica-a", "replica-b"}
    # Telegram's own judge is the fake server's token bucket (no 429 above). The arrivals are stamped when this
    # test gets to look, which on a busy machine is in bunches: the busiest second only shows no replica ran
    # on its own budget (two would send up to twice the limit).
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    assert busiest <= rate * 1.5
    assert arrivals[-1] - arrivals[0] >= (count - rate * 1.25) / rate


async def test_replicas_share_one_pace_and_count_each_others_replies_and_429s(db):
    vt = VirtualTime()
    slept: list[tuple[str, float]] = []

    def pacer(name: str) -> SharedPacer:
        async def sleep(seconds: float) -> None:
            slept.append((name, round(seconds, 3)))
            vt.move(seconds)

        return SharedPacer(db, 10.0, block=2, wall=vt.wall, sleep=sleep)  # one send every 0.1 s, 2 slots a time

    one, two = pacer("one"), pacer("two")
    await one.wait()
    await one.wait()  # an idle budget may catch up a tenth of a second: both go at once
    await two.wait()
    await two.wait()  # two's slots come after one's
    assert slept == [("two", 0.1), ("two", 0.1)]
    for _ in range(3):
        one.make_room()  # three replies went out from process one
    await one.wait()
    assert slept[-1] == ("one", 0.4)  # one free slot after two's, then the replies' three
    await two.pause(5.0)  # Telegram answered two with retry after 5
    await one.wait()  # one's slot reserved before the 429 (at most a window's worth)
    await one.wait()
    assert slept[-1] == ("one", round(5.0 - 0.1, 3))  # every process waits out the pause
    await one.pause(1.0)
    await one.wait()
    assert slept[-1] == ("one", 1.0)  # its own 429 voids what it had reserved


async def watched_delivery(telegram, db, clock, bot_api) -> tuple[int, int]:
    """A delivery to five members whose coordinator watches a status message ("Send now" posted it);
    returns the delivery's id and the status message's."""
    await seed_members(db, telegram, clock, 5, start_id=100)
    telegram.add_chat(COORDINATOR_ID)
    await bot_api.initialize()
    status = await bot_api.send_message(COORDINATOR_ID, "Sending to 5 members…")
    delivery_id = await create_delivery(db, clock, audience=Audience(provinces=frozenset({"12"})),
                                        status_chat_id=COORDINATOR_ID)
    async with db.session() as session:
        await session.execute(update(Delivery).where(Delivery.id == delivery_id)
                              .values(status_message_id=status.message_id))
    return delivery_id, status.message_id


def reporting_worker(db, clock, bot_api, vt: VirtualTime) -> DeliveryWorker:
    return DeliveryWorker(db, bot_api, clock, Limits(per_second=None), identity="replica-a",
                          on_progress=make_progress_hook(db, bot_api), wall=vt.wall, monotonic=vt.wall,
                          sleep=vt.sleep)


async def test_a_lost_connection_on_the_final_report_is_retried_after_a_backoff(telegram, db, clock):
    bot_api = make_bot(telegram)
    _, status_id = await watched_delivery(telegram, db, clock, bot_api)
    telegram.drop_next("editMessageText")
    vt = VirtualTime()
    worker = reporting_worker(db, clock, bot_api, vt)
    await worker.start()
    await vt.wait_until(lambda: vt.parked(lambda s: s == worker.report_retry_delay) == 1)
    vt.advance(worker.report_retry_delay)
    delivered = en("Delivered: {count}").format(count="5")
    await telegram.wait_for(lambda: delivered in (telegram.message(COORDINATOR_ID, status_id).text or ""))
    await worker.stop()
    assert telegram.stats["methods"]["editMessageText"]["dropped"] == 1


async def test_a_429_on_the_final_report_delays_it_without_holding_back_the_next_delivery(telegram, db, clock):
    bot_api = make_bot(telegram)
    delivery_id, status_id = await watched_delivery(telegram, db, clock, bot_api)
    later = await seed_members(db, telegram, clock, 3, start_id=200, province="07")
    telegram.fail_next("editMessageText", status=429, description="Too Many Requests: retry after 7", retry_after=7)
    too_many = metrics.REGISTRY.get_sample_value("sahakor_telegram_429_total") or 0.0
    vt = VirtualTime()
    worker = reporting_worker(db, clock, bot_api, vt)
    await worker.start()
    await vt.wait_until(lambda: vt.parked(lambda s: s == 7) == 1)  # the report waits out retry_after
    assert await delivery_status(db, delivery_id) == "done"
    assert telegram.message(COORDINATOR_ID, status_id).text == "Sending to 5 members…"

    second = await create_delivery(db, clock, audience=Audience(provinces=frozenset({"07"})))
    worker.wake()
    # The next window is claimed while the report waits; its sends wait out the same pause.
    await vt.wait_until(lambda: vt.parked(lambda s: s == 7) == 1 + len(later))
    vt.advance(7)
    delivered = en("Delivered: {count}").format(count="5")
    await telegram.wait_for(lambda: delivered in (telegram.message(COORDINATOR_ID, status_id).text or ""))
    await wait_done(worker, db, second)
    await worker.stop()
    assert en("Delivery report") in telegram.message(COORDINATOR_ID, status_id).text
    assert telegram.stats["methods"]["editMessageText"]["429"] == 1
    assert metrics.REGISTRY.get_sample_value("sahakor_telegram_429_total") == too_many + 1
    assert all(len(telegram.messages(i)) == 1 for i in later)
