"""The sandbox's clock on the wire: every response's ``Date`` header is the sandbox's
date (its settable ``today``) with the current UTC time of day.

Clients take "today" from the API's ``Date`` header (a real API's is its own clock), so
lock warnings computed against a sandbox follow the sandbox's clock, not the machine's.
uvicorn's own ``Date`` header is turned off (``date_header=False``) where this app runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from vitable_config.sandbox.runtime import SandboxRuntime

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def sandbox_http_date(runtime: SandboxRuntime) -> bytes:
    now = datetime.now(UTC)
    stamp = datetime.combine(runtime.today, now.time(), tzinfo=UTC)
    return format_datetime(stamp, usegmt=True).encode("ascii")


class ClockHeader:
    """ASGI wrapper adding ``Date: <sandbox today, UTC time of day>`` to every response."""

    def __init__(self, app: ASGIApp, runtime: SandboxRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_date(message: Message) -> None:
            if message.get("type") == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", sandbox_http_date(self.runtime)))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_date)
