"""Sandbox throughput: plan-year creates and list pages of 100, over loopback HTTP.

Starts ``vitable-config sandbox serve --port 0`` in a separate process, creates
~2,000 plan years (32 employers x 4 active products x 16 coverage years, no
overlaps) with 16 requests in flight, then reads full list pages (limit=100),
and prints a table. Run from the repository root::

    .venv/bin/python benchmarks/sandbox_throughput.py            # state in memory
    .venv/bin/python benchmarks/sandbox_throughput.py --state     # SQLite file (WAL)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import httpx
from sandbox_process import start_sandbox

PRODUCTS = ("bprd_mec", "bprd_dental", "bprd_vision", "bprd_mvp")
EMPLOYERS = ("empr_acme", "empr_globex", *(f"empr_r{i:03d}" for i in range(1, 31)))
FIRST_YEAR = 2030  # after the seeded plan year, so nothing overlaps


@dataclass
class Result:
    name: str
    requests: int
    concurrency: int
    seconds: float
    latencies: list[float]
    errors: int
    server_cpu: float = float("nan")  # CPU seconds the server process used

    def row(self) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000
        p95 = lat[int(len(lat) * 0.95) - 1] * 1000
        rps = self.requests / self.seconds
        cpu_ms = self.server_cpu * 1000 / self.requests
        return (
            f"| {self.name:<32} | {self.requests:>8} | {self.concurrency:>11} | "
            f"{self.seconds:>7.2f} | {rps:>9.1f} | {p50:>7.1f} | {p95:>7.1f} | "
            f"{cpu_ms:>17.2f} | {self.errors:>6} |"
        )


def start_server(state_path: str | None) -> tuple[subprocess.Popen[str], str, str]:
    args = ["--today", "2026-11-21"]
    if state_path:
        args += ["--state", state_path]
    return start_sandbox(*args)


def create_body(employer: str, year: int) -> dict[str, Any]:
    return {
        "employer_id": employer,
        "coverage_start": f"{year}-01-01",
        "coverage_end": f"{year}-12-31",
        "open_enrollment_start": f"{year - 1}-11-01",
        "open_enrollment_end": f"{year - 1}-11-30",
        "contribution_classes": [
            {
                "employment": "full_time",
                "family_status": tier,
                "employee_contribution_cents": 1000 * i,
                "employer_contribution_cents": 5000 + i,
            }
            for i, tier in enumerate(("EE", "ES", "EC", "EF"))
        ],
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux); NaN elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


async def run_requests(
    client: httpx.AsyncClient,
    name: str,
    jobs: list[tuple[str, str, Any]],
    concurrency: int,
    server_pid: int,
) -> Result:
    queue: asyncio.Queue[tuple[str, str, Any]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while not queue.empty():
            method, path, body = queue.get_nowait()
            start = time.perf_counter()
            response = await client.request(method, path, json=body)
            latencies.append(time.perf_counter() - start)
            if response.status_code >= 400:
                errors += 1

    cpu_before = cpu_seconds(server_pid)
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(server_pid) - cpu_before
    return Result(name, len(jobs), concurrency, elapsed, latencies, errors, cpu)


async def benchmark(
    url: str, key: str, years: int, list_requests: int, concurrency: int, server_pid: int
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as c:
        creates = [
            ("POST", f"/v1/benefit-products/{product}/plan-years", create_body(employer, year))
            for year in range(FIRST_YEAR, FIRST_YEAR + years)
            for product in PRODUCTS
            for employer in EMPLOYERS
        ]
        results = [
            await run_requests(c, "create plan year (POST)", creates, concurrency, server_pid)
        ]
        per_product = len(EMPLOYERS) * years
        full_pages = max(1, per_product // 100)
        lists = [
            (
                "GET",
                f"/v1/benefit-products/{PRODUCTS[i % len(PRODUCTS)]}/plan-years"
                f"?limit=100&page={1 + (i // len(PRODUCTS)) % full_pages}",
                None,
            )
            for i in range(list_requests)
        ]
        results.append(
            await run_requests(
                c, "list plan years, limit=100 (GET)", lists, concurrency, server_pid
            )
        )
        sequential = await run_requests(
            c, "list plan years, limit=100 (GET)", lists[:100], 1, server_pid
        )
        results.append(sequential)
        sample = (await c.get(lists[0][1])).json()
        stats = (await c.get("/_sandbox/stats")).json()
    print(
        f"plan years in the sandbox: {stats['writes'] + 1} "
        f"({per_product} per product; a list page holds {len(sample)})"
    )
    print()
    print(
        "| operation                        | requests | concurrency | seconds |     req/s "
        "| p50 ms  | p95 ms  | server CPU ms/req | errors |"
    )
    print(
        "|----------------------------------|----------|-------------|---------|-----------"
        "|---------|---------|-------------------|--------|"
    )
    for result in results:
        print(result.row())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", action="store_true", help="use a SQLite file (WAL)")
    parser.add_argument(
        "--years", type=int, default=16, help="coverage years per pair (16 → 2,048)"
    )
    parser.add_argument("--list-requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state.db") if args.state else None
        proc, url, key = start_server(state)
        try:
            print(
                f"sandbox: {url} (state {'in ' + state if state else 'in memory'}), "
                f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
            )
            asyncio.run(
                benchmark(url, key, args.years, args.list_requests, args.concurrency, proc.pid)
            )
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
