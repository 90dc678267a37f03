"""How many sequential rounds of requests a plan's reads take (issue 15).

The real CLI plans against the sandbox over loopback HTTP, through a recording
proxy that notes when each request arrived and when its response was passed back.
A request that starts only after another one ended may depend on it; the number of
rounds is the longest such chain. Structure only (no timing is asserted): with a
latency the rounds are far apart, so the count does not depend on the machine.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml  # type: ignore[import-untyped]

from tests.conftest import MakeSandbox
from tests.e2e.e2e_support import PY, config_yaml, run_cli

LATENCY_MS = 150


@dataclass(frozen=True)
class Seen:
    method: str
    target: str
    start: float
    end: float


async def _read_message(reader: asyncio.StreamReader) -> bytes:
    """One HTTP/1.1 message (head and body) as raw bytes; b"" at end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return b""
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            body += size_line + chunk
            if size == 0:
                return head + body
    length = int(headers.get(b"content-length", b"0") or 0)
    return head + (await reader.readexactly(length) if length else b"")


class RecordingProxy:
    """A loopback HTTP/1.1 proxy in a thread: one upstream connection per client
    connection, every exchange recorded with its start and end time."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.seen: list[Seen] = []
        self.port = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        try:
            await self._relay(reader, writer, up_reader, up_writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client or the server went away (or the proxy stops)
        finally:
            up_writer.close()
            writer.close()
            self._tasks.discard(task)

    async def _relay(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        while request := await _read_message(reader):
            start = time.perf_counter()
            up_writer.write(request)
            await up_writer.drain()
            response = await _read_message(up_reader)
            if not response:
                return
            writer.write(response)
            await writer.drain()
            method, target = request.split(b" ", 2)[:2]
            self.seen.append(Seen(method.decode(), target.decode(), start, time.perf_counter()))

    @contextmanager
    def running(self) -> Iterator[RecordingProxy]:
        loop = asyncio.new_event_loop()
        ready: Future[asyncio.Server] = Future()

        async def serve() -> None:
            server = await asyncio.start_server(self._client, "127.0.0.1", 0)
            ready.set_result(server)

        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        asyncio.run_coroutine_threadsafe(serve(), loop)
        server = ready.result(timeout=10)
        self.port = server.sockets[0].getsockname()[1]

        async def stop() -> None:
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()

    def api_requests(self) -> list[Seen]:
        return sorted((s for s in self.seen if s.target.startswith("/v1/")), key=lambda s: s.start)

    def rounds(self) -> int:
        """The longest chain of requests each started after the previous one ended."""
        depth: dict[int, int] = {}
        seen = self.api_requests()
        for i, request in enumerate(seen):
            before = [depth[j] for j in range(i) if seen[j].end <= request.start]
            depth[i] = 1 + max(before, default=0)
        return max(depth.values(), default=0)


def _seed(path: Path, employers: list[str]) -> Path:
    doc = {
        "benefit_products": [
            {
                "id": "bprd_mec",
                "name": "Vitable MEC",
                "product_code": "MEC",
                "category": "Medical",
                "carrier_plans": [
                    {"id": "cplan_mec", "name": "MEC Core", "monthly_premium_cents": 8900}
                ],
            }
        ],
        "employers": [
            {"id": e, "name": f"Employer {e[-4:]}", "legal_name": f"{e} LLC"} for e in employers
        ],
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _plan(make_sandbox: MakeSandbox, tmp_path: Path, employers: int) -> RecordingProxy:
    ids = [f"empr_r{i:04d}" for i in range(employers)]
    sb = make_sandbox(seed_file=_seed(tmp_path / "seed.yaml", ids), latency_ms=LATENCY_MS)
    config = tmp_path / "config.yaml"
    config.write_text(config_yaml(PY(e) for e in ids), encoding="utf-8")
    proxy = RecordingProxy(sb.port)
    with proxy.running():
        args = ["plan", str(config), "--format", "json", "--api-key", sb.api_key]
        result = run_cli([*args, "--base-url", f"http://127.0.0.1:{proxy.port}"])
    assert result.code == 0, result.err
    assert result.json["summary"]["create"] == employers
    return proxy


def test_a_plan_of_1000_employers_reads_in_two_rounds(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    """Products and the employer list (exactly 1,000: pages 1..11, the 11th empty)
    in the first round; the plan-year list in the second. Before: the dialect's first
    request alone, employers page 1, pages 2..11, plan years page 1, ... (4 rounds)."""
    proxy = _plan(make_sandbox, tmp_path, 1000)
    seen = proxy.api_requests()
    employer_pages = [s for s in seen if s.target.startswith("/v1/employers?")]
    assert len(employer_pages) == 11, [s.target for s in employer_pages]
    first_end = min(s.end for s in seen)
    assert all(s.start < first_end for s in employer_pages), "employer list not in one round"
    assert proxy.rounds() == 2, [(s.target, s.start, s.end) for s in seen]


def test_a_plan_of_few_employers_reads_in_two_rounds(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    """Few employers: products and one GET per employer together, then one filtered
    plan-year list per pair, started when the products are known (before: products
    alone, then the employers, then the plan years: 3 rounds)."""
    proxy = _plan(make_sandbox, tmp_path, 5)
    seen = proxy.api_requests()
    assert sum(1 for s in seen if s.target.startswith("/v1/employers/")) == 5
    assert sum(1 for s in seen if "/plan-years?" in s.target) == 5
    assert proxy.rounds() == 2, [(s.target, s.start, s.end) for s in seen]


def test_apply_into_an_empty_estate_rereads_one_page_before_writing(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    """150 creates: the plan expects 150 plan years (pages 1..2 at once); the re-read
    before the first write expects what the plan saw live (none: page 1 only); the
    verification after the last write expects the 150 (pages 1..2)."""
    ids = [f"empr_r{i:04d}" for i in range(150)]
    sb = make_sandbox(seed_file=_seed(tmp_path / "seed.yaml", ids))
    config = tmp_path / "config.yaml"
    config.write_text(config_yaml(PY(e) for e in ids), encoding="utf-8")
    args = ["apply", str(config), "--auto-approve", "--api-key", sb.api_key]
    result = run_cli([*args, "--base-url", sb.base_url])
    assert result.code == 0, result.err
    log = [(r.method, r.path) for r in sb.request_log if r.path.startswith("/v1/")]
    posts = [i for i, (method, _) in enumerate(log) if method == "POST"]
    assert len(posts) == 150
    lists = [i for i, (method, path) in enumerate(log) if path.endswith("/plan-years")]
    lists = [i for i in lists if log[i][0] == "GET"]
    before = [i for i in lists if i < posts[0]]
    after = [i for i in lists if i > posts[-1]]
    assert len(before) == 2 + 1, log[: posts[0]]  # the plan's 2 pages, the re-read's 1
    assert len(after) == 2, log[posts[-1] :]
