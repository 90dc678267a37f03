"""Client list reading: requests and wall time to read 2,000 plan years at 50 ms latency.

Starts ``vitable-config sandbox serve --port 0 --latency-ms 50`` in a separate
process with a generated seed of 2,000 plan years (4 products x 25 employers x
20 coverage years), then reads every plan year of every product with
``VitableClient.list_plan_years`` (pages of 100) for several ``concurrent_pages``
windows, products read concurrently. Prints requests sent (from
``client.stats``) and seconds. Run from the repository root::

    .venv/bin/python benchmarks/client_list.py
    .venv/bin/python benchmarks/client_list.py --latency-ms 0 --windows 1 8
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from sandbox_process import start_sandbox

from vitable_config.api import ClientSettings, VitableClient

PRODUCTS = [
    ("bprd_bm_mec", "MEC", "Medical"),
    ("bprd_bm_vd", "VD", "Dental"),
    ("bprd_bm_vv", "VV", "Vision"),
    ("bprd_bm_mvp", "MVP", "Medical"),
]
EMPLOYERS = [f"empr_bm_{i:03d}" for i in range(25)]
YEARS = range(2030, 2050)


def seed_document() -> dict[str, Any]:
    classes = [
        {
            "employment": "full_time",
            "family_status": tier,
            "employee_contribution_cents": 1000 * n,
            "employer_contribution_cents": 20000,
        }
        for n, tier in enumerate(("EE", "ES", "EC", "EF"), start=1)
    ]
    return {
        "benefit_products": [
            {
                "id": pid,
                "name": f"Bench {code}",
                "product_code": code,
                "category": category,
                "carrier_plans": [
                    {"id": f"cplan_{pid}_{t}", "name": t, "monthly_premium_cents": 5000}
                    for t in ("a", "b")
                ],
            }
            for pid, code, category in PRODUCTS
        ],
        "employers": [{"id": e, "name": e, "legal_name": f"{e} LLC"} for e in EMPLOYERS],
        "plan_years": [
            {
                "benefit_product_id": pid,
                "employer_id": employer,
                "coverage_start": f"{year}-01-01",
                "coverage_end": f"{year}-12-31",
                "open_enrollment_start": f"{year - 1}-11-01",
                "open_enrollment_end": f"{year - 1}-11-30",
                "contribution_classes": classes,
            }
            for pid, _, _ in PRODUCTS
            for employer in EMPLOYERS
            for year in YEARS
        ],
    }


def start_server(seed: Path, latency_ms: int) -> tuple[subprocess.Popen[str], str, str]:
    return start_sandbox(
        "--today", "2026-11-21", "--seed", str(seed), "--latency-ms", str(latency_ms)
    )


async def read_all(url: str, key: str, window: int) -> tuple[int, int, float]:
    settings = ClientSettings.from_env(api_key=key, base_url=url, environ={})
    async with VitableClient(settings, max_concurrency=32) as client:
        started = time.perf_counter()
        lists = await asyncio.gather(
            *(client.list_plan_years(pid, concurrent_pages=window) for pid, _, _ in PRODUCTS)
        )
        seconds = time.perf_counter() - started
        return sum(len(items) for items in lists), client.stats.requests, seconds


async def run(url: str, key: str, windows: list[int], repeats: int) -> None:
    print(f"| concurrent_pages | plan years | requests | seconds (best of {repeats}) |")
    print("|---:|---:|---:|---:|")
    for window in windows:
        best: tuple[int, int, float] | None = None
        for _ in range(repeats):
            result = await read_all(url, key, window)
            if best is None or result[2] < best[2]:
                best = result
        assert best is not None
        count, requests, seconds = best
        print(f"| {window} | {count} | {requests} | {seconds:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--windows", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.yaml"
        seed.write_text(yaml.safe_dump(seed_document()), encoding="utf-8")
        print(f"seeding {len(PRODUCTS) * len(EMPLOYERS) * len(YEARS)} plan years ...")
        proc, url, key = start_server(seed, args.latency_ms)
        try:
            print(f"sandbox at {url}, latency {args.latency_ms} ms, pages of 100")
            asyncio.run(run(url, key, args.windows, args.repeats))
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
