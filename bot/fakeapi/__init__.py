"""A fake Telegram Bot API server that the real python-telegram-bot client can talk to: the tests and the
benchmarks run the bot against it, and anyone can try the bot without a token.

    server = FakeTelegram()
    await server.start()
    builder = Application.builder().token(server.token).base_url(server.base_url)
    app = builder.base_file_url(server.base_file_url).build()
    user = server.user(101, "Dara")
    await user.command("start")          # pushes an update for getUpdates
    await user.press("English")          # a callback_query for that inline button
    assert "Welcome" in user.last.text   # what the bot sent, as sent

Standalone (benchmarks, manual runs): python -m bot.fakeapi --port 8081 --global-rate 30
"""

from .entities import parse_html
from .errors import ApiError
from .server import FakeTelegram
from .msg import Msg
from .users import FakeUser

__all__ = ["ApiError", "FakeTelegram", "FakeUser", "Msg", "parse_html"]
