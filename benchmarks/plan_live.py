"""Live-read benchmark for `plan` (issue 6 rows 1-2), sandbox in a separate process.

Seeds a sandbox with 1,000 employers x 2 products (2,000 plan years), injects
50 ms latency per request, and measures reading live state and building the
plan (``read_live_state`` + ``build_plan``) with the real client:

* all 2,000 plan years configured and in sync (target <= 2 s, <= 60 requests);
* 10 configured employers out of 1,000 live (target <= 0.5 s).

    .venv/bin/python benchmarks/plan_live.py [--employers 1000] [--latency-ms 50] [--runs 5]

Prints medians and writes ``benchmarks/results/plan_live.json``. The naive
reconciler comparison belongs to the issue-6 harness; this script measures only
vitable-config's read path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from pydantic import SecretStr
from sandbox_process import start_sandbox

from vitable_config.api import ClientSettings, VitableClient
from vitable_config.desired import DesiredClass, DesiredPlanYear, DesiredState
from vitable_config.engine.live import read_live_state
from vitable_config.engine.planner import build_plan

API_KEY = "vc_test_bench_plan_live"
PRODUCTS = (("bprd_mec", "MEC", "Medical"), ("bprd_dental", "VD", "Dental"))
CLASSES = [("full_time", "EE", 4500, 38000), ("full_time", "EF", 18000, 90000)]


def write_seed(path: Path, n_employers: int) -> None:
    employers = [
        {"id": f"empr_b{i:05d}", "name": f"Bench {i}", "legal_name": f"Bench {i} LLC"}
        for i in range(n_employers)
    ]
    products = [
        {"id": pid, "name": code, "product_code": code, "category": cat, "carrier_plans": []}
        for pid, code, cat in PRODUCTS
    ]
    plan_years = [
        {
            "benefit_product_id": pid,
            "employer_id": e["id"],
            "coverage_start": "2027-01-01",
            "coverage_end": "2027-12-31",
            "open_enrollment_start": "2026-12-01",
            "open_enrollment_end": "2026-12-15",
            "contribution_classes": [
                {
                    "employment": emp,
                    "family_status": tier,
                    "employee_contribution_cents": ee,
                    "employer_contribution_cents": er,
                }
                for emp, tier, ee, er in CLASSES
            ],
        }
        for e in employers
        for pid, _code, _cat in PRODUCTS
    ]
    doc = {"benefit_products": products, "employers": employers, "plan_years": plan_years}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def desired_for(employer_ids: list[str]) -> DesiredState:
    classes = {(emp, tier): DesiredClass(emp, tier, ee, er) for emp, tier, ee, er in CLASSES}
    return DesiredState(
        [
            DesiredPlanYear(
                eid, code, date(2027, 1, 1), date(2027, 12, 31), date(2026, 12, 1),
                date(2026, 12, 15), dict(classes),
            )
            for eid in employer_ids
            for _pid, code, _cat in PRODUCTS
        ]
    )  # fmt: skip


def start_plan_sandbox(seed: Path, latency_ms: int) -> tuple[subprocess.Popen[str], str]:
    proc, url, _ = start_sandbox(
        "--seed", str(seed), "--latency-ms", str(latency_ms), "--today", "2026-11-21",
        api_key=API_KEY, timeout=60,
    )  # fmt: skip
    return proc, url


async def plan_once(base_url: str, desired: DesiredState) -> dict[str, float]:
    settings = ClientSettings(api_key=SecretStr(API_KEY), base_url=base_url)
    start = time.perf_counter()
    async with VitableClient(settings, max_concurrency=16) as client:
        live = await read_live_state(client, desired)
        plan = build_plan(desired, live, today=date(2026, 11, 21), base_url=base_url)
        requests = client.stats.requests
    wall = time.perf_counter() - start
    assert not plan.has_changes and not plan.has_blocked, plan.summary
    return {"wall_s": wall, "requests": requests, "strategy": live.strategy}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employers", type=int, default=1000)
    parser.add_argument("--few", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "plan_live.json"
    )
    args = parser.parse_args()
    all_ids = [f"empr_b{i:05d}" for i in range(args.employers)]
    scenarios = {
        f"plan, {args.employers} employers x 2 products in sync": desired_for(all_ids),
        f"plan, {args.few} configured employers of {args.employers}": desired_for(
            all_ids[: args.few]
        ),
    }
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.yaml"
        write_seed(seed, args.employers)
        proc, base_url = start_plan_sandbox(seed, args.latency_ms)
        try:
            results = []
            for name, desired in scenarios.items():
                runs = [asyncio.run(plan_once(base_url, desired)) for _ in range(args.runs)]
                row = {
                    "scenario": name,
                    "median_wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
                    "min_wall_s": round(min(r["wall_s"] for r in runs), 3),
                    "requests": runs[0]["requests"],
                    "strategy": runs[0]["strategy"],
                }
                results.append(row)
                print(
                    f"{name}: median {row['median_wall_s']:.3f} s (min {row['min_wall_s']:.3f} s, "
                    f"{args.runs} runs), {row['requests']} requests, {row['strategy']} reads"
                )
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    out = {
        "latency_ms": args.latency_ms,
        "results": results,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
