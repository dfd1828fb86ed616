"""What the inbox costs: registrations through the bot as it is (every update stored before Telegram is told)
against the bot before the inbox (a git revision, run from a temporary worktree), same run, same server.

    python bench/intake.py --members 300 --rounds 3 [--before 91d1baf]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    APP_COMMAND,
    REPO_ROOT,
    BotDied,
    Result,
    cancel_on_sigterm,
    checked_args,
    exit_code,
    machine_note,
    print_table,
    ratio_arguments,
    run_main,
    run_scenario,
)
from bench.registration import count_registered, registration, registrations  # noqa: E402

TARGET_RATIO = 0.9
# The last revision whose updates went straight from python-telegram-bot's updater to the handlers.
BEFORE = "91d1baf"


def before_command(worktree: Path) -> list[str]:
    """`sahakor run` from the older revision's sources (they shadow the installed package)."""
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(worktree)!r}); "
            "from bot.cli import main; sys.exit(main(['run']))"]


def worktree(revision: str, where: Path) -> Path:
    path = where / "before"
    subprocess.run(["git", "-C", str(REPO_ROOT), "worktree", "add", "--detach", "-q", str(path), revision], check=True)
    return path


def remove_worktree(path: Path) -> None:
    subprocess.run(["git", "-C", str(REPO_ROOT), "worktree", "remove", "--force", str(path)], check=False)


def print_ratio(results: list[Result]) -> float | None:
    before = [r.rate for r in results if r.scenario.startswith("before") and r.rate]
    inbox = [r.rate for r in results if r.scenario.startswith("inbox") and r.rate]
    if not before or not inbox:
        return None
    ratio = max(inbox) / max(before)
    print(f"ratio inbox ÷ before: {ratio:.2f}, best of each (target ≥ {TARGET_RATIO:.2f}: "
          f"{'met' if ratio >= TARGET_RATIO else 'NOT met'})")
    costs = ([r.cpu_per_update for r in results if r.scenario.startswith("before") and r.cpu_per_update],
             [r.cpu_per_update for r in results if r.scenario.startswith("inbox") and r.cpu_per_update])
    if all(costs):
        print(f"  the same from bot CPU per update: {min(costs[0]) / min(costs[1]):.2f} "
              f"({min(costs[0]) * 1000:.2f} ms before, {min(costs[1]) * 1000:.2f} ms with the inbox)")
    return ratio


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = ratio_arguments("intake", "Registration throughput with the inbox against the bot before it.",
                             members=300, what="conversations", timeout=60.0, app="inbox")
    parser.add_argument("--before", default=BEFORE, help=f"the revision to compare with (default: {BEFORE})")
    return checked_args(parser, argv)


async def run(args: argparse.Namespace) -> int:
    cancel_on_sigterm()
    concurrency = args.concurrency or args.members
    machine = machine_note()
    results: list[Result] = []
    problems: list[str] = []
    died: BotDied | None = None
    with tempfile.TemporaryDirectory(prefix="sahakor-bench-") as tmp:
        old = worktree(args.before, Path(tmp))
        try:
            for number in range(1, args.rounds + 1):
                suffix = f" {number}" if args.rounds > 1 else ""
                for name, command in (("before", before_command(old)), ("inbox", APP_COMMAND)):
                    if (name == "before" and args.app_only) or (name == "inbox" and args.echo_only):
                        continue
                    workdir = Path(tmp) / f"round-{number}" / name
                    database = workdir / "sahakor.sqlite3"
                    results.append(await run_scenario(
                        name + suffix, command, registrations(args.members, earlier=name == "before"),
                        workdir=workdir,
                        concurrency=concurrency, timeout=args.timeout,
                        settings={"DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "WARNING"}))
                    if (count := count_registered(database)) != args.members:
                        problems.append(f"{name}{suffix}: {args.members - count} members not registered")
        except BotDied as exc:
            died = exc
        finally:
            remove_worktree(old)
    print(f"{args.members} members, {len(registration(0)[1])} updates each, concurrency {concurrency}"
          + (f"; before the run: {machine}" if machine else ""))
    print_table(results)
    print_ratio(results)
    return exit_code(results, died, problems)


def main(argv: list[str] | None = None) -> int:
    return run_main(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
