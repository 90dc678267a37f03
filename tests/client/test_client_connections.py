"""The client's connections (httpx/httpcore under the client) against real loopback servers.

A small raw HTTP/1.1 server in a thread (with TLS where the case needs it, certificates
from ``trustme``) scripts what the server does on each connection, so each case shows
what the client makes of it: TLS with a trusted and an untrusted certificate, a
keep-alive connection the server closed while it was idle, an answer that never comes,
a connection reset after the request was sent, and cookies a server tries to set.
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import trustme

from tests.client.test_client_mock import CREATE, plan_year
from vitable_config.api import ClientSettings, RetryPolicy, VitableClient
from vitable_config.api.errors import OutcomeUnknownError, TransportError

KEY = "sk_test_NETWORK_0a1b2c3d4e5f"
FAST = RetryPolicy(max_retries=2, wait_initial=0.001, wait_max=0.005, wait_jitter=0.001)
PRODUCTS = [
    {
        "id": "bprd_1",
        "name": "Medical",
        "product_code": "MEC",
        "category": "Medical",
        "active": True,
        "carrier_plans": [],
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
]
PLAN_YEAR = plan_year(1)  # the same plan year and create body as the MockTransport tests


def response(status: int, body: Any, *extra: str) -> bytes:
    data = json.dumps(body).encode()
    head = [f"HTTP/1.1 {status} X", "content-type: application/json"]
    head += [f"content-length: {len(data)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


def read_request(conn: socket.socket) -> tuple[str, dict[str, str]] | None:
    """One request (line and headers; the body is read and dropped), None at the end."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        rest += conn.recv(65536)
    return lines[0], headers


# A script: called with (connection number, accepted socket); it serves that connection.
Script = Callable[[int, socket.socket], None]


@contextmanager
def raw_server(script: Script, tls: ssl.SSLContext | None = None) -> Iterator[dict[str, Any]]:
    """Serve each accepted connection with ``script`` in its own thread; yields the
    port and the number of connections accepted (and of failed TLS handshakes)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    state: dict[str, Any] = {"port": listener.getsockname()[1], "connections": 0, "tls_failed": 0}
    stop = threading.Event()

    def serve_one(n: int, conn: socket.socket) -> None:
        try:
            if tls is not None:
                try:
                    conn = tls.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    state["tls_failed"] += 1
                    return
            script(n, conn)
        except OSError:
            pass
        finally:
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            state["connections"] += 1
            conn.settimeout(10)
            threading.Thread(
                target=serve_one, args=(state["connections"], conn), daemon=True
            ).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def client(url: str, **kwargs: Any) -> VitableClient:
    settings = ClientSettings.from_env(api_key=KEY, base_url=url, environ={}, api_dialect="2025-12")
    kwargs.setdefault("retry_policy", FAST)
    return VitableClient(settings, **kwargs)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context


def serve_products(n: int, conn: socket.socket) -> None:
    while read_request(conn) is not None:
        conn.sendall(response(200, PRODUCTS))


async def test_https_with_a_trusted_certificate(ca: trustme.CA) -> None:
    with raw_server(serve_products, tls=tls_server_context(ca)) as server:
        async with client(f"https://localhost:{server['port']}") as api:
            # The test's CA, in the one TLS context every pool of the client shares.
            ca.configure_trust(api._tls)
            products = await api.list_benefit_products()
            again = await api.list_benefit_products()
    assert [p.id for p in products] == [p.id for p in again] == ["bprd_1"]
    assert server["connections"] == 1  # the TLS connection was kept alive and reused


async def test_https_with_an_untrusted_certificate_fails_once_without_retries(
    ca: trustme.CA,
) -> None:
    with raw_server(serve_products, tls=tls_server_context(ca)) as server:
        async with client(f"https://localhost:{server['port']}") as api:
            with pytest.raises(TransportError) as info:
                await api.list_benefit_products()
    assert "certificate" in str(info.value).lower(), info.value
    assert server["connections"] == 1  # a bad certificate cannot fix itself: no retry


async def test_a_post_on_a_keep_alive_connection_the_server_closed_is_sent_again() -> None:
    # The server answers one request, then closes the idle connection. A create sent
    # afterwards must go on a new connection and succeed: sent on the closed one it
    # would fail after sending, and its outcome would be unknown.
    def script(n: int, conn: socket.socket) -> None:
        request = read_request(conn)
        if request is None:
            return
        if request[0].startswith("POST"):
            conn.sendall(response(201, PLAN_YEAR))
        else:
            conn.sendall(response(200, PRODUCTS))
        time.sleep(0.05)
        conn.shutdown(socket.SHUT_RDWR)

    with raw_server(script) as server:
        async with client(f"http://127.0.0.1:{server['port']}", max_concurrency=1) as api:
            await api.list_benefit_products()
            time.sleep(0.3)  # the server closes the connection meanwhile (event loop idle)
            created = await api.create_plan_year("bprd_1", CREATE)
    assert created.id == "plyr_0001"
    assert server["connections"] == 2
    assert api.stats.outcome_unknown == 0


async def test_a_post_whose_answer_never_comes_is_outcome_unknown_and_sent_once() -> None:
    posts = 0

    def script(n: int, conn: socket.socket) -> None:
        nonlocal posts
        while (request := read_request(conn)) is not None:
            if request[0].startswith("POST"):
                posts += 1
                time.sleep(2)  # past the client's timeout
                return
            conn.sendall(response(200, PRODUCTS))

    with raw_server(script) as server:
        async with client(f"http://127.0.0.1:{server['port']}", timeout=0.5) as api:
            with pytest.raises(OutcomeUnknownError):
                await api.create_plan_year("bprd_1", CREATE)
    assert posts == 1


async def test_a_get_reset_after_it_was_sent_is_retried_on_a_new_connection() -> None:
    def script(n: int, conn: socket.socket) -> None:
        if read_request(conn) is None:
            return
        if n == 1:  # reset: RST instead of an answer
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        conn.sendall(response(200, PRODUCTS))
        serve_products(n, conn)

    with raw_server(script) as server:
        async with client(f"http://127.0.0.1:{server['port']}") as api:
            products = await api.list_benefit_products()
    assert [p.id for p in products] == ["bprd_1"]
    assert server["connections"] == 2


async def test_cookies_a_server_sets_are_never_sent_back() -> None:
    seen: list[dict[str, str]] = []

    def script(n: int, conn: socket.socket) -> None:
        while (request := read_request(conn)) is not None:
            seen.append(request[1])
            conn.sendall(response(200, PRODUCTS, "set-cookie: session=planted; Path=/"))

    with raw_server(script) as server:
        async with client(f"http://127.0.0.1:{server['port']}") as api:
            await api.list_benefit_products()
            await api.list_benefit_products()
    assert len(seen) == 2
    assert all("cookie" not in headers for headers in seen), seen
