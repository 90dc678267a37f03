"""Engine-only benchmark (issue 6): plan 10,000 plan years x 8 classes in memory.

No network: desired and live objects are built in memory (live as API-shaped
pydantic PlanYears), then the engine builds the plan and renders it in every
format. Prints wall time per phase and peak RSS, and writes JSON next to it.

    .venv/bin/python benchmarks/engine_only.py [--plan-years 10000] [--changed 0.1] [--runs 3]

Target (issue 6): <= 3 s wall, peak RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from vitable_config.api.models import BenefitProduct, ContributionClass, PlanYear
from vitable_config.desired import DesiredClass, DesiredPlanYear, DesiredState, Source
from vitable_config.engine.live import LiveState
from vitable_config.engine.planner import build_plan
from vitable_config.engine.render import render_json, render_markdown, render_text
from vitable_config.errors import SourceLocation

STAMP = datetime(2026, 6, 1, tzinfo=UTC)
EMPLOYMENTS = ("full_time", "part_time")
TIERS = ("EE", "ES", "EC", "EF")
PRODUCTS = ("MEC", "VD")


def _products() -> list[BenefitProduct]:
    return [
        BenefitProduct(
            id=f"bprd_{code.lower()}",
            active=True,
            category="Medical",
            created_at=STAMP,
            name=code,
            product_code=code,
            updated_at=STAMP,
        )
        for code in PRODUCTS
    ]


def build_inputs(n: int, changed: float, created: float) -> tuple[DesiredState, list[PlanYear]]:
    """n desired plan years (n/2 employers x 2 products), 8 classes each; a share
    ``changed`` differs in one cents value, a share ``created`` has no live match."""
    template = Source("template", "standard-2027", SourceLocation("templates.yaml", 12, 5))
    desired: list[DesiredPlanYear] = []
    live: list[PlanYear] = []
    change_every = round(1 / changed) if changed else 0
    create_every = round(1 / created) if created else 0
    for i in range(n):
        eid, code = f"empr_{i // 2:06d}", PRODUCTS[i % 2]
        classes = {
            (emp, tier): DesiredClass(emp, tier, 1000 * (t + 1), 3000 * (t + 1) + e)
            for e, emp in enumerate(EMPLOYMENTS)
            for t, tier in enumerate(TIERS)
        }
        provenance = {
            ("contribution_classes", emp, tier, leaf): template
            for emp, tier in classes
            for leaf in ("employee_contribution_cents", "employer_contribution_cents")
        }
        desired.append(
            DesiredPlanYear(
                eid, code, date(2027, 1, 1), date(2027, 12, 31), date(2026, 12, 1),
                date(2026, 12, 15), classes, provenance=provenance, template="standard-2027",
                location=SourceLocation("rollout.yaml", 10 + i, 3),
            )
        )  # fmt: skip
        if create_every and i % create_every == 1:
            continue
        bump = 500 if change_every and i % change_every == 0 else 0
        live.append(
            PlanYear(
                id=f"plyr_{i:06d}",
                benefit_product_id=f"bprd_{code.lower()}",
                employer_id=eid,
                coverage_start=date(2027, 1, 1),
                coverage_end=date(2027, 12, 31),
                open_enrollment_start_date=date(2026, 12, 1),
                open_enrollment_end_date=date(2026, 12, 15),
                status="draft",
                created_at=STAMP,
                updated_at=STAMP,
                contribution_classes=[
                    ContributionClass(
                        id=f"ccls_{i}_{k}",
                        employment=c.employment,
                        family_status=c.family_status,
                        employee_contribution_cents=c.employee_contribution_cents,
                        employer_contribution_cents=c.employer_contribution_cents
                        + (bump if k == 0 else 0),
                    )
                    for k, c in enumerate(classes.values())
                ],
            )
        )
    return DesiredState(desired), live


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_once(n: int, changed: float, created: float) -> dict[str, float]:
    t0 = time.perf_counter()
    desired, live_items = build_inputs(n, changed, created)
    t1 = time.perf_counter()
    cpu1 = time.process_time()
    live = LiveState.from_objects(desired, _products(), live_items)
    plan = build_plan(desired, live, today=date(2026, 10, 1), base_url="http://bench")
    t2 = time.perf_counter()
    sizes = {
        "text": len(render_text(plan)),
        "json": len(render_json(plan)),
        "markdown": len(render_markdown(plan)),
    }
    t3 = time.perf_counter()
    cpu3 = time.process_time()
    return {
        "engine_cpu_s": cpu3 - cpu1,
        "build_inputs_s": t1 - t0,
        "plan_s": t2 - t1,
        "render_s": t3 - t2,
        "engine_s": t3 - t1,
        "summary": plan.summary,  # type: ignore[dict-item]
        "output_chars": sizes,  # type: ignore[dict-item]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan-years", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.1, help="share of plan years updated")
    parser.add_argument("--created", type=float, default=0.05, help="share of plan years created")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "engine_only.json"
    )
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        runs.append(run_once(args.plan_years, args.changed, args.created))
        gc.collect()  # each run's objects are garbage before the next one starts
    med = {
        k: statistics.median(r[k] for r in runs)
        for k in ("build_inputs_s", "plan_s", "render_s", "engine_s", "engine_cpu_s")
    }
    result = {
        "scenario": f"engine only: {args.plan_years:,} plan years x 8 classes",
        "changed_share": args.changed,
        "created_share": args.created,
        "runs": args.runs,
        "median": med,
        "plan_summary": runs[0]["summary"],
        "output_chars": runs[0]["output_chars"],
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "python": platform.python_version(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(result["scenario"], f"({args.changed:.0%} updated, {args.created:.0%} created)")
    print(f"  build in-memory inputs : {med['build_inputs_s']:.3f} s (median of {args.runs})")
    print(f"  read+diff+plan         : {med['plan_s']:.3f} s")
    print(f"  render text+json+md    : {med['render_s']:.3f} s")
    print(f"  engine wall (plan+render): {med['engine_s']:.3f} s   target <= 3 s")
    print(
        f"  engine CPU time        : {med['engine_cpu_s']:.3f} s (excludes waiting for a busy CPU)"
    )
    print(f"  peak RSS               : {result['peak_rss_mb']} MB   target <= 300 MB")
    print(f"  plan                   : {result['plan_summary']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"  written to {args.out}")


if __name__ == "__main__":
    main()
