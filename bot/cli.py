"""The `sahakor` command: run the bot, migrate the database, check the translations."""

from __future__ import annotations

import argparse
import gc
import logging
import sys

from bot.config import ConfigError, load_settings


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from telegram.error import InvalidToken, NetworkError

    from bot import logs
    from bot.app import build_application
    from bot.cluster import AlreadyRunning, SqliteLock
    from bot.config import check_webhook
    from bot.db import is_sqlite, migrate
    from bot.i18n import check_catalogs
    from bot.runner import serve

    settings = load_settings()
    if args.webhook:
        check_webhook(settings)
    logs.setup(settings.log_level, settings.token)
    check_catalogs()
    lock = SqliteLock(settings.database_url) if is_sqlite(settings.database_url) else None
    try:
        if lock is not None:
            lock.acquire()
        migrate(settings.database_url)
        application = build_application(settings)
        # Modules, handlers and settings live as long as the process: keeping the cyclic garbage collector
        # off them makes its full passes cheap (they were a third of the outbox worker's time at 100,000 rows).
        gc.freeze()
        asyncio.run(serve(application, webhook=args.webhook))
    except AlreadyRunning as exc:
        print(f"sahakor: {exc}", file=sys.stderr)
        return 2
    except InvalidToken:
        print("sahakor: Telegram rejected TELEGRAM_BOT_TOKEN. Check the token @BotFather gave you.", file=sys.stderr)
        return 2
    except NetworkError as exc:
        print(f"sahakor: cannot reach Telegram at {settings.api_base_url} ({exc}). Check the network "
              "connection and TELEGRAM_API_BASE_URL.", file=sys.stderr)
        return 3
    finally:
        if lock is not None:
            lock.release()
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from bot import logs
    from bot.db import downgrade, migrate

    settings = load_settings(require_token=False)
    logs.setup(settings.log_level, settings.token)
    if args.revision.startswith("-") or args.revision == "base":
        downgrade(settings.database_url, args.revision)
    else:
        migrate(settings.database_url, args.revision)
    logging.getLogger("sahakor").info("database is at revision %s", args.revision)
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
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"sahakor: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
