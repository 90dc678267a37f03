"""Transport safety through the CLI: no plain http:// to a real host unless --insecure,
and TLS verification on by default (no downgrade, no unverified certificate).

All traffic stays on loopback: a non-loopback host is reached through a local
recording HTTP proxy (``HTTP_PROXY``), so we can see whether the tool sent anything.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.reliability.rel_support import config_yaml, run_cli, start_sandbox, wanted_plan_years
from vitable_config.api.client import VitableClient
from vitable_config.api.settings import ClientSettings
from vitable_config.sandbox import running_sandbox


class Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[str, bool]]

    def do_GET(self) -> None:
        type(self).seen.append((self.requestline, "Authorization" in self.headers))
        body = json.dumps(
            {
                "timestamp": "2026-11-21T00:00:00Z",
                "message": "recorder says no",
                "error": "recorder says no",
                "app_error_code": "unauthenticated",
                "trace_id": "t",
            }
        ).encode()
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def serve(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[tuple[str, bool]]]]:
    handler = type("ProxyRecorder", (Recorder,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for running in serve(server):
        yield f"http://127.0.0.1:{running.server_address[1]}", handler.seen


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "vitable.yaml"
    path.write_text(config_yaml(wanted_plan_years(2)))
    return path


def proxy_env(proxy_url: str, key: str) -> dict[str, str | None]:
    return {
        "VITABLE_CONNECT_API_KEY": key,
        "HTTP_PROXY": proxy_url,
        "http_proxy": proxy_url,
        "NO_PROXY": None,
        "no_proxy": None,
    }


@pytest.mark.parametrize("command", ["plan", "apply", "export"])
def test_plain_http_to_a_real_host_is_refused(
    proxy: tuple[str, list], config: Path, secret_key: str, tmp_path: Path, command: str
) -> None:
    proxy_url, seen = proxy
    args = {
        "plan": ["plan", config],
        "apply": ["apply", config, "--auto-approve"],
        "export": ["export", "-o", tmp_path / "export"],
    }[command]
    result = run_cli(
        [*args, "--base-url", "http://api.example.com"], env=proxy_env(proxy_url, secret_key)
    )
    assert result.code == 1
    assert "refusing to send the API key over plain http to api.example.com" in result.err
    assert "--insecure" in result.err
    assert seen == []  # nothing left the process


def test_plain_http_from_the_environment_is_refused_too(
    proxy: tuple[str, list], config: Path, secret_key: str
) -> None:
    proxy_url, seen = proxy
    env = {**proxy_env(proxy_url, secret_key), "VITABLE_CONNECT_BASE_URL": "http://10.1.2.3:8080"}
    result = run_cli(["plan", config], env=env)
    assert result.code == 1 and "plain http" in result.err
    assert seen == []


def test_insecure_allows_plain_http(proxy: tuple[str, list], config: Path, secret_key: str) -> None:
    proxy_url, seen = proxy
    result = run_cli(
        ["plan", config, "--base-url", "http://api.example.com", "--insecure"],
        env=proxy_env(proxy_url, secret_key),
    )
    assert result.code == 1 and "recorder says no" in result.err  # it did talk to the host
    assert seen and seen[0][0].startswith("GET http://api.example.com/v1/")
    assert seen[0][1]  # with the key, as the user asked


def test_loopback_http_needs_no_flag(config: Path, secret_key: str) -> None:
    with running_sandbox(start_sandbox(api_key=secret_key)) as sb:
        url = sb.base_url.replace("127.0.0.1", "localhost")
        result = run_cli(["plan", config, "--base-url", url, "--api-key", secret_key])
    assert result.code == 0, result.text


def test_tls_verification_is_on_by_default() -> None:
    settings = ClientSettings.from_env(api_key="k", base_url="https://api.vitablehealth.com")
    assert settings.verify_tls is True
    client = VitableClient(settings)
    try:
        assert client._http.base_url.scheme == "https"
        pool = client._http._transport._pool  # type: ignore[attr-defined]
        context: ssl.SSLContext = pool._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname is True
    finally:
        import asyncio

        asyncio.run(client.aclose())


def test_https_base_url_is_not_downgraded(config: Path, secret_key: str) -> None:
    with running_sandbox(start_sandbox(api_key=secret_key)) as sb:
        url = sb.base_url.replace("http://", "https://")
        result = run_cli(["plan", config, "--base-url", url, "--api-key", secret_key])
        assert result.code == 1
        assert sb.request_log == []  # no request over plain http instead
    assert "Traceback" not in result.text


@contextmanager
def tls_listener(context: ssl.SSLContext) -> Iterator[tuple[int, list[bytes]]]:
    """A TLS server that records any bytes a client sends after the handshake.

    Every socket has a timeout, so a client that stalls mid-handshake cannot hang it.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    received: list[bytes] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(2)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    data = tls.recv(4096)
                    if data:
                        received.append(data)
            except OSError:  # includes ssl.SSLError: the client refused our certificate
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], received
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_self_signed_certificate_is_refused(tmp_path: Path, config: Path, secret_key: str) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with tls_listener(context) as (port, received):
        url = f"https://127.0.0.1:{port}"
        result = run_cli(["plan", config, "--base-url", url, "--api-key", secret_key])
    assert result.code == 1
    assert "certificate" in result.err.lower() or "ssl" in result.err.lower(), result.err
    assert received == []  # no request (and no key) went over the unverified connection
