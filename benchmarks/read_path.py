"""The CPU of the read path's tail: what ``plan --format json`` does after the last page.

An estate in sync: ``--employers`` employers x 2 products (default 2,000 live plan
years) with 8 contribution classes each (and ``--carrier-plans`` carrier plans),
written as the sandbox writes them (dates and timestamps as JSON strings). No
network: the list items are the decoded JSON of the pages. Phases, each timed with
``time.process_time()`` (CPU of this process, not wall time), best of ``--runs``,
with the cyclic collector's threshold the CLI runs with:

* ``validate``: the client's validation of every list item into a ``PlanYear``
  (``VitableClient._validate_items`` and the filter check, as ``_list`` does);
* ``plan``: ``LiveState.from_objects`` + ``build_plan`` (normalise, compare);
* ``fingerprints``: the fingerprint of every live plan year (``plan.fingerprints``);
* ``render``: ``render_json`` of the plan (fingerprints already computed).

To compare two versions, run it against each in alternation, e.g. an exported
older commit first on ``PYTHONPATH``::

    git archive OLD | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old .venv/bin/python benchmarks/read_path.py
    .venv/bin/python benchmarks/read_path.py
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from pydantic import SecretStr

import vitable_config
from vitable_config.api import ClientSettings, VitableClient
from vitable_config.api.models import BenefitProduct, PlanYear
from vitable_config.cli.main import GC_THRESHOLD
from vitable_config.desired import DesiredClass, DesiredPlanYear, DesiredState
from vitable_config.engine.live import LiveState
from vitable_config.engine.planner import build_plan
from vitable_config.engine.render import render_json

STAMP = datetime(2026, 6, 1, tzinfo=UTC)
EMPLOYMENTS = ("full_time", "part_time")
TIERS = ("EE", "ES", "EC", "EF")
PRODUCTS = (("bprd_mec", "MEC", "Medical"), ("bprd_dental", "VD", "Dental"))


def _amounts(e: int, t: int) -> tuple[int, int]:
    return 1000 * (t + 1), 3000 * (t + 1) + e


def wire_pages(n_employers: int, carrier_plans: int) -> dict[str, list[dict[str, Any]]]:
    """The decoded list items of each product, as the sandbox writes them."""
    pages: dict[str, list[dict[str, Any]]] = {pid: [] for pid, _c, _k in PRODUCTS}
    for i in range(n_employers):
        for p, (pid, _code, _cat) in enumerate(PRODUCTS):
            n = 2 * i + p
            pages[pid].append(
                {
                    "id": f"plyr_{n:06d}",
                    "benefit_product_id": pid,
                    "employer_id": f"empr_{i:06d}",
                    "coverage_start": "2027-01-01",
                    "coverage_end": "2027-12-31",
                    "open_enrollment_start_date": "2026-12-01",
                    "open_enrollment_end_date": "2026-12-15",
                    "status": "draft",
                    "created_at": "2026-06-01T00:00:00.123456+00:00",
                    "updated_at": "2026-06-01T00:00:00.123456+00:00",
                    "contribution_classes": [
                        {
                            "id": f"ccls_{n}_{e}_{t}",
                            "employment": emp,
                            "family_status": tier,
                            "employee_contribution_cents": _amounts(e, t)[0],
                            "employer_contribution_cents": _amounts(e, t)[1],
                        }
                        for e, emp in enumerate(EMPLOYMENTS)
                        for t, tier in enumerate(TIERS)
                    ],
                    "plans": [
                        {
                            "id": f"plan_{n}_{k}",
                            "carrier_plan_id": f"cplan_{pid}_{k}",
                            "monthly_premium_cents": 5000 + k,
                            "name": f"Plan {k}",
                            "tier": None,
                        }
                        for k in range(carrier_plans)
                    ],
                }
            )
    # As decoded from the response body (fresh objects, no shared strings).
    decoded: dict[str, list[dict[str, Any]]] = json.loads(json.dumps(pages))
    return decoded


def desired_state(n_employers: int) -> DesiredState:
    classes = {
        (emp, tier): DesiredClass(emp, tier, *_amounts(e, t))
        for e, emp in enumerate(EMPLOYMENTS)
        for t, tier in enumerate(TIERS)
    }
    return DesiredState(
        [
            DesiredPlanYear(
                f"empr_{i:06d}", code, date(2027, 1, 1), date(2027, 12, 31), date(2026, 12, 1),
                date(2026, 12, 15), dict(classes),
            )
            for i in range(n_employers)
            for _pid, code, _cat in PRODUCTS
        ]
    )  # fmt: skip


def products() -> list[BenefitProduct]:
    return [
        BenefitProduct(
            id=pid, active=True, category=cat, created_at=STAMP, name=code,
            product_code=code, updated_at=STAMP,
        )
        for pid, code, cat in PRODUCTS
    ]  # fmt: skip


def run_once(n_employers: int, carrier_plans: int) -> tuple[dict[str, float], str]:
    """CPU seconds of each phase, and a digest of everything produced."""
    pages = wire_pages(n_employers, carrier_plans)
    desired = desired_state(n_employers)
    client = VitableClient(
        ClientSettings(api_key=SecretStr("vc_test_read_path"), base_url="https://bench.invalid")
    )
    times: dict[str, float] = {}

    def timed(name: str, call: Callable[[], Any]) -> Any:
        gc.collect()
        start = time.process_time()
        result = call()
        times[name] = time.process_time() - start
        return result

    def validate() -> list[PlanYear]:
        out: list[PlanYear] = []
        for pid, items in pages.items():
            path = f"/v1/benefit-products/{pid}/plan-years"
            valid = client._validate_items(PlanYear, items, path)
            out.extend(client._check_filter(valid, {"benefit_product_id": pid}, path))
        return out

    live_items: list[PlanYear] = timed("validate", validate)

    def plan() -> Any:
        live = LiveState.from_objects(desired, products(), live_items, strategy="per-product")
        return build_plan(
            desired, live, today=date(2026, 11, 21), base_url="http://bench", created_at=STAMP
        )

    the_plan = timed("plan", plan)
    fingerprints = timed("fingerprints", lambda: dict(the_plan.fingerprints))
    rendered: str = timed("render", lambda: render_json(the_plan))
    assert not the_plan.has_changes and len(fingerprints) == 2 * n_employers
    digest = hashlib.sha256(rendered.encode()).hexdigest()
    return times, digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employers", type=int, default=1000)
    parser.add_argument("--carrier-plans", type=int, default=0)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    gc.set_threshold(GC_THRESHOLD)  # as the CLI runs a command
    best: dict[str, float] = {}
    digests: set[str] = set()
    for _ in range(args.runs):
        times, digest = run_once(args.employers, args.carrier_plans)
        digests.add(digest)
        for name, seconds in times.items():
            best[name] = min(best.get(name, seconds), seconds)
    assert len(digests) == 1, digests
    total = sum(best.values())
    shown = ", ".join(f"{name} {seconds * 1000:.1f}" for name, seconds in best.items())
    print(
        f"{vitable_config.__file__}: {2 * args.employers} plan years, CPU ms best of "
        f"{args.runs}: {shown}; sum {total * 1000:.1f}; json sha256 {digests.pop()[:16]}"
    )


if __name__ == "__main__":
    main()
