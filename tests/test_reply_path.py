"""What the bot sends and keeps of Telegram's answers: keyboards written as python-telegram-bot would write
them, and the answers' unread parts left out."""

from __future__ import annotations

from telegram import CallbackGame, InlineKeyboardButton, InlineKeyboardMarkup, LoginUrl, WebAppInfo

from bot.ratelimit import KeyboardWriter, lean


def test_plain_keyboards_are_written_as_python_telegram_bot_writes_them():
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton("✅ Going", callback_data="ev:rsvp:1:y"), InlineKeyboardButton("Maybe", callback_data="m")],
        [InlineKeyboardButton("The website", url="https://example.org")],
    ])
    assert KeyboardWriter()(markup) == markup.to_dict()


def test_keyboards_with_other_kinds_of_buttons_are_written_by_python_telegram_bot():
    for special in (InlineKeyboardButton("Log in", login_url=LoginUrl("https://example.org")),
                    InlineKeyboardButton("App", web_app=WebAppInfo("https://example.org")),
                    InlineKeyboardButton("Play", callback_game=CallbackGame()),
                    InlineKeyboardButton("Share", switch_inline_query="x"),
                    InlineKeyboardButton("Copy", copy_text={"text": "x"}) if "copy_text" in InlineKeyboardButton.__slots__
                    else InlineKeyboardButton("Pay", pay=True)):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Plain", callback_data="p"), special]])
        assert KeyboardWriter()(markup) == markup.to_dict()


def test_a_keyboard_sent_again_is_written_once_and_a_full_memory_starts_over():
    writer = KeyboardWriter(limit=2)
    first = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    assert writer(first) is writer(first)
    others = [InlineKeyboardMarkup([[InlineKeyboardButton(str(n), callback_data=str(n))]]) for n in range(3)]
    assert [writer(markup) for markup in others] == [markup.to_dict() for markup in others]
    assert writer(first) == first.to_dict()


def test_answers_keep_what_the_application_reads():
    answer = {"message_id": 7, "chat": {"id": 1, "type": "private"}, "date": 0, "text": "Hi",
              "document": {"file_id": "f", "file_unique_id": "u"}, "entities": [{"type": "bold", "offset": 0, "length": 2}],
              "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}}
    assert lean(answer) == {"message_id": 7, "chat": {"id": 1, "type": "private"}, "date": 0, "text": "Hi",
                            "document": {"file_id": "f", "file_unique_id": "u"}}
    assert lean(True) is True
