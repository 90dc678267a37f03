"""A small lying API server on loopback, and the real CLI run against it as a subprocess.

:class:`HostileServer` (stdlib ``ThreadingHTTPServer`` on 127.0.0.1, one per test)
answers the reads ``vitable-config plan examples/quickstart`` makes — the product
list, ``GET /v1/employers/empr_acme`` and the per-employer plan-year lists — with
honest data, except where a test hands it a ``routes`` override that lies. It
counts every write (POST/PUT/PATCH/DELETE) and answers them 500, so a test can
assert that nothing was written.

:func:`run_cli` starts ``python -m vitable_config ...`` and measures the wall time
and the child's peak RSS (``ru_maxrss`` from ``os.wait4``: the kernel's high-water
mark, no polling), killing it at a hard deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "examples" / "quickstart"
# The quick start's own dates (they move so the example never goes stale).
_DEFAULTS = yaml.safe_load((QUICKSTART / "vitable.yaml").read_text(encoding="utf-8"))["defaults"]
COVERAGE_START = str(_DEFAULTS["coverage"]["start"])
COVERAGE_END = str(_DEFAULTS["coverage"]["end"])
OE_START = str(_DEFAULTS["open_enrollment"]["start"])
OE_END = str(_DEFAULTS["open_enrollment"]["end"])
EMPLOYER = "empr_acme"
PRODUCTS = {"MEC": "bprd_mec", "VD": "bprd_dental"}
STAMP = "2026-01-01T00:00:00Z"


def product(code: str) -> dict[str, Any]:
    return {
        "id": PRODUCTS[code],
        "active": True,
        "category": "Medical" if code == "MEC" else "Dental",
        "created_at": STAMP,
        "name": f"{code} product",
        "product_code": code,
        "updated_at": STAMP,
    }


def employer(name: str = "Acme Widgets", employer_id: str = EMPLOYER) -> dict[str, Any]:
    return {
        "id": employer_id,
        "active": True,
        "name": name,
        "legal_name": f"{name} LLC",
        "organization_id": "org_1",
        "created_at": STAMP,
        "updated_at": STAMP,
    }


def plan_year(
    plan_year_id: str,
    product_id: str = "bprd_mec",
    *,
    employer_id: str = EMPLOYER,
    start: str = COVERAGE_START,
    end: str = COVERAGE_END,
    classes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    if classes is None:
        classes = [contribution_class("full_time", "EE", 4500, 38000)]
    return {
        "id": plan_year_id,
        "benefit_product_id": product_id,
        "employer_id": employer_id,
        "coverage_start": start,
        "coverage_end": end,
        "open_enrollment_start_date": OE_START,
        "open_enrollment_end_date": OE_END,
        "status": "draft",
        "created_at": STAMP,
        "updated_at": STAMP,
        "contribution_classes": classes,
        "plans": [],
    }


def contribution_class(
    employment: str, tier: str, employee: object, employer_cents: object
) -> dict[str, Any]:
    return {
        "id": f"cc_{employment}_{tier}",
        "employment": employment,
        "family_status": tier,
        "employee_contribution_cents": employee,
        "employer_contribution_cents": employer_cents,
    }


@dataclass
class Request:
    """What a route handler sees: the method, path, query (first values) and headers."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]

    @property
    def page(self) -> int:
        return int(self.query.get("page", "1"))

    @property
    def limit(self) -> int:
        return int(self.query.get("limit", "20"))

    @property
    def key(self) -> str:
        return self.headers.get("authorization", "").removeprefix("Bearer ")


@dataclass
class Reply:
    """A JSON reply, or ``stream``: an iterator of byte chunks written as they come
    (no Content-Length unless ``headers`` sets one; the connection closes after)."""

    status: int = 200
    body: Any = None
    stream: Callable[[], Iterator[bytes]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    reason: str | None = None


Route = Callable[[Request], Reply | None]  # None: fall through to the honest answer


def honest(request: Request) -> Reply:
    """The truthful API: two products, one employer, no plan years yet."""
    path = request.path
    if path == "/v1/benefit-products":
        return Reply(body=[product("MEC"), product("VD")] if request.page == 1 else [])
    if path == f"/v1/employers/{EMPLOYER}":
        return Reply(body=employer())
    if path == "/v1/employers":
        return Reply(body=[employer()] if request.page == 1 else [])
    if path.startswith("/v1/benefit-products/") and path.endswith("/plan-years"):
        return Reply(body=[])
    return Reply(404, {"message": "Not found.", "error": "Not found.", "app_error_code": "nf"})


class HostileServer:
    """Serves ``honest`` answers unless ``route`` returns a :class:`Reply`."""

    def __init__(self, route: Route | None = None) -> None:
        self.route = route
        self.requests: list[Request] = []
        self.writes = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = Request(self.command, parts.path, query, headers)
                with outer._lock:
                    outer.requests.append(request)
                    if self.command in ("POST", "PUT", "PATCH", "DELETE"):
                        outer.writes += 1
                if self.command in ("POST", "PUT", "PATCH", "DELETE"):
                    reply = Reply(500, {"message": "writes are not expected in this test"})
                else:
                    reply = (outer.route(request) if outer.route else None) or honest(request)
                # The client may stop reading: what a size cap or a deadline does.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._write(reply)

            def _write(self, reply: Reply) -> None:
                self.send_response(reply.status, reply.reason)
                data = b""
                if reply.stream is None:
                    data = json.dumps(reply.body).encode()
                    self.send_header("Content-Length", str(len(data)))
                self.send_header("Content-Type", "application/json")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.stream is None:
                    self.wfile.write(data)
                    return
                for chunk in reply.stream():
                    if outer.stopping.is_set():
                        return
                    self.wfile.write(chunk)
                    self.wfile.flush()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@contextmanager
def hostile_server(route: Route | None = None) -> Iterator[HostileServer]:
    with HostileServer(route) as server:
        yield server


# --- the CLI as a subprocess ----------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    peak_rss_mb: float
    maxrss_bound_mb: float

    @property
    def text(self) -> str:
        return self.out + self.err


HARD_DEADLINE = 90.0


def run_cli(args: Sequence[object], env: Mapping[str, str] | None = None) -> Run:
    """``python -m vitable_config ARGS``; wall time and peak RSS of the child."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("VITABLE_")}
    full_env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    full_env.update(env or {})
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "vitable_config", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=full_env,
        cwd=REPO,
    )
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: out.append(proc.stdout.read() if proc.stdout else b"")),
        threading.Thread(target=lambda: err.append(proc.stderr.read() if proc.stderr else b"")),
    ]
    for reader in readers:
        reader.start()
    timer = threading.Timer(HARD_DEADLINE, lambda: os.kill(proc.pid, signal.SIGKILL))
    timer.start()
    hwm = [0]
    done = threading.Event()
    sampler = threading.Thread(target=_sample_hwm, args=(proc.pid, hwm, done), daemon=True)
    sampler.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        done.set()
        timer.cancel()
    seconds = time.monotonic() - started
    sampler.join(timeout=5)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join(timeout=10)
    return Run(
        code=proc.returncode,
        out=b"".join(out).decode(errors="replace"),
        err=b"".join(err).decode(errors="replace"),
        seconds=seconds,
        peak_rss_mb=round(hwm[0] / 1024, 1),
        # The kernel's own figure; on Linux it also counts the forking parent's RSS
        # (a high-water mark survives exec), so it is an upper bound.
        maxrss_bound_mb=round(usage.ru_maxrss / 1024, 1),
    )


def _sample_hwm(pid: int, hwm: list[int], done: threading.Event) -> None:
    """Keep the largest ``VmHWM`` (peak RSS of the process's own memory, KiB) seen."""
    status = Path(f"/proc/{pid}/status")
    while not done.is_set():
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    hwm[0] = max(hwm[0], int(line.split()[1]))
        except (OSError, ValueError):
            return
        done.wait(0.02)


def plan_args(server: HostileServer, key: str, *extra: object) -> list[object]:
    return ["plan", QUICKSTART, "--base-url", server.base_url, "--api-key", key, *extra]
