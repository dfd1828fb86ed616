"""The bot's own profile: getMe, its command lists per scope and language, its menu button, name and
descriptions."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from .errors import bad

_SCOPE_TYPES = frozenset({
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
    "chat_administrators", "chat_member",
})
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
# setMyX / getMyX pairs and the field each keeps.
DESCRIPTIONS = (("MyDescription", "description"), ("MyShortDescription", "short_description"),
                ("MyName", "name"))


class Profile:
    """getMe, *MyCommands, *ChatMenuButton and the descriptions."""

    def _init_profile(self, token: str, bot_username: str) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self._commands: dict[tuple, list[dict]] = {}
        self._menu_buttons: dict[int | None, dict] = {}
        self._descriptions: dict[tuple[str, str], str] = {}

    @property
    def bot_user(self) -> dict:
        """The bot as a Telegram User object."""
        return {"id": self.bot_id, "is_bot": True, "first_name": "Sahakor",
                "username": self.bot_username}

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        """The command list set for that scope and language (empty if none)."""
        return copy.deepcopy(self._commands.get(_scope_key(scope, language_code), []))

    def _close(self, params: dict) -> bool:
        """close: only acknowledged."""
        return True

    def _log_out(self, params: dict) -> bool:
        """logOut: only acknowledged."""
        return True

    def _get_me(self, params: dict) -> dict:
        """getMe."""
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    def _set_my_commands(self, params: dict) -> bool:
        """setMyCommands with Telegram's checks on names and descriptions."""
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad("too many commands specified")
        cleaned = [_checked_command(command) for command in commands]
        key = _command_key(params)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: dict) -> list[dict]:
        """getMyCommands for exactly that scope and language."""
        return copy.deepcopy(self._commands.get(_command_key(params), []))

    def _delete_my_commands(self, params: dict) -> bool:
        """deleteMyCommands."""
        self._commands.pop(_command_key(params), None)
        return True

    def _set_chat_menu_button(self, params: dict) -> bool:
        """setChatMenuButton (per chat, or the default when chat_id is absent)."""
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app",
                                                                         "default"):
            raise bad("can't parse menu button JSON object")
        chat_id = params.get("chat_id")
        if chat_id is not None:
            self._target_chat(params)
        self._menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(self, params: dict) -> dict:
        """getChatMenuButton."""
        chat_id = params.get("chat_id")
        button = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        return button if button and button.get("type") != "default" else {"type": "commands"}

    def _set_description(self, kind: str) -> Callable[[dict], bool]:
        """setMyDescription / setMyShortDescription / setMyName."""
        def handler(params: dict) -> bool:
            self._descriptions[(kind, params.get("language_code") or "")] = str(
                params.get(kind) or "")
            return True
        return handler

    def _get_description(self, kind: str) -> Callable[[dict], dict]:
        """getMyDescription / getMyShortDescription / getMyName."""
        def handler(params: dict) -> dict:
            return {kind: self._descriptions.get((kind, params.get("language_code") or ""), "")}
        return handler


def _scope_key(scope: Any, language_code: Any) -> tuple:
    """Canonical key of a BotCommandScope plus language."""
    scope = scope if isinstance(scope, dict) else {"type": "default"}
    return (scope.get("type", "default"), scope.get("chat_id"), scope.get("user_id"),
            language_code or "")


def _command_key(params: dict) -> tuple:
    """Validated scope/language key of a *MyCommands call."""
    scope = params.get("scope")
    if scope is not None:
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise bad("can't parse BotCommandScope JSON object")
        if scope["type"].startswith("chat") and scope.get("chat_id") is None:
            raise bad("chat_id is empty")
        if scope["type"] == "chat_member" and scope.get("user_id") is None:
            raise bad("user not found")
    language = params.get("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", str(language)):
        raise bad("invalid language code specified")
    return _scope_key(scope, language)


def _checked_command(command: Any) -> dict:
    """One BotCommand: a lower-case name of 1-32 characters and a description of 1-256."""
    if not isinstance(command, dict):
        raise bad("can't parse BotCommand JSON object")
    name, description = command.get("command"), command.get("description")
    if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
        raise bad("BOT_COMMAND_INVALID")
    if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
        raise bad("command description is empty" if not description
                  else "BOT_COMMAND_DESCRIPTION_INVALID")
    return {"command": name, "description": description}
