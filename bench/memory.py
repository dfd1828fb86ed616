"""The memory of a long run: the app's resident memory after 10,000 members have started and answered, and
after 100,000, in one run of one app process.

    python bench/memory.py                                   # 10,000 then 100,000 members: about 10 minutes
    python bench/memory.py --checkpoint 2000 --members 20000 # a quicker look

Each member, one after another in waves of `--concurrency`, sends /start (answered with the language screen)
and presses "English" (answered with the consent screen): a member row written, a language chosen, two
updates through the inbox, as in bench/flows.py. The app (`python -m bot.cli run`, LOG_LEVEL INFO, on a fresh
SQLite file) is measured from /proc: its resident set (VmRSS) once the first `--checkpoint` members are done,
and again when all `--members` are. Whatever the app keeps per member or per update (a cache without a bound,
a dictionary of everyone seen) shows as growth between the two; the target is the second at most 1.2 × the
first. It exits non-zero if the target is missed, a member was not answered or the app died.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the repository (bench, tests, bot) importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    APP_COMMAND,
    BenchTelegram,
    BotDied,
    Conversation,
    app_database,
    cancel_on_sigterm,
    command,
    exit_code,
    machine_note,
    played,
    press,
    print_table,
    run_main,
    run_scenario,
    shows_button,
)
from handlers.registration.callbacks import CONSENT, LANGUAGE  # noqa: E402

TARGET_RATIO = 1.2
FIRST_USER_ID = 1_000_001


def members_starting(first: int, count: int) -> Callable[[BenchTelegram], list[Conversation]]:
    """Members `first`.. (Khmer and English Telegram apps by turns) each send /start and press "English"."""
    def build(server: BenchTelegram) -> list[Conversation]:
        plays = []
        for number in range(first, first + count):
            user = server.user(FIRST_USER_ID + number, f"Member{number}", language_code="km" if number % 2 else "en")
            plays.append((user, [command("start", shows_button(LANGUAGE.data("en"))),
                                 press(LANGUAGE.data("en"), shows_button(CONSENT.data("yes")))]))
        return plays
    return build


def kilobytes(pid: int, field_name: str) -> int | None:
    """A field of /proc/<pid>/status in kB (VmRSS: resident now; VmHWM: the most it ever was)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class Samples:
    """The app's memory at the checkpoint and at the end."""

    at_checkpoint: int | None = None
    at_end: int | None = None
    peak: int | None = None
    notes: list[str] = field(default_factory=list)

    def sampling(self, pid: int) -> contextlib.AbstractAsyncContextManager:
        """A `measuring` hook of run_scenario: the warm-up (the first members) is done when it starts."""
        @contextlib.asynccontextmanager
        async def sample() -> AsyncIterator[None]:
            self.at_checkpoint = kilobytes(pid, "VmRSS")
            yield
            self.at_end = kilobytes(pid, "VmRSS")
            self.peak = kilobytes(pid, "VmHWM")
        return sample()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python bench/memory.py", description=(
        "The app's resident memory after the first members and after all of them, in one run."))
    parser.add_argument("--members", type=int, default=100_000, help="members in all (default: 100000)")
    parser.add_argument("--checkpoint", type=int, default=10_000,
                        help="members after which memory is first read (default: 10000)")
    parser.add_argument("--concurrency", type=int, default=500, help="members at a time (default: 500)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a member waits for one answer before giving up (default: 120)")
    args = parser.parse_args(argv)
    if not 1 <= args.checkpoint < args.members:
        parser.error("--checkpoint must be at least 1 and below --members")
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    return args


async def run(args: argparse.Namespace) -> int:
    """One app, the first members as the warm-up, the rest measured; returns the exit code."""
    cancel_on_sigterm()
    machine = machine_note()
    print(f"{args.members} members (memory read after {args.checkpoint} and after all), each sending /start and"
          f" pressing English, {args.concurrency} at a time" + (f"; before the run: {machine}" if machine else ""),
          flush=True)
    samples = Samples()
    results, died = [], None
    with tempfile.TemporaryDirectory(prefix="sahakor-bench-") as tmp:
        try:
            async with app_database(Path(tmp)) as url:
                results.append(await run_scenario(
                    f"members {args.checkpoint + 1}-{args.members}", APP_COMMAND,
                    members_starting(args.checkpoint, args.members - args.checkpoint), workdir=Path(tmp),
                    concurrency=args.concurrency, timeout=args.timeout,
                    warm_up=played(members_starting(0, args.checkpoint), concurrency=args.concurrency,
                                   timeout=args.timeout),
                    measuring=samples.sampling, settings={"DATABASE_URL": url, "LOG_LEVEL": "INFO"}))
        except BotDied as exc:
            died = exc
    print_table(results)
    print()
    problems = report(samples, args)
    return exit_code(results, died, problems)


def report(samples: Samples, args: argparse.Namespace) -> list[str]:
    """Prints the memory read at each point and the ratio; returns what missed the target."""
    if samples.at_checkpoint is None or samples.at_end is None:
        return ["the app's memory could not be read (/proc)"]
    ratio = samples.at_end / samples.at_checkpoint
    print(f"resident memory after {args.checkpoint:>7,} members: {samples.at_checkpoint / 1024:8.1f} MiB")
    print(f"resident memory after {args.members:>7,} members: {samples.at_end / 1024:8.1f} MiB"
          f"  (peak {(samples.peak or 0) / 1024:.1f} MiB)")
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"ratio {ratio:.3f}; target ≤ {TARGET_RATIO} × the first: {verdict}")
    if ratio > TARGET_RATIO:
        return [f"memory grew {ratio:.2f}× from {args.checkpoint} to {args.members} members"]
    return []


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return run_main(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
