"""An aiohttp transport for python-telegram-bot.

PTB's default httpx transport spends most of its time in its connection pool: on a small machine it
manages a few hundred requests a second and gets slower as more run at once. aiohttp does several
thousand, which is what lets the outbox reach Telegram's paid-broadcast rate and keeps replies fast.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


JSON_HEADERS = {"Content-Type": "application/json"}
# Methods that put a new message in a chat: what Telegram's messages-per-second limit counts.
SENDING_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendAudio", "sendVideo", "sendAnimation",
    "sendSticker", "sendLocation", "sendVenue", "sendContact", "sendPoll", "sendMediaGroup", "copyMessage",
    "forwardMessage",
})
# Methods whose repeat makes a second something (a message, an invite link): one must never be sent again
# after its answer was lost, since Telegram may well have acted on it.
CREATING_METHODS = SENDING_METHODS | frozenset({
    "sendDice", "sendInvoice", "sendPaidMedia", "sendVideoNote", "copyMessages", "forwardMessages",
    "createChatInviteLink", "createChatSubscriptionInviteLink", "exportChatInviteLink", "createInvoiceLink",
    "createForumTopic",
})


class NotSent(NetworkError):
    """The request never reached Telegram (no connection could be made): sending it again is safe."""


class OutcomeUnknown(NetworkError):
    """The request may have reached Telegram, but its answer was lost: Telegram may or may not have acted on it."""


class ConnectTimedOut(TimedOut, NotSent):
    """No connection to Telegram within the connect timeout."""


class AnswerTimedOut(TimedOut, OutcomeUnknown):
    """The request went out but Telegram's answer did not come in time."""


class AiohttpRequest(BaseRequest):
    """Sends Bot API requests over one aiohttp session with a bounded connection pool."""

    def __init__(self, *, connection_pool_size: int = 64, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 media_write_timeout: float | None = 20.0, on_send: Callable[[], None] | None = None) -> None:
        self._pool_size = connection_pool_size
        # Told of every message sent through this transport (see SENDING_METHODS).
        self._on_send = on_send
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE, pool_timeout=BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = self._connect_timeout
        if isinstance(pool_timeout, DefaultValue) or pool_timeout is None:
            pool_timeout = connect_timeout
        # aiohttp has no separate write timeout: a request may take connect + write + read at most.
        budget = [t for t in (pool_timeout, write_timeout, read_timeout) if t is not None]
        timeout = aiohttp.ClientTimeout(total=sum(budget) if len(budget) == 3 else None,
                                        sock_connect=connect_timeout, sock_read=read_timeout)
        if self._on_send is not None and url.rsplit("/", 1)[-1] in SENDING_METHODS:
            self._on_send()
        body = self._body(request_data, files)
        headers = JSON_HEADERS if isinstance(body, bytes) else None
        try:
            async with self._session.request(method, url, data=body, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as exc:
            raise ConnectTimedOut("Timed out connecting to Telegram") from exc
        except aiohttp.ClientConnectorError as exc:
            raise NotSent(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        except (TimeoutError, asyncio.TimeoutError) as exc:
            raise AnswerTimedOut("Timed out waiting for Telegram's answer") from exc
        except aiohttp.ClientError as exc:
            # The connection broke (or the answer was cut short) after the request was written, or while it was.
            raise OutcomeUnknown(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def _body(request_data: RequestData | None, files) -> aiohttp.FormData | bytes | None:
        """A JSON body (the Bot API takes one, and it costs far less to build than a form); multipart with files."""
        if request_data is None:
            return None
        if not files:
            return request_data.json_payload
        form = aiohttp.FormData()
        for name, value in request_data.json_parameters.items():
            form.add_field(name, value)
        for name, (filename, content, mimetype) in files.items():
            form.add_field(name, content, filename=filename, content_type=mimetype)
        return form
