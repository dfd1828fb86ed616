"""The message methods: sending text, editing it, its caption or its keyboard, deleting, chat actions."""

from __future__ import annotations

import time
from typing import Any

from .errors import NOT_MODIFIED, bad
from .msg import Msg

_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})


class Messages:
    """sendMessage, the edits, deleteMessage and sendChatAction, and how a sent message is kept."""

    def _store_message(self, method: str, chat_id: int, content: dict, *, text: str | None,
                       parse_mode: str | None, plain: str | None, entities: list[dict],
                       markup: dict | None, reply_to: dict | None = None,
                       document: tuple[str, bytes] | None = None,
                       photo: tuple[str, bytes] | None = None,
                       voice: tuple[str, bytes] | None = None) -> Msg:
        """Record a new bot message and build the Message object Telegram returns."""
        message_id = self.next_message_id(chat_id)
        now = int(time.time())
        raw: dict[str, Any] = {"message_id": message_id, "from": self.bot_user,
                               "chat": self._chats[chat_id], "date": now}
        if reply_to is not None:
            raw["reply_to_message"] = reply_to
        raw.update(content)
        # Telegram only echoes inline keyboards; reply keyboards live on the client side.
        if markup is not None and "inline_keyboard" in markup:
            raw["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        msg = Msg(message_id=message_id, chat_id=chat_id, text=text, parse_mode=parse_mode,
                  reply_markup=markup, document=document, method=method, photo=photo,
                  plain_text=plain, entities=entities, date=now, raw=raw, voice=voice)
        history = self._history.setdefault(chat_id, {})
        history[message_id] = msg
        if self.history_limit is not None and len(history) > self.history_limit:
            del history[next(iter(history))]
        self.sent_count += 1
        return msg

    def _send_message(self, params: dict) -> dict:
        """sendMessage."""
        chat_id = self._target_chat(params)
        text, plain, entities = self._message_text(params)
        markup = self._markup(params.get("reply_markup"))
        reply_to = self._check_reply_target(chat_id, params)
        self._rate_limit(chat_id)
        content: dict[str, Any] = {"text": plain}
        if entities:
            content["entities"] = entities
        return self._store_message("sendMessage", chat_id, content, text=text,
                                   parse_mode=params.get("parse_mode"), plain=plain,
                                   entities=entities, markup=markup, reply_to=reply_to).raw

    def _edited_message(self, params: dict) -> Msg:
        """The bot message an edit addresses (raising Telegram's errors)."""
        if params.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat_id = self._target_chat(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise bad("message identifier is not specified")
        msg = self._history.get(chat_id, {}).get(message_id)
        if msg is None:
            if message_id in self._user_message_ids.get(chat_id, ()):
                raise bad("message can't be edited")
            raise bad("message to edit not found")
        return msg

    def _edit_message_text(self, params: dict) -> dict:
        """editMessageText; omitting reply_markup removes the inline keyboard, as on Telegram."""
        msg = self._edited_message(params)
        text, plain, entities = self._message_text(params)
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        if msg.method != "sendMessage":
            raise bad("there is no text in the message to edit")
        if (plain == msg.plain_text and entities == msg.entities
                and _inline_rows(markup) == _inline_rows(msg.reply_markup)):
            raise bad(NOT_MODIFIED)
        msg.text, msg.parse_mode, msg.plain_text, msg.entities = (
            text, params.get("parse_mode"), plain, entities)
        msg.raw["text"] = plain
        if entities:
            msg.raw["entities"] = entities
        else:
            msg.raw.pop("entities", None)
        _apply_markup(msg, markup)
        return _mark_edited(msg)

    def _edit_message_caption(self, params: dict) -> dict:
        """editMessageCaption."""
        msg = self._edited_message(params)
        caption, plain, entities = self._caption(params)
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        if msg.method == "sendMessage":
            raise bad("there is no caption in the message to edit")
        if ((plain or None) == (msg.plain_text or None) and entities == msg.entities
                and _inline_rows(markup) == _inline_rows(msg.reply_markup)):
            raise bad(NOT_MODIFIED)
        msg.text, msg.parse_mode, msg.plain_text, msg.entities = (
            caption, params.get("parse_mode"), plain, entities)
        for key in ("caption", "caption_entities"):
            msg.raw.pop(key, None)
        add_caption(msg.raw, plain, entities)
        _apply_markup(msg, markup)
        return _mark_edited(msg)

    def _edit_message_reply_markup(self, params: dict) -> dict:
        """editMessageReplyMarkup; no reply_markup removes the keyboard."""
        msg = self._edited_message(params)
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        if _inline_rows(markup) == _inline_rows(msg.reply_markup):
            raise bad(NOT_MODIFIED)
        _apply_markup(msg, markup)
        return _mark_edited(msg)

    def _delete_message(self, params: dict) -> bool:
        """deleteMessage (the bot's messages, or the user's own in a private chat)."""
        chat_id = params.get("chat_id")
        message_id = params.get("message_id")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise bad("chat not found")
        history = self._history.get(chat_id, {})
        if message_id in history:
            history.pop(message_id).deleted = True
            return True
        user_ids = self._user_message_ids.get(chat_id, set())
        if message_id in user_ids:
            user_ids.discard(message_id)
            return True
        raise bad("message to delete not found")

    def _send_chat_action(self, params: dict) -> bool:
        """sendChatAction."""
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        return True


def add_caption(content: dict, plain: str | None, entities: list[dict]) -> None:
    """Put a caption and its entities into a Message object."""
    if plain:
        content["caption"] = plain
        if entities:
            content["caption_entities"] = entities


def _inline_rows(markup: dict | None) -> list | None:
    """The part of a markup Telegram compares for "not modified"."""
    return markup["inline_keyboard"] if markup and "inline_keyboard" in markup else None


def _apply_markup(msg: Msg, markup: dict | None) -> None:
    """Attach (or, when None, remove) the inline keyboard of a message."""
    msg.reply_markup = markup
    if markup is None:
        msg.raw.pop("reply_markup", None)
    else:
        msg.raw["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}


def _mark_edited(msg: Msg) -> dict:
    """Stamp an edit and return the updated Message object."""
    msg.edit_count += 1
    msg.raw["edit_date"] = int(time.time())
    return msg.raw
