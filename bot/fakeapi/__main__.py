"""Run the fake Bot API server standalone: python -m bot.fakeapi --port 8081."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from .server import FakeTelegram


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bot.fakeapi",
                                     description="Fake Telegram Bot API server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--bot-username", default="sahakor_test_bot")
    parser.add_argument("--global-rate", type=float, default=None,
                        help="max messages/s over all chats (default: unlimited)")
    parser.add_argument("--per-chat-rate", type=float, default=None,
                        help="max messages/s to one chat (default: unlimited)")
    parser.add_argument("--history", type=int, default=200,
                        help="messages kept per chat (0 = all)")
    parser.add_argument("--record-requests", action="store_true",
                        help="keep every request in memory (off by default for long runs)")
    parser.add_argument("--known-chats", default="",
                        help="START-END: private chats that count as having written to the bot (for benchmarks)")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    """Serve until SIGTERM or SIGINT."""
    server = FakeTelegram(args.token, bot_username=args.bot_username,
                          global_rate=args.global_rate, per_chat_rate=args.per_chat_rate)
    server.record_requests = args.record_requests
    server.history_limit = args.history or None
    if args.known_chats:
        start, _, end = args.known_chats.partition("-")
        for chat_id in range(int(start), int(end or start) + 1):
            server.add_chat(chat_id)
    await server.start(args.host, args.port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    # Scripts read the first line to learn where to connect.
    print(server.base_url, flush=True)
    print(f"token {server.token}; files at {server.base_file_url};"
          f" control API at http://127.0.0.1:{server.port}/_control/", file=sys.stderr,
          flush=True)
    try:
        await stopping.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(_serve(_parse_args(argv)))


if __name__ == "__main__":
    main()
