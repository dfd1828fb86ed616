"""The HTTP side of the fake server: listening, the Bot API route (faults applied, outcomes counted), file
downloads, and the control API benchmarks drive it through."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .errors import ApiError
from .faults import Fault
from .params import read_params

MAX_UPLOAD = 50 * 1024 * 1024
_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}

# A method's name as Telegram spells it, and what runs it.
Entry = tuple[str, Callable[[dict], Any]]


def json_response(status: int, payload: Any) -> web.Response:
    """A JSON response without aiohttp's slower helper machinery."""
    return web.Response(status=status, body=json.dumps(payload, ensure_ascii=False).encode(),
                        content_type="application/json")


class Transport:
    """Listening on a port, answering Bot API calls, serving files and the control API."""

    def _init_transport(self) -> None:
        self._methods: dict[str, Entry] = {}
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (port 0 picks a free one)."""
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post("/_control/push", self._control_push)
        app.router.add_get("/_control/stats", self._control_stats)
        app.router.add_post("/_control/reset_stats", self._control_reset_stats)
        app.router.add_get("/_control/messages", self._control_messages)
        # handler_cancellation: a long poll whose client went away must not linger until its
        # timeout; access_log=None: logging every request would dominate benchmark costs.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._closing = False
        self._host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Release pending long polls and shut the server down."""
        self._closing = True
        self._wake_pollers()
        await self._stop_webhook()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self):
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (after start)."""
        return self._port

    @property
    def base_url(self) -> str:
        """Bot API base URL for PTB (which appends the token)."""
        return f"http://{self._host}:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """File download base URL for PTB (which appends the token)."""
        return f"http://{self._host}:{self._port}/file/bot"

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        """Entry point of /bot<token>/<method>."""
        requested = request.match_info["method"]
        if request.match_info["token"] != self.token:
            self._count(requested, "4xx")
            return json_response(401, _UNAUTHORIZED)
        entry = self._methods.get(requested.lower())
        name = entry[0] if entry else requested
        try:
            params = await read_params(request)
        except ApiError as err:
            return self._error(name, err)
        if self.record_requests:
            self.requests.append((name, params))
        self._notify()
        try:
            return await self._dispatch(request, name, entry, params)
        finally:
            self._notify()

    async def _dispatch(self, request: web.Request, name: str, entry: Entry | None,
                        params: dict) -> web.StreamResponse:
        """Run a method (or an injected fault) and turn the outcome into a response."""
        fault = self._next_fault(name)
        if fault is not None and fault.drop and not fault.processed:
            return self._drop(request, name)
        try:
            result = await _run(entry, params, fault)
        except ApiError as err:
            if fault is not None and fault.drop:
                return self._drop(request, name)
            return self._error(name, err)
        if fault is not None and fault.drop:
            return self._drop(request, name)
        self._count(name, "ok")
        return json_response(200, {"ok": True, "result": result})

    def _error(self, method: str, err: ApiError) -> web.Response:
        """Telegram's error answer, counted in stats."""
        if err.status == 429:
            outcome = "429"
        elif err.status >= 500:
            outcome = "5xx"
        else:
            outcome = "4xx"
        self._count(method, outcome)
        payload: dict[str, Any] = {"ok": False, "error_code": err.status,
                                   "description": err.description}
        if err.retry_after is not None:
            payload["parameters"] = {"retry_after": err.retry_after}
        return json_response(err.status, payload)

    def _drop(self, request: web.Request, method: str) -> web.Response:
        """Close the connection so the client sees it end without a response."""
        self._count(method, "dropped")
        if request.transport is not None:
            request.transport.close()
        # Nothing is written to a closed transport; aiohttp just needs a return value.
        return web.Response(status=500)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """File downloads at /file/bot<token>/<file_path>."""
        if request.match_info["token"] != self.token:
            return json_response(401, _UNAUTHORIZED)
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return json_response(404, {"ok": False, "error_code": 404,
                                       "description": "Not Found"})
        return web.Response(body=stored.content,
                            content_type=stored.mime_type or "application/octet-stream")

    async def _control_push(self, request: web.Request) -> web.Response:
        """POST /_control/push: a list of updates (or one) -> their update_ids."""
        body = await request.json()
        updates = body if isinstance(body, list) else [body]
        return json_response(200, [self.push_update(update) for update in updates])

    async def _control_stats(self, request: web.Request) -> web.Response:
        """GET /_control/stats."""
        return json_response(200, {"stats": self.stats, "sent_count": self.sent_count,
                                   "pending_updates": len(self._updates)})

    async def _control_reset_stats(self, request: web.Request) -> web.Response:
        """POST /_control/reset_stats."""
        self.reset_stats()
        return json_response(200, {"ok": True})

    async def _control_messages(self, request: web.Request) -> web.Response:
        """GET /_control/messages?chat_id=N."""
        try:
            chat_id = int(request.query["chat_id"])
        except (KeyError, ValueError):
            return json_response(400, {"ok": False, "description": "chat_id required"})
        return json_response(200, [m.to_json() for m in self.messages(chat_id)])


async def _run(entry: Entry | None, params: dict, fault: Fault | None) -> Any:
    """The method's result; an injected error (not a drop) is raised instead of running it."""
    if fault is not None and not fault.drop:
        raise ApiError(fault.status, fault.description, fault.retry_after)
    if entry is None:
        raise ApiError(404, "Not Found")
    result = entry[1](params)
    if asyncio.iscoroutine(result):
        result = await result
    return result
