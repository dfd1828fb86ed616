"""The `sahakor` command: run the bot, migrate the database, check the translations."""

from __future__ import annotations

import argparse
import errno
import gc
import logging
import sys
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.cluster import SqliteLock

log = logging.getLogger("sahakor")


def _run(args: argparse.Namespace) -> int:
    from bot import logs
    from bot.cluster import SqliteLock
    from bot.config import check_webhook
    from bot.db import is_sqlite
    from bot.i18n import check_catalogs

    settings = load_settings()
    if args.webhook:
        check_webhook(settings)
    logs.setup(settings.log_level, settings.token)
    check_catalogs()
    lock = SqliteLock(settings.database_url) if is_sqlite(settings.database_url) else None
    try:
        return _start(settings, lock, webhook=args.webhook)
    finally:
        if lock is not None:
            lock.release()


def _start(settings: Settings, lock: SqliteLock | None, *, webhook: bool) -> int:
    """Migrates the database and serves until stopped; a start that fails says why in one line."""
    from telegram.error import InvalidToken, NetworkError

    from bot.cluster import AlreadyRunning
    from bot.db import DatabaseUnavailable

    try:
        _migrate_and_serve(settings, lock, webhook=webhook)
    except DatabaseUnavailable as exc:
        return _no_database(settings, exc)
    except AlreadyRunning as exc:
        return _fail(settings, 2, str(exc))
    except InvalidToken:
        return _fail(settings, 2, "Telegram rejected TELEGRAM_BOT_TOKEN. Check the token @BotFather gave you.")
    except NetworkError as exc:
        return _fail(settings, 3, f"cannot reach Telegram at {settings.api_base_url} ({exc}). Check the network "
                     "connection and TELEGRAM_API_BASE_URL.")
    except OSError as exc:
        if not webhook or exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise
        return _fail(settings, 3, f"cannot listen on {settings.webhook_listen}:{settings.webhook_port} "
                     f"({exc.strerror}). Check WEBHOOK_LISTEN and WEBHOOK_PORT (is another process on that port?).")
    return 0


def _migrate_and_serve(settings: Settings, lock: SqliteLock | None, *, webhook: bool) -> None:
    import asyncio

    from bot.app import build_application
    from bot.db import check_connection, migrate

    check_connection(settings.database_url)
    if lock is not None:
        lock.acquire()
    migrate(settings.database_url)
    application = build_application(settings)
    # Modules, handlers and settings live as long as the process: keeping the cyclic garbage collector
    # off them makes its full passes cheap (they were a third of the outbox worker's time at 100,000 rows).
    gc.freeze()
    asyncio.run(_serve(application, webhook=webhook))


async def _serve(application, *, webhook: bool) -> None:
    """Runs the bot; if it cannot start, first lets go of the connections it had opened (to Telegram and the
    database), so the one line saying why is all that is printed."""
    from bot.runner import serve

    try:
        await serve(application, webhook=webhook)
    except BaseException:
        await _let_go(application)
        raise


async def _let_go(application) -> None:
    """Stops whatever a failed start had started, each part on its own (some may never have begun)."""
    services = application.bot_data["services"]
    steps = [services.leadership.stop if services.leadership else None,
             application.stop if application.running else None,
             services.intake.stop if services.intake else None,
             services.delivery.stop if services.delivery else None,
             application.shutdown, application.bot.shutdown, services.db.dispose]
    for step in filter(None, steps):
        try:
            await step()
        except Exception as exc:  # already stopped, or the part that failed: the caller says what went wrong
            log.debug("after the failed start, %s: %s", getattr(step, "__qualname__", step), exc)


def _fail(settings: Settings, code: int, sentence: str) -> int:
    from bot.logs import redact

    print(redact(f"sahakor: {sentence}", settings.token), file=sys.stderr)
    return code


def _no_database(settings: Settings, reason: Exception) -> int:
    from bot.db import shown_url

    return _fail(settings, 4, f"cannot open the database {shown_url(settings.database_url)} ({reason}). Check "
                 "DATABASE_URL, and that the database server is running and accepts connections.")


def _migrate(args: argparse.Namespace) -> int:
    from bot import logs
    from bot.db import DatabaseUnavailable, check_connection, downgrade, migrate

    settings = load_settings(require_token=False)
    logs.setup(settings.log_level, settings.token)
    try:
        check_connection(settings.database_url)
    except DatabaseUnavailable as exc:
        return _no_database(settings, exc)
    if args.revision.startswith("-") or args.revision == "base":
        downgrade(settings.database_url, args.revision)
    else:
        migrate(settings.database_url, args.revision)
    log.info("database is at revision %s", args.revision)
    return 0


def _catalogs(args: argparse.Namespace) -> int:
    from bot.i18n import CatalogError, check_catalogs

    try:
        check_catalogs()
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 1
    print("catalogs complete: every message has a Khmer translation with matching placeholders")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sahakor", description="Sahakor, the network's Telegram bot.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the bot (long polling, or --webhook); migrates the database first")
    run.add_argument("--webhook", action="store_true",
                     help="take updates by webhook (WEBHOOK_URL, WEBHOOK_LISTEN, WEBHOOK_PORT, WEBHOOK_SECRET)")
    run.set_defaults(func=_run)
    migrate = commands.add_parser("migrate", help="bring the database to the latest schema")
    migrate.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    migrate.set_defaults(func=_migrate)
    commands.add_parser("check-catalogs", help="fail if a translation is missing or broken").set_defaults(func=_catalogs)
    args = parser.parse_args(argv)
    from bot.i18n import CatalogError

    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"sahakor: {exc}", file=sys.stderr)
        return 2
    except CatalogError as exc:
        print(f"sahakor: the translation catalogs are incomplete:\n{exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
