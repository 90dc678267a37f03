"""The client's network layer: httpcore's connection pool over plain asyncio streams.

httpx sends every request through httpcore, and httpcore talks to sockets through a
*network backend*. Its default backend on asyncio goes through anyio, which costs,
per request, a cancel scope for each read and write and a dictionary of socket
attributes built each time the pool checks whether an idle connection was closed by
the server. This backend does the same things directly with an asyncio
:class:`~asyncio.Protocol`:

* reads return what the connection received (``b""`` once the server closed it);
* every failure is raised as the httpcore exception the anyio backend raises for it,
  with the original error as its cause: :class:`httpcore.ConnectError` /
  :class:`httpcore.ConnectTimeout` while connecting (nothing was sent),
  :class:`httpcore.WriteError` / :class:`httpcore.WriteTimeout` while sending,
  :class:`httpcore.ReadError` / :class:`httpcore.ReadTimeout` while waiting for the
  answer. :mod:`vitable_config.api.retry` decides on those what a failure means for
  a write (not sent, or outcome unknown), so they must mean what they say;
* an idle connection is "readable" (so the pool closes it instead of reusing it) when
  data or the end of the stream has arrived, or its socket polls readable, exactly
  the anyio backend's check.

:func:`transport` builds the httpx transport the client uses (no proxy: the client
mounts proxies from the environment itself).
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

_SocketOption = httpcore.SOCKET_OPTION


def _socket_readable(sock: socket.socket | None) -> bool:
    """Whether reading ``sock`` would return at once (data, the end, or an error); a
    socket that is gone counts as readable (as in httpcore's own check)."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _Protocol(asyncio.Protocol):
    """Buffers what the connection receives, for :class:`_Stream`."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.ended = False  # the server closed its side, or the connection was lost
        self.error: BaseException | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.paused = False
        self.drained: asyncio.Future[None] | None = None

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        drained = self.drained
        if drained is not None and not drained.done():
            drained.set_result(None)


def _expire(waiter: asyncio.Future[None], error: Exception) -> None:
    if not waiter.done():
        waiter.set_exception(error)


async def _wait(waiter: asyncio.Future[None], timeout: float | None, error: Exception) -> None:
    """Await ``waiter``; past ``timeout`` seconds raise ``error`` instead."""
    if timeout is None:
        await waiter
        return
    timer = asyncio.get_running_loop().call_later(timeout, _expire, waiter, error)
    try:
        await waiter
    finally:
        timer.cancel()


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        while not protocol.buffer and not protocol.ended:
            protocol.waiter = asyncio.get_running_loop().create_future()
            try:
                await _wait(protocol.waiter, timeout, httpcore.ReadTimeout("read timed out"))
            finally:
                protocol.waiter = None
        buffer = protocol.buffer
        if buffer:
            if len(buffer) <= max_bytes:
                data = bytes(buffer)
                buffer.clear()
            else:
                data = bytes(buffer[:max_bytes])
                del buffer[:max_bytes]
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error)) from protocol.error
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if protocol.error is not None:
            raise httpcore.WriteError(str(protocol.error)) from protocol.error
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        try:
            self._transport.write(buffer)
        except (OSError, RuntimeError) as exc:
            raise httpcore.WriteError(str(exc)) from exc
        while protocol.paused and protocol.error is None:
            protocol.drained = asyncio.get_running_loop().create_future()
            try:
                await _wait(protocol.drained, timeout, httpcore.WriteTimeout("write timed out"))
            finally:
                protocol.drained = None
        if protocol.error is not None:
            raise httpcore.WriteError(str(protocol.error)) from protocol.error

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport,
                    self._protocol,
                    ssl_context,
                    server_hostname=server_hostname,
                    ssl_handshake_timeout=None if timeout is None else timeout + 1,
                )
        except TimeoutError as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from exc
        except (OSError, ssl.SSLError, EOFError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        if transport is None:  # pragma: no cover - only for a closing transport
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        return _Stream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":
            protocol = self._protocol
            if protocol.buffer or protocol.ended:
                return True
            return _socket_readable(transport.get_extra_info("socket"))
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend over asyncio streams (see the module docstring)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Protocol,
                    host,
                    port,
                    local_addr=None if local_address is None else (local_address, 0),
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout("connection timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return _Stream(transport, protocol)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - the client speaks TCP only
        raise httpcore.ConnectError("unix sockets are not supported")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def transport(ssl_context: ssl.SSLContext, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's own transport, its connection pool on :class:`AsyncioBackend`."""
    out = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits)
    out._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http1=True,
        http2=False,
        network_backend=AsyncioBackend(),
    )
    return out


class NoCookies(httpx.Cookies):
    """A cookie store that keeps nothing: the API authenticates with the key, and a
    cookie a server sets is never sent back (nor kept in memory)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None
