"""Where a bot's CPU time went: py-spy profiles (raw collapsed stacks) summed up by area.

    python bench/stacks.py PROFILE.txt [MORE.txt ...]

A profile comes from `py-spy record --format raw --nolineno` (bench/flows.py --py-spy writes one per flow
and round). py-spy leaves out samples in which the process waits, so the samples stand for CPU time.

Each sample is put in one area by its innermost frame that belongs to one ("self"); frames of general
helpers of the standard library (re, enum, datetime, ...) count for the code that called them. "Anywhere"
counts the samples with a frame of the area anywhere on the stack: what that area and everything it called
cost. SQLAlchemy's asyncio layer runs the ORM in a greenlet, whose stacks begin at the Session method
(Session.execute, Session.flush, ...): the code that awaited it is not on them, so the database work is in
no area of the app's "anywhere".
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# Areas, the first that matches a frame's file wins. Paths are matched as text, with "/" separators.
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SQLAlchemy", ("/sqlalchemy/",)),
    ("database driver (sqlite3, asyncpg)", ("/asyncpg/", "/aiosqlite/", "/sqlite3/", "/bot/sqlite_inloop.py")),
    ("PTB: Bot API calls (arguments, results)", ("/telegram/_bot.py", "/telegram/ext/_extbot.py", "/telegram/request/",
                                                 "/telegram/ext/_aioratelimiter.py", "/bot/ratelimit.py")),
    ("PTB: dispatch (application, handlers, filters)", ("/telegram/ext/",)),
    ("PTB: Telegram objects (de_json, to_dict, ...)", ("/telegram/",)),
    ("HTTP (aiohttp, yarl, multidict)", ("/aiohttp/", "/yarl/", "/multidict/", "/propcache/", "/aiosignal/",
                                         "/frozenlist/", "/bot/http.py")),
    ("logging", ("/logging/", "/bot/logs.py")),
    ("i18n (Babel, gettext)", ("/babel/", "/gettext.py", "/bot/i18n.py")),
    ("JSON", ("/json/",)),
    ("inbox (intake, inbox service)", ("/bot/intake.py", "/bot/services/inbox.py")),
    ("app: update processor, unit of work", ("/bot/app.py",)),
    ("app: handlers", ("/handlers/",)),
    ("app: services, models, text", ("/bot/",)),
    ("APScheduler", ("/apscheduler/",)),
)
# The event loop runs everything: a sample counts for it only when no other area is on the stack (the loop's
# own work: selecting, scheduling callbacks, resuming tasks). A socket write under aiohttp is aiohttp's.
EVENT_LOOP = "asyncio event loop"
EVENT_LOOP_FILES = re.compile(r"(?:^|/)(asyncio/[^/]+|selectors)\.py$")
# Standard-library helpers whose time belongs to whoever called them.
TRANSPARENT = re.compile(r"(?:^|/)(re|enum|typing|functools|copy|copyreg|contextlib|dataclasses|datetime|weakref|abc|"
                         r"inspect|collections/__init__|_collections_abc|threading|zoneinfo/_zoneinfo|string|types|"
                         r"operator|decimal|_pydecimal|uuid|random|base64|hashlib|textwrap|html/__init__|"
                         r"warnings|traceback|linecache|_weakrefset)\.py$|^<|"
                         # The entry points: on every stack of the main thread.
                         r"(?:^|/)bot/(cli|runner)\.py$")

_LINE_NUMBER = re.compile(r":\d+$")


@dataclass(frozen=True)
class Frame:
    function: str
    file: str

    @classmethod
    def parse(cls, text: str) -> Frame:
        """A frame as py-spy writes it: "function (file)" or "function (file:line)"; the file is as py-spy
        shortens it (from the package on: sqlalchemy/orm/session.py, bot/app.py) or as Python names code it
        made itself (<frozen runpy>, <sqlalchemy generated ...>)."""
        function, _, file = text.partition(" (")
        return cls(function, _LINE_NUMBER.sub("", file.removesuffix(")")))

    @property
    def area(self) -> str | None:
        """The area the frame's file belongs to, if any (None for transparent and unknown files)."""
        if self.file.startswith("<sqlalchemy"):
            return area_of("/sqlalchemy/")
        if TRANSPARENT.search(self.file):
            return None
        return area_of(self.file if self.file.startswith("/") else "/" + self.file)

    def __str__(self) -> str:
        return f"{self.function} ({short_path(self.file)})"


def area_of(path: str) -> str | None:
    for name, parts in AREAS:
        if any(part in path for part in parts):
            return name
    return None


def short_path(path: str) -> str:
    """A file's path from its package on: site-packages/…, or the repository's bot/ or handlers/."""
    for marker in ("site-packages/", "/lib/python3."):
        if marker in path:
            tail = path.split(marker, 1)[1]
            return tail.split("/", 1)[1] if marker.startswith("/lib/") and "/" in tail else tail
    for top in ("/bot/", "/handlers/", "/bench/", "/tests/"):
        if top in path:
            return top[1:] + path.rsplit(top, 1)[1]
    return path


Stack = tuple[Frame, ...]  # outermost first


def parse(lines: Iterable[str]) -> Counter[Stack]:
    """Collapsed stacks ("frame;frame;frame count") into samples per stack."""
    samples: Counter[Stack] = Counter()
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            continue
        stack_text, _, count = line.rpartition(" ")
        samples[tuple(Frame.parse(text) for text in stack_text.split(";"))] += int(count)
    return samples


def load(paths: Sequence[Path]) -> Counter[Stack]:
    """The samples of several profiles together."""
    samples: Counter[Stack] = Counter()
    for path in paths:
        samples.update(parse(path.read_text(errors="replace").splitlines()))
    return samples


# SQLAlchemy's calls into the driver: the time in them is the driver's (SQLite's C library runs inside them).
DRIVER_CALLS = re.compile(r"^DefaultDialect\.do_(execute|executemany|execute_no_params|commit|rollback|begin)$|"
                          r"^(CursorResult|Result)\._?fetch|^AsyncAdapt_\w+\.(execute|commit|rollback|fetch)")
DRIVER = "database driver (sqlite3, asyncpg)"
NO_PYTHON_FRAME = "no Python frame (system calls: mostly sockets)"


def self_area(stack: Stack) -> str:
    """The area of the innermost frame that belongs to one; else the event loop's if it is on the stack;
    else the innermost file."""
    if stack and DRIVER_CALLS.search(stack[-1].function):
        return DRIVER
    for frame in reversed(stack):
        area = frame.area
        if area is not None:
            return area
    if any(EVENT_LOOP_FILES.search(frame.file) for frame in stack):
        return EVENT_LOOP
    if not any(frame.function or frame.file for frame in stack):
        # py-spy --native shows these to be mostly the socket send of HTTP requests (aiohttp's writes).
        return NO_PYTHON_FRAME
    return f"other ({short_path(stack[-1].file)})"


def summary(samples: Counter[Stack], top: int = 20) -> str:
    """The areas by self and anywhere, and the functions where most samples were taken."""
    total = sum(samples.values())
    if not total:
        return "no samples"
    by_self: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    innermost: Counter[str] = Counter()
    files: Counter[str] = Counter()
    for stack, count in samples.items():
        area = self_area(stack)
        by_self[area] += count
        for other in {frame.area for frame in stack} - {None} | {area}:
            anywhere[other] += count
        if stack:
            innermost[str(stack[-1])] += count
            files[_owner(stack)] += count
    lines = [f"{total} samples", f"{'area':<50}{'self':>8}{'anywhere':>10}"]
    for area, count in by_self.most_common():
        lines.append(f"{area:<50}{count / total:>8.1%}{anywhere.get(area, 0) / total:>10.1%}")
    lines.append(f"top {top} files, each sample counted for the file its area was found in:")
    for file, count in files.most_common(top):
        lines.append(f"  {count / total:>6.1%}  {file}")
    lines.append(f"top {top} functions by own time:")
    for function, count in innermost.most_common(top):
        lines.append(f"  {count / total:>6.1%}  {function}")
    return "\n".join(lines)


def _owner(stack: Stack) -> str:
    """The file of the innermost frame that belongs to an area (as self_area finds it), else the innermost."""
    if DRIVER_CALLS.search(stack[-1].function):
        return short_path(stack[-1].file)
    for frame in reversed(stack):
        if frame.area is not None:
            return short_path(frame.file)
    return short_path(stack[-1].file)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    paths = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    print(summary(load(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
