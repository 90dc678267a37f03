"""A small hostile HTTP proxy on loopback, in front of a real sandbox.

:class:`HostileProxy` forwards every request to ``upstream`` and can:

* hold each POST for ``hold_post_seconds`` *before* forwarding it (the write then
  commits after a client with a shorter timeout has given up: a slow commit);
* rewrite the body of a write's answer (``rewrite_write``: a server that answers
  a POST 201 with some other plan year);
* answer a request itself without forwarding it (``intercept``: a PUT answered 404);

and counts the POST/PUT requests it received (``writes``), so a test can assert
that a refused run sent nothing. Each connection is served in its own thread,
and a held request is forwarded even if the client has hung up meanwhile.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

# (method, path, status, parsed JSON body) -> the JSON body to send instead
Rewrite = Callable[[str, str, int, Any], Any]
# (method, path) -> (status, JSON body) to answer without forwarding, or None to forward
Intercept = Callable[[str, str], tuple[int, Any] | None]
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class HostileProxy:
    def __init__(
        self,
        upstream: str,
        *,
        hold_post_seconds: float = 0.0,
        rewrite_write: Rewrite | None = None,
        intercept: Intercept | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.hold_post_seconds = hold_post_seconds
        self.rewrite_write = rewrite_write
        self.intercept = intercept
        self.writes: list[tuple[str, str]] = []
        self.forwarded: list[tuple[str, str, float]] = []  # method, path, monotonic time
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle ------------------------------------------------------------------
    def __enter__(self) -> HostileProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                proxy._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def write_count(self) -> int:
        with self._lock:
            return len(self.writes)

    # -- one request ------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        method = handler.command
        path = handler.path
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_HEADERS}
        if method in ("POST", "PUT") and path.startswith("/v1/"):
            with self._lock:
                self.writes.append((method, path))
        if self.intercept is not None:
            answer = self.intercept(method, path)
            if answer is not None:
                status, doc = answer
                hdrs = {"content-type": "application/json"}
                self._reply(handler, status, json.dumps(doc).encode(), hdrs)
                return
        if method == "POST" and self.hold_post_seconds > 0:
            time.sleep(self.hold_post_seconds)
        with self._lock:
            self.forwarded.append((method, path, time.monotonic()))
        try:
            response = httpx.request(
                method, self.upstream + path, content=body, headers=headers, timeout=60
            )
        except httpx.HTTPError:
            self._reply(handler, 502, b'{"error": {"message": "proxy: upstream failed"}}', {})
            return
        content = response.content
        if (
            self.rewrite_write is not None
            and method in ("POST", "PUT")
            and path.startswith("/v1/")
            and 200 <= response.status_code < 300
        ):
            new = self.rewrite_write(method, path, response.status_code, response.json())
            content = json.dumps(new).encode()
        out_headers = {k: v for k, v in response.headers.items() if k.lower() not in HOP_HEADERS}
        self._reply(handler, response.status_code, content, out_headers)

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler, status: int, content: bytes, headers: dict[str, str]
    ) -> None:
        try:
            handler.send_response(status)
            for k, v in headers.items():
                handler.send_header(k, v)
            handler.send_header("content-length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)
            handler.wfile.flush()
        except OSError:  # the client gave up (timeout) before the answer: fine
            pass
