"""The line logged for every update: what a person could have written in it is redacted before it is logged,
so the line itself goes out without a second pass."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import describe
from bot.logs import TRUSTED, Redact


def _update(**body) -> Update:
    person = {"id": 730001, "is_bot": False, "first_name": "Dara"}
    if "data" in body:
        return Update.de_json({"update_id": 5, "callback_query": {"id": "1", "from": person, "chat_instance": "1",
                                                                  "data": body["data"]}}, None)
    return Update.de_json({"update_id": 5, "message": {"message_id": 1, "date": 0, "from": person, "text": body["text"],
                                                       "chat": {"id": 730001, "type": "private"}}}, None)


def test_a_phone_number_in_a_forged_button_or_after_a_command_is_not_logged():
    assert describe(_update(data="reg:phone:+855 12 345 678")) == "button 'reg:phone:<phone>' from user 730001"
    assert describe(_update(text="/phone +85512345678")) == "command /phone from user 730001"
    assert describe(_update(data="lang:en")) == "button 'lang:en' from user 730001"
    assert describe(_update(text="/start abc")) == "command /start from user 730001"


def test_a_trusted_record_is_written_as_it_is_and_any_other_is_redacted():
    redact = Redact("123:SECRET")
    trusted = logging.LogRecord("sahakor", logging.INFO, __file__, 1, "update %s: %s", (123456789, "x"), None)
    trusted.__dict__.update(TRUSTED)
    assert redact.filter(trusted) and trusted.getMessage() == "update 123456789: x"
    other = logging.LogRecord("sahakor", logging.INFO, __file__, 1, "shared %s", ("+855 12 345 678",), None)
    assert redact.filter(other) and other.getMessage() == "shared <phone>"
