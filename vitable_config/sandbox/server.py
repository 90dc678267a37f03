"""Serving the sandbox with uvicorn: in a background thread, or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date
from typing import Any

import uvicorn

from vitable_config.sandbox.app import create_app
from vitable_config.sandbox.runtime import SandboxRuntime, ServedRequest
from vitable_config.sandbox.settings import FaultSettings, SandboxSettings


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket (``port=0``: a free port chosen by the OS)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections
    # (without it, Nagle + delayed ACK add ~40 ms to every response).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def base_url_for(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def uvicorn_config(runtime: SandboxRuntime, log_level: str = "warning") -> uvicorn.Config:
    return uvicorn.Config(
        create_app(runtime),
        log_level=log_level,
        lifespan="off",
        access_log=False,
        http="h11",
        ws="none",
        timeout_graceful_shutdown=1,
        date_header=False,  # the app dates responses by the sandbox's clock (sandbox/clock.py)
    )


class SandboxHandle:
    """A sandbox running in a background thread of this process."""

    def __init__(self, runtime: SandboxRuntime, host: str, port: int) -> None:
        self.runtime = runtime
        self.host = host
        self.port = port
        self.base_url = base_url_for(host, port)

    def __repr__(self) -> str:  # never show the key
        return f"SandboxHandle(base_url={self.base_url!r})"

    @property
    def api_key(self) -> str:
        return self.runtime.api_key

    @property
    def dialect(self) -> str:
        """The API dialect served (``2025-12``, ``2026-02`` or ``removed``)."""
        return self.runtime.dialect

    @property
    def request_log(self) -> list[ServedRequest]:
        return list(self.runtime.request_log)

    @property
    def today(self) -> date:
        return self.runtime.today

    def set_today(self, today: date) -> None:
        self.runtime.set_today(today)

    def set_faults(self, faults: FaultSettings) -> None:
        self.runtime.set_faults(faults)

    def set_latency_ms(self, latency_ms: int) -> None:
        self.runtime.set_latency_ms(latency_ms)

    def set_rate_limit(self, rate: float | None) -> None:
        self.runtime.set_rate_limit(rate)

    def set_allow_overlap(self, allow: bool) -> None:
        self.runtime.allow_overlap = allow

    def write_count(self) -> int:
        """POST/PUT requests that reached a handler and committed a write."""
        return self.runtime.write_count()

    def list_all_plan_years(self) -> list[dict[str, Any]]:
        """Every plan year straight from the database (API response shape)."""
        return self.runtime.plan_years.list_all(self.runtime.today)

    def stats(self) -> dict[str, Any]:
        return self.runtime.stats()

    def clear_request_log(self) -> None:
        self.runtime.clear_request_log()


class _ThreadServer:
    """uvicorn in a thread, started and stopped without its 0.1 s polling loop."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket) -> None:
        self.server = uvicorn.Server(config)
        self.sock = sock
        self.started = threading.Event()
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, name="vitable-sandbox", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the starting thread
            self.error = exc
            self.started.set()

    async def _serve(self) -> None:
        server = self.server
        config = server.config
        if not config.loaded:
            config.load()
        server.lifespan = config.lifespan_class(config)
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await server.startup(sockets=[self.sock])
        await server.on_tick(0)  # default headers (Date)
        self.started.set()
        await self._stop.wait()
        for listener in server.servers:
            listener.close()
        for connection in list(server.server_state.connections):
            connection.shutdown()
        for _ in range(100):  # up to 1 s for in-flight responses
            if not server.server_state.connections and not server.server_state.tasks:
                break
            await asyncio.sleep(0.01)
        for task in list(server.server_state.tasks):
            task.cancel()

    def start(self) -> None:
        self.thread.start()
        self.started.wait(timeout=30)
        if self.error is not None:
            raise RuntimeError(f"sandbox failed to start: {self.error!r}") from self.error

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            with suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(timeout=10)
        self.sock.close()


@contextmanager
def running_sandbox(settings: SandboxSettings | None = None) -> Iterator[SandboxHandle]:
    """Run a sandbox in a background thread on a loopback port; stop it on exit."""
    settings = settings or SandboxSettings()
    runtime = SandboxRuntime(settings)
    try:
        sock = bind_socket(settings.host, settings.port)
        port = sock.getsockname()[1]
        thread_server = _ThreadServer(uvicorn_config(runtime), sock)
        thread_server.start()
        try:
            yield SandboxHandle(runtime, settings.host, port)
        finally:
            thread_server.stop()
    finally:
        runtime.close()


def serve_forever(
    settings: SandboxSettings, announce: Callable[[str, SandboxRuntime], None]
) -> None:
    """Run in the foreground until SIGINT/SIGTERM; ``announce(base_url, runtime)``
    is called once the port is bound, before serving."""
    runtime = SandboxRuntime(settings)
    try:
        sock = bind_socket(settings.host, settings.port)
        base_url = base_url_for(settings.host, sock.getsockname()[1])
        announce(base_url, runtime)
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        server = uvicorn.Server(uvicorn_config(runtime))
        server.run(sockets=[sock])
    finally:
        runtime.close()
