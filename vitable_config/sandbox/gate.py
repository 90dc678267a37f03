"""ASGI middleware in front of the API: auth, rate limit, latency, faults, request log.

Order for every ``/v1`` request: bearer key (401) → fault draw → rate limit (429)
→ latency → ``throttle`` (429) / ``error_before`` / ``commit_late`` (body read, wait)
→ handler (commits) → ``error_after`` / ``drop_after`` / ``slow``. Admin paths
(``/_sandbox/...``) need the key but get no rate limit, latency or faults and are not
logged; the OpenAPI document and docs are public.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from vitable_config.sandbox.errors import error_bytes
from vitable_config.sandbox.ratelimit import retry_after_seconds
from vitable_config.sandbox.routes_public import RUNTIME_SCOPE_KEY
from vitable_config.sandbox.runtime import SandboxRuntime

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
ADMIN_PREFIX = "/_sandbox"


def bearer_key(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1")
            scheme, _, key = text.partition(" ")
            return key.strip() if scheme.lower() == "bearer" and key.strip() else None
    return None


async def send_error(
    send: Send,
    status: int,
    message: str,
    app_error_code: str,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = error_bytes(message, app_error_code)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(extra_headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def drop_connection(send: Send) -> None:
    """Close the client connection without sending a response.

    uvicorn's ``send`` is a bound method of its request/response cycle, which
    holds the connection's transport; closing it makes the client see the server
    disconnect. (Fallback for other servers: announce a body that never comes.)
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None:
        transport.close()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"1000000")],
        }
    )
    raise ConnectionAbortedError("sandbox fault: connection dropped after commit")


async def _read_body_then_wait(receive: Receive, seconds: float) -> Receive:
    """Read the whole request body now, wait, and return a ``receive`` that replays it.

    The handler then runs (and commits) even if the client has given up and closed
    the connection meanwhile: the server finishes work the client cannot see.
    """
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    await asyncio.sleep(seconds)

    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return replay


class SandboxGate:
    def __init__(self, app: ASGIApp, runtime: SandboxRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = self.runtime
        scope[RUNTIME_SCOPE_KEY] = runtime
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        key = bearer_key(scope)
        if key is None or not hmac.compare_digest(key.encode(), runtime.api_key.encode()):
            what = "missing" if key is None else "unknown"
            if not path.startswith(ADMIN_PREFIX):
                runtime.record(method, path, 401, None)
            await send_error(
                send,
                401,
                f"API key {what}: send the header 'Authorization: Bearer <api key>' with the "
                "key the sandbox printed at start ('API key: ...')",
                "unauthenticated",
            )
            return
        if path.startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        fault = runtime.faults.draw(method, path)
        wait = runtime.rate_limiter.acquire(key)
        if wait > 0:
            seconds = retry_after_seconds(wait)
            runtime.record(method, path, 429, None)
            await send_error(
                send,
                429,
                f"rate limit of {runtime.rate_limiter.rate:g} requests per second exceeded; "
                f"retry after {seconds} s",
                "rate_limited",
                [
                    (b"retry-after", str(seconds).encode()),
                    (b"retry-after-ms", str(max(1, round(wait * 1000))).encode()),
                ],
            )
            return
        if runtime.latency_ms > 0:
            await asyncio.sleep(runtime.latency_ms / 1000)
        if fault == "throttle":
            runtime.record(method, path, 429, fault)
            await send_error(
                send,
                429,
                "injected fault: rate limited; retry after the Retry-After delay",
                "rate_limited",
                [
                    (b"retry-after", b"1"),
                    (b"retry-after-ms", str(runtime.faults.settings.throttle_ms).encode()),
                ],
            )
            return
        if fault == "error_before":
            runtime.record(method, path, 500, fault)
            await send_error(
                send, 500, "injected fault: server error before the write", "internal_error"
            )
            return
        if fault == "commit_late":
            receive = await _read_body_then_wait(receive, runtime.faults.settings.slow_ms / 1000)
        if fault in (None, "commit_late"):

            async def send_and_note(message: Message) -> None:
                if message["type"] == "http.response.start":  # logged before the client sees it
                    runtime.record(method, path, message["status"], fault)
                await send(message)

            await self.app(scope, receive, send_and_note)
            return
        await self._after_handler(scope, receive, send, fault)

    async def _after_handler(self, scope: Scope, receive: Receive, send: Send, fault: str) -> None:
        """Run the handler (its write commits), then apply the fault."""
        runtime = self.runtime
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        method, path = scope["method"], scope["path"]
        if fault == "error_after":
            runtime.record(method, path, 500, fault)
            await send_error(
                send, 500, "injected fault: server error after the write", "internal_error"
            )
        elif fault == "drop_after":
            runtime.record(method, path, None, fault)
            await drop_connection(send)
        else:  # slow
            await asyncio.sleep(runtime.faults.settings.slow_ms / 1000)
            status = next((m["status"] for m in held if m["type"] == "http.response.start"), None)
            runtime.record(method, path, status, fault)
            for message in held:
                await send(message)
