"""CPU of the create path: 2,000 creates (1,000 employers x 2 products, 8 classes each,
from a flat config) planned, rendered as text, checked answer by answer and verified.

    .venv/bin/python benchmarks/create_path.py [--employers 1000] [--runs 7]

The flat config is written by ``export --flat``'s own dumper and loaded by the config
loader (so classes are shared the way the loader shares them); live state is empty.
Each phase is timed with ``time.process_time()`` in-process, best of ``--runs``:

* ``plan``: ``build_plan`` (as ``engine.run._plan_state`` calls it);
* ``render_text``: the text plan;
* ``response``: ``response_mismatch`` of every create against the plan year the
  server answers with (as ``engine.apply._created``), request bodies validated
  beforehand as apply does;
* ``verify``: ``verify_after_write`` of every create (a fake client lists them).

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adopt import write_flat

from tests.engine.engine_factories import ListingClient, create_answer
from vitable_config.api.models import BenefitProduct, PlanYearCreate
from vitable_config.config.build import load_config
from vitable_config.desired import DesiredState
from vitable_config.engine.guard import response_mismatch, verify_after_write
from vitable_config.engine.live import LiveState
from vitable_config.engine.model import ActionResult, Plan
from vitable_config.engine.planner import build_plan
from vitable_config.engine.render.text import render_text

STAMP = datetime(2026, 6, 1, tzinfo=UTC)
TODAY = date(2026, 10, 1)
PRODUCTS = {"MEC": "bprd_mec", "VD": "bprd_dental"}


def products() -> list[BenefitProduct]:
    return [
        BenefitProduct(
            id=pid,
            active=True,
            category="Medical",
            created_at=STAMP,
            name=code,
            product_code=code,  # type: ignore[arg-type]
            updated_at=STAMP,
        )
        for code, pid in PRODUCTS.items()
    ]


def live_state(desired: DesiredState, n: int) -> LiveState:
    names = {f"empr_v{i:05d}": f"Employer {i}" for i in range(n)}
    return LiveState.from_objects(desired, products(), [], employer_names=names)


def plan_of(desired: DesiredState, live: LiveState) -> Plan:
    return build_plan(desired, live, today=TODAY, base_url="http://bench", created_at=STAMP)


def best(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times: list[float] = []
    out: object = None
    for _ in range(runs):
        gc.collect()
        t0 = time.process_time()
        out = fn()
        times.append(time.process_time() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "flat"
        write_flat(args.employers, directory, tuple(PRODUCTS))
        desired = load_config([directory])
    live = live_state(desired, args.employers)
    plan = plan_of(desired, live)
    creates = [c for c in plan.changes if c.action == "create"]
    got = [
        create_answer(c.request or {}, n=i, product=c.key.benefit_product, stamp=STAMP)
        for i, c in enumerate(creates)
    ]
    bodies = [PlanYearCreate.model_validate(c.request) for c in creates]
    results = [ActionResult(c, "created", g.id) for c, g in zip(creates, got, strict=True)]
    client = ListingClient(got)

    def response() -> list[str | None]:
        return [response_mismatch(c, b, g) for c, b, g in zip(creates, bodies, got, strict=True)]

    def verify() -> list[str]:
        return asyncio.run(verify_after_write(results, client))  # type: ignore[arg-type]

    phases: dict[str, float] = {}
    phases["plan"], _ = best(lambda: plan_of(desired, live), args.runs)
    phases["render_text"], text = best(lambda: render_text(plan), args.runs)
    phases["response"], mismatches = best(response, args.runs)
    phases["verify"], problems = best(verify, args.runs)
    assert not any(mismatches) and not problems, (mismatches, problems)
    print(f"{len(creates):,} creates; CPU best of {args.runs} (time.process_time):")
    for name, seconds in phases.items():
        print(f"  {name:<12} {seconds * 1000:8.1f} ms")
    print(f"  {'total':<12} {sum(phases.values()) * 1000:8.1f} ms   text {len(str(text)):,} chars")


if __name__ == "__main__":
    main()
