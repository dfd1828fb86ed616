"""A call's parameters as the Bot API reads them: from the query string and a JSON, urlencoded or multipart
body, each string given the type its name implies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import bad
from .files import Upload

# Form and multipart bodies carry every value as a string, so the server has to know which
# parameters are numbers, booleans or JSON-serialised objects (as the real Bot API does).
_INT_PARAMS = frozenset({
    "chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "message_thread_id",
    "user_id", "reply_to_message_id", "from_chat_id", "until_date",
    "member_limit", "expire_date", "duration",
})
_BOOL_PARAMS = frozenset({
    "show_alert", "disable_notification", "protect_content", "drop_pending_updates",
    "disable_web_page_preview", "allow_sending_without_reply", "has_spoiler",
    "disable_content_type_detection", "show_caption_above_media", "allow_paid_broadcast",
    "for_channels",
    "creates_join_request",
    "is_anonymous", "allows_multiple_answers", "is_closed",
})
_JSON_PARAMS = frozenset({
    "reply_markup", "entities", "caption_entities", "scope", "commands", "menu_button",
    "allowed_updates", "link_preview_options", "reply_parameters",
    "options",
})


async def read_params(request: web.Request) -> dict:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    raw: dict[str, Any] = dict(request.query)
    if request.body_exists:
        if request.content_type == "application/json":
            raw.update(await _json_body(request))
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = Upload(value.filename, value.file.read(), value.content_type)
                else:
                    raw[key] = value
    return {key: coerce(key, value) for key, value in raw.items()}


async def _json_body(request: web.Request) -> dict:
    """A JSON body, which must be an object."""
    try:
        body = await request.json()
    except ValueError as err:
        raise bad("can't parse JSON encoded request") from err
    if not isinstance(body, dict):
        raise bad("can't parse JSON encoded request")
    return body


def coerce(key: str, value: Any) -> Any:
    """Give a string parameter the type its name implies (ints, booleans, JSON objects)."""
    if not isinstance(value, str):
        return value
    if key in _INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. "@channelusername"
    if key in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    if key in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            return value  # refused later with the method's own error
    return value
