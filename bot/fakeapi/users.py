"""Simulated Telegram users: they produce the updates a real client would send."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .msg import Msg

# What Telegram clients mark as a bot_command entity at the start of a message.
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")

_SELF = "self"


class Server(Protocol):
    """What a simulated user needs of the fake server (FakeTelegram)."""

    settle: Callable[[int], Awaitable[None]] | None
    bot_id: int
    bot_user: dict

    def push_update(self, update: dict) -> int: ...
    def next_message_id(self, chat_id: int) -> int: ...
    def next_callback_id(self) -> str: ...
    def add_file(self, content: bytes, filename: str = ..., mime_type: str | None = ...) -> str: ...
    def messages(self, chat_id: int) -> list[Msg]: ...
    def record_vote(self, poll_id: str, user_id: int, option_ids: list[int]) -> None: ...
    def use_invite_link(self, link: str, chat_id: int) -> dict: ...


@dataclass(eq=False, repr=False)
class FakeUser:
    """A Telegram user chatting privately with the bot; `phone` is shared when they press a request_contact
    button."""

    server: Server
    id: int
    first_name: str = "Dara"
    last_name: str | None = field(default=None, kw_only=True)
    username: str | None = field(default=None, kw_only=True)
    language_code: str | None = field(default=None, kw_only=True)
    phone: str | None = field(default=None, kw_only=True)

    def __repr__(self) -> str:
        return f"FakeUser({self.id}, {self.first_name!r})"

    # ---- Telegram objects --------------------------------------------------------------------

    @property
    def user_dict(self) -> dict:
        """This user as a Telegram User object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                user[key] = getattr(self, key)
        return user

    @property
    def chat(self) -> dict:
        """The private chat with this user as a Telegram Chat object."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if getattr(self, key) is not None:
                chat[key] = getattr(self, key)
        return chat

    def _message(self, **content: Any) -> dict:
        """A new incoming message in this chat with the next message id."""
        return {"message_id": self.server.next_message_id(self.id), "from": self.user_dict,
                "chat": self.chat, "date": int(time.time()), **content}

    # ---- sending updates ---------------------------------------------------------------------

    async def send_update(self, update: dict) -> int:
        """Push a raw update, then let the test's settle hook wait for it."""
        update_id = self.server.push_update(update)
        if self.server.settle is not None:
            await self.server.settle(update_id)
        return update_id

    async def send(self, text: str) -> int:
        """A text message from this user (a leading /command gets a bot_command entity)."""
        content: dict[str, Any] = {"text": text}
        match = _COMMAND.match(text)
        if match:
            content["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(match.group())}]
        return await self.send_update({"message": self._message(**content)})

    async def command(self, name: str, payload: str | None = None) -> int:
        """Send /name, or /name payload (how deep links such as /start PAYLOAD arrive)."""
        name = name.lstrip("/")
        return await self.send(f"/{name} {payload}" if payload else f"/{name}")

    async def press(self, button: str, *, message: Msg | None = None) -> int:
        """Press a button by its text (or callback_data) on `message` or the latest that has it."""
        candidates = [message] if message is not None else list(reversed(self.messages))
        for msg in candidates:
            if not msg.has_inline_keyboard:
                continue
            found = _find(msg.buttons(), button)
            if found is not None:
                if "callback_data" not in found:
                    raise AssertionError(
                        f"button {found.get('text')!r} sends no callback (it is {found})"
                    )
                return await self._callback(msg, found["callback_data"])

        keyboard = self._reply_keyboard(message)
        found = _find(keyboard, button) if keyboard else None
        if found is not None:
            if found.get("request_contact"):
                if self.phone is None:
                    raise AssertionError(
                        f"button {button!r} requests a contact: give the user a phone or use"
                        " share_contact()"
                    )
                return await self.share_contact(self.phone)
            return await self.send(found["text"])

        raise AssertionError(
            f"no button {button!r} for user {self.id}; inline buttons:"
            f" {[m.button_texts() for m in candidates if m.has_inline_keyboard]},"
            f" reply keyboard: {[b.get('text') for row in keyboard or [] for b in row]}"
        )

    async def press_data(self, data: str, *, message: Msg | None = None) -> int:
        """A callback query with arbitrary (forged or stale) data on a message."""
        return await self._callback(message if message is not None else self.last, data)

    async def share_contact(self, phone: str, *, user_id: int | None | str = _SELF,
                            first_name: str | None = None) -> int:
        """Share a contact: by default this user's own, with their user_id."""
        contact: dict[str, Any] = {"phone_number": phone}
        if user_id == _SELF:
            contact["first_name"] = first_name or self.first_name
            if self.last_name is not None and first_name is None:
                contact["last_name"] = self.last_name
            contact["user_id"] = self.id
        else:
            contact["first_name"] = first_name or "Contact"
            if user_id is not None:
                contact["user_id"] = user_id
        return await self.send_update({"message": self._message(contact=contact)})

    async def block_bot(self) -> int:
        """Block the bot: a my_chat_member update (member -> kicked); sends to the user get 403."""
        return await self._member_change("member", "kicked")

    async def unblock_bot(self) -> int:
        """Unblock the bot again (kicked -> member)."""
        return await self._member_change("kicked", "member")

    async def _member_change(self, old: str, new: str) -> int:
        """A my_chat_member update about the bot in this private chat."""
        bot = self.server.bot_user
        new_member: dict[str, Any] = {"status": new, "user": bot}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: dict[str, Any] = {"status": old, "user": bot}
        if old == "kicked":
            old_member["until_date"] = 0
        return await self.send_update({"my_chat_member": {
            "chat": self.chat, "from": self.user_dict, "date": int(time.time()),
            "old_chat_member": old_member, "new_chat_member": new_member,
        }})

    async def send_voice(self, duration: int, *, size: int | None = None,
                         content: bytes = b"OggS voice") -> int:
        """A voice note (its file known to the server, so the bot can send it on); size defaults to the content's."""
        file_id = self.server.add_file(content, "voice.ogg", "audio/ogg")
        voice = {"file_id": file_id, "file_unique_id": f"AgADv{file_id[-6:]}", "duration": duration,
                 "mime_type": "audio/ogg", "file_size": len(content) if size is None else size}
        return await self.send_update({"message": self._message(voice=voice)})

    async def send_document(self, content: bytes, filename: str, mime_type: str | None = None, *,
                            size: int | None = None) -> int:
        """A document this user sends (its file known to the server, so the bot can download it)."""
        file_id = self.server.add_file(content, filename, mime_type)
        document: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"AgADd{file_id[-6:]}",
                                    "file_name": filename, "file_size": len(content) if size is None else size}
        if mime_type:
            document["mime_type"] = mime_type
        return await self.send_update({"message": self._message(document=document)})

    async def vote(self, poll: Msg | str, option_ids: list[int]) -> int:
        """Answer a non-anonymous poll (a poll message, or a bare poll id); [] takes the vote back."""
        poll_id = poll if isinstance(poll, str) else poll.raw["poll"]["id"]
        self.server.record_vote(poll_id, self.id, option_ids)
        return await self.send_update({"poll_answer": {
            "poll_id": poll_id, "user": self.user_dict, "option_ids": list(option_ids),
            "option_persistent_ids": [str(i) for i in option_ids]}})

    # ---- group chats -------------------------------------------------------------------------

    @staticmethod
    def group_chat(chat_id: int, title: str) -> dict:
        """A supergroup as a Telegram Chat object."""
        return {"id": chat_id, "type": "supergroup", "title": title}

    async def add_bot_to_group(self, chat_id: int, title: str, *, admin: bool = True,
                               can_invite_users: bool = True) -> int:
        """This user adds the bot to a group (as an administrator by default): a my_chat_member update."""
        bot = self.server.bot_user
        if admin:
            new: dict[str, Any] = {
                "status": "administrator", "user": bot, "can_be_edited": False, "is_anonymous": False,
                "can_manage_chat": True, "can_delete_messages": True, "can_manage_video_chats": True,
                "can_restrict_members": True, "can_promote_members": False, "can_change_info": True,
                "can_invite_users": can_invite_users, "can_post_stories": False, "can_edit_stories": False,
                "can_delete_stories": False, "can_pin_messages": True, "can_manage_topics": False,
            }
        else:
            new = {"status": "member", "user": bot}
        return await self.send_update({"my_chat_member": {
            "chat": self.group_chat(chat_id, title), "from": self.user_dict, "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": bot}, "new_chat_member": new,
        }})

    async def remove_bot_from_group(self, chat_id: int, title: str) -> int:
        """This user removes the bot from a group."""
        bot = self.server.bot_user
        return await self.send_update({"my_chat_member": {
            "chat": self.group_chat(chat_id, title), "from": self.user_dict, "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": bot},
            "new_chat_member": {"status": "left", "user": bot},
        }})

    async def join_group(self, chat_id: int, title: str, *, invite_link: str | None = None) -> int:
        """This user joins a group (by an invite link the server checks): a chat_member update."""
        update: dict[str, Any] = {
            "chat": self.group_chat(chat_id, title), "from": self.user_dict, "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": self.user_dict},
            "new_chat_member": {"status": "member", "user": self.user_dict},
        }
        if invite_link is not None:
            update["invite_link"] = self.server.use_invite_link(invite_link, chat_id)
        return await self.send_update({"chat_member": update})

    async def leave_group(self, chat_id: int, title: str) -> int:
        """This user leaves a group: a chat_member update."""
        return await self.send_update({"chat_member": {
            "chat": self.group_chat(chat_id, title), "from": self.user_dict, "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": self.user_dict},
            "new_chat_member": {"status": "left", "user": self.user_dict},
        }})

    async def _callback(self, msg: Msg, data: str) -> int:
        """Emit a callback_query for a message, as Telegram does when a button is pressed."""
        if msg.deleted:
            # Telegram reports a deleted message as inaccessible (date 0).
            message = {"chat": self.chat, "message_id": msg.message_id, "date": 0}
        else:
            message = copy.deepcopy(msg.raw)
        return await self.send_update({"callback_query": {
            "id": self.server.next_callback_id(), "from": self.user_dict, "message": message,
            "chat_instance": str(-(self.id * 1_000_003 + self.server.bot_id)), "data": data,
        }})

    def _reply_keyboard(self, message: Msg | None) -> list[list[dict]] | None:
        """Rows of the reply keyboard shown to the user: the latest one sent, unless removed."""
        candidates = [message] if message is not None else reversed(self.messages)
        for msg in candidates:
            markup = msg.reply_markup or {}
            if "keyboard" in markup:
                return msg.buttons()
            if markup.get("remove_keyboard"):
                return None
        return None

    # ---- observation -------------------------------------------------------------------------

    @property
    def messages(self) -> list[Msg]:
        """Messages the bot sent to this user, current state."""
        return self.server.messages(self.id)

    @property
    def last(self) -> Msg:
        """The latest message the bot sent to this user."""
        messages = self.server.messages(self.id)
        if not messages:
            raise AssertionError(f"the bot sent no message to user {self.id}")
        return messages[-1]

    def texts(self) -> list[str]:
        """Texts (or captions) of the bot's messages to this user, as sent."""
        return [m.text or "" for m in self.messages]


def _find(rows: list[list[dict]], wanted: str) -> dict | None:
    """A button whose text, or failing that whose callback_data, equals `wanted`."""
    buttons = [b for row in rows for b in row]
    for button in buttons:
        if button.get("text") == wanted:
            return button
    for button in buttons:
        if button.get("callback_data") == wanted:
            return button
    return None
