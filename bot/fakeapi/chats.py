"""Chats and their members: getChat, who is in a group and with which rights, and the invite links the bot
makes (checked the way Telegram checks them when someone joins by one)."""

from __future__ import annotations

import copy
from typing import Any

from .errors import bad


class Chats:
    """getChat, getChatMember, getChatAdministrators, createChatInviteLink and revokeChatInviteLink."""

    def _init_chats(self) -> None:
        # Group chats: chat -> user id -> ChatMember object (the bot's own status included).
        self._chat_members: dict[int, dict[int, dict]] = {}
        # Invite links the bot created: link -> ChatInviteLink object plus its chat and use count.
        self.invite_links: dict[str, dict] = {}

    def _get_chat(self, params: dict) -> dict:
        """getChat: the chat as the bot knows it (ChatFullInfo)."""
        chat_id = self._group_chat(params)
        chat = copy.deepcopy(self._chats[chat_id])
        chat.setdefault("type", "private")
        chat.update({"accent_color_id": 0, "max_reaction_count": 11})
        return chat

    def _user_object(self, user_id: int) -> dict:
        """A User object for someone the server knows (or a placeholder)."""
        if user_id == self.bot_id:
            return self.bot_user
        fake = self._users.get(user_id)
        return fake.user_dict if fake else {"id": user_id, "is_bot": False, "first_name": "User"}

    def _get_chat_member(self, params: dict) -> dict:
        """getChatMember: what updates said about that user in that chat ('left' if nothing)."""
        chat_id = self._group_chat(params)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise bad("user not found")
        if self._chats[chat_id].get("type") == "private":
            status = "member" if user_id in (chat_id, self.bot_id) else "left"
            return {"status": status, "user": self._user_object(user_id)}
        known = self._chat_members.get(chat_id, {}).get(user_id)
        return copy.deepcopy(known) if known else {"status": "left", "user": self._user_object(user_id)}

    def _get_chat_administrators(self, params: dict) -> list[dict]:
        """getChatAdministrators: the creator and administrators seen so far."""
        chat_id = self._group_chat(params)
        return [copy.deepcopy(m) for m in self._chat_members.get(chat_id, {}).values()
                if m.get("status") in ("creator", "administrator")]

    def _bot_can_invite(self, chat_id: int) -> bool:
        """Whether the bot is an administrator allowed to invite users in that chat."""
        me = self._chat_members.get(chat_id, {}).get(self.bot_id) or {}
        return me.get("status") == "creator" or (me.get("status") == "administrator"
                                                 and bool(me.get("can_invite_users")))

    def _create_chat_invite_link(self, params: dict) -> dict:
        """createChatInviteLink: an additional link (never the primary one), with Telegram's checks."""
        chat_id = self._group_chat(params)
        if self._chats[chat_id].get("type") == "private":
            raise bad("chat not found")
        if not self._bot_can_invite(chat_id):
            raise bad("not enough rights to manage chat invite link")
        _check_invite_link_params(params)
        link = f"https://t.me/+FakeInvite{len(self.invite_links) + 1:06d}"
        invite: dict[str, Any] = {"invite_link": link, "creator": self.bot_user,
                                  "creates_join_request": bool(params.get("creates_join_request")),
                                  "is_primary": False, "is_revoked": False}
        for key in ("name", "expire_date", "member_limit"):
            if params.get(key) is not None:
                invite[key] = params[key]
        self.invite_links[link] = {**invite, "chat_id": chat_id, "uses": 0}
        return invite

    def _revoke_chat_invite_link(self, params: dict) -> dict:
        """revokeChatInviteLink."""
        chat_id = self._group_chat(params)
        stored = self.invite_links.get(str(params.get("invite_link") or ""))
        if stored is None or stored["chat_id"] != chat_id:
            raise bad("INVITE_HASH_EXPIRED")
        stored["is_revoked"] = True
        return {k: v for k, v in stored.items() if k not in ("chat_id", "uses")}

    def use_invite_link(self, link: str, chat_id: int) -> dict:
        """A user joins by a link: refused like Telegram when revoked, for another chat or used up."""
        stored = self.invite_links.get(link)
        if stored is None or stored["chat_id"] != chat_id:
            raise AssertionError(f"invite link {link!r} does not lead to chat {chat_id}")
        if stored["is_revoked"]:
            raise AssertionError(f"invite link {link!r} was revoked")
        limit = stored.get("member_limit")
        if limit is not None and stored["uses"] >= limit:
            raise AssertionError(f"invite link {link!r} was already used {stored['uses']} times")
        stored["uses"] += 1
        return {k: v for k, v in stored.items() if k not in ("chat_id", "uses")}


def _check_invite_link_params(params: dict) -> None:
    """A link's name (32 characters at most) and member limit (1-99999, not with join requests)."""
    name = params.get("name")
    if name is not None and len(str(name)) > 32:
        raise bad("INVITE_LINK_NAME_INVALID")
    limit = params.get("member_limit")
    if limit is not None and (not isinstance(limit, int) or not 1 <= limit <= 99999):
        raise bad("MEMBER_LIMIT_INVALID")
    if limit is not None and params.get("creates_join_request"):
        raise bad("member_limit can't be specified for links that create join requests")
