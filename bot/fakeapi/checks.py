"""The checks Telegram makes before it runs a call: the chat, the text and its markup, the keyboard, the
message replied to — refused with Telegram's own error descriptions."""

from __future__ import annotations

from typing import Any

from .entities import HtmlParseError, parse_html, utf16_len
from .errors import BLOCKED, ApiError, bad

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_INLINE_BUTTONS = 100

_INLINE_BUTTON_KINDS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)


class Checks:
    """Validation shared by the methods."""

    def _target_chat(self, params: dict) -> int:
        """The chat a call addresses, refusing blocked and unknown chats as Telegram does."""
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad("chat_id is empty")
        if not isinstance(chat_id, int):
            raise bad("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, BLOCKED)
        if chat_id not in self._chats:
            raise bad("chat not found")
        return chat_id

    def _group_chat(self, params: dict) -> int:
        """The group or supergroup a chat-management call addresses."""
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise bad("chat not found")
        return chat_id

    def _format(self, text: str, parse_mode: Any, entities: Any) -> tuple[str, list[dict]]:
        """Apply the parse mode: returns the plain text and its entities."""
        if parse_mode:
            mode = str(parse_mode).lower()
            if mode == "html":
                try:
                    return parse_html(text, strict=self.strict_html)
                except HtmlParseError as err:
                    raise bad(f"can't parse entities: {err}") from err
            if mode in ("markdown", "markdownv2"):
                return text, []  # not validated
            raise bad("unsupported parse_mode")
        return text, entities if isinstance(entities, list) else []

    def _message_text(self, params: dict) -> tuple[str, str, list[dict]]:
        """Validated (raw text, plain text, entities) of a text message."""
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad("message text is empty")
        plain, entities = self._format(text, params.get("parse_mode"), params.get("entities"))
        if not plain.strip():
            raise bad("message text is empty")
        if utf16_len(plain) > MAX_TEXT:
            raise bad("message is too long")
        return text, plain, entities

    def _caption(self, params: dict) -> tuple[str | None, str | None, list[dict]]:
        """Validated (raw caption, plain caption, entities); all empty when there is none."""
        caption = params.get("caption")
        if not isinstance(caption, str) or caption == "":
            return None, None, []
        plain, entities = self._format(caption, params.get("parse_mode"),
                                       params.get("caption_entities"))
        if utf16_len(plain) > MAX_CAPTION:
            raise bad("message caption is too long")
        return caption, plain, entities

    def _markup(self, markup: Any, *, inline_only: bool = False) -> dict | None:
        """Validate a reply_markup parameter; returns it (None when absent)."""
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _check_inline_keyboard(markup["inline_keyboard"])
            return markup
        if inline_only:
            raise bad("inline keyboard expected")
        if "keyboard" in markup:
            _check_reply_keyboard(markup["keyboard"])
            return markup
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise bad("can't parse reply keyboard markup JSON object")

    def _check_reply_target(self, chat_id: int, params: dict) -> dict | None:
        """The message being replied to (if any) must exist unless told otherwise."""
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id, lenient = reply.get("message_id"), reply.get("allow_sending_without_reply")
        else:
            message_id = params.get("reply_to_message_id")
            lenient = params.get("allow_sending_without_reply")
        if message_id is None:
            return None
        bot_message = self._history.get(chat_id, {}).get(message_id)
        if bot_message is not None:
            return bot_message.raw
        if message_id in self._user_message_ids.get(chat_id, ()):
            return {"message_id": message_id, "chat": self._chats[chat_id], "date": 0}
        if lenient:
            return None
        raise bad("message to be replied not found")


def _check_reply_keyboard(rows: Any) -> None:
    """Validate reply keyboard rows: arrays of buttons, each with a text."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad("can't parse keyboard: field \"keyboard\" must be an Array of Arrays")
    for row in rows:
        for button in row:
            text = button.get("text") if isinstance(button, dict) else button
            if not isinstance(text, str) or not text:
                raise bad("can't parse keyboard button: Text must be non-empty")


def _check_inline_keyboard(rows: Any) -> None:
    """Validate inline keyboard rows the way Telegram refuses them."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad("can't parse inline keyboard: field \"inline_keyboard\" must be an Array"
                  " of Arrays")
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise bad("reply markup is too long")
    for row in rows:
        for button in row:
            _check_inline_button(button)


def _check_inline_button(button: Any) -> None:
    """One inline button: a text and exactly one kind of action, callback data within 64 bytes."""
    if not isinstance(button, dict):
        raise bad("can't parse inline keyboard button: InlineKeyboardButton must be"
                  " an Object")
    if not isinstance(button.get("text"), str) or not button["text"]:
        raise bad("can't parse inline keyboard button: Text must be non-empty")
    kinds = [kind for kind in _INLINE_BUTTON_KINDS if kind in button]
    if len(kinds) != 1:
        raise bad("can't parse inline keyboard button: Text buttons are unallowed in"
                  " the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if (not isinstance(data, str) or not data
                or len(data.encode("utf-8")) > MAX_CALLBACK_DATA):
            raise bad("BUTTON_DATA_INVALID")
    if "url" in button and (not isinstance(button["url"], str) or not button["url"]):
        raise bad("BUTTON_URL_INVALID")
