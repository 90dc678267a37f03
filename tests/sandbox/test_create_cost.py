"""A plan-year create costs the sandbox the same however many plan years it holds.

The cost is counted in SQLite virtual-machine steps (``set_progress_handler`` called on
every step), which depend only on the queries and the data, not on the machine: the
overlap check of a create once searched every plan year of the product, so an apply of
2,000 creates cost the sandbox more per create the further it got.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from vitable_config.api.models import PlanYearCreate
from vitable_config.sandbox import SandboxRuntime, SandboxSettings
from vitable_config.sandbox.errors import SandboxError

from .helpers import plan_year_body

EMPLOYERS = 300
TODAY = date(2026, 11, 21)


def _runtime(tmp_path: Path) -> SandboxRuntime:
    seed = {
        "benefit_products": [
            {"id": "bprd_one", "name": "One", "product_code": "MEC", "category": "Medical"}
        ],
        "employers": [
            {"id": f"empr_{i:04d}", "name": f"Employer {i}", "legal_name": f"Employer {i} LLC"}
            for i in range(EMPLOYERS)
        ],
    }
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(seed), encoding="utf-8")
    return SandboxRuntime(
        SandboxSettings(seed_file=path, state_path=tmp_path / "state.db", today=TODAY)
    )


def _create_steps(runtime: SandboxRuntime, employer: str) -> int:
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    body = PlanYearCreate.model_validate(plan_year_body(employer_id=employer))
    conn = runtime.store._conn
    conn.set_progress_handler(count, 1)
    try:
        runtime.plan_years.create("bprd_one", body, TODAY, allow_overlap=False)
    finally:
        conn.set_progress_handler(None, 1)
    return steps


def test_a_create_costs_the_same_with_many_plan_years(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    steps = [_create_steps(runtime, f"empr_{i:04d}") for i in range(EMPLOYERS)]
    early, late = steps[10], steps[-1]
    assert late <= early * 1.2, (
        f"create #{EMPLOYERS} took {late} SQLite steps against {early} for create #11"
    )


def test_the_overlap_check_still_refuses_an_overlap(tmp_path: Path) -> None:
    """The faster search finds the clash it must (and only that one)."""
    runtime = _runtime(tmp_path)
    for i in range(20):
        _create_steps(runtime, f"empr_{i:04d}")
    body = PlanYearCreate.model_validate(
        plan_year_body(employer_id="empr_0007", coverage_start="2027-06-01",
                       coverage_end="2028-05-31")
    )  # fmt: skip
    with pytest.raises(SandboxError) as refused:
        runtime.plan_years.create("bprd_one", body, TODAY, allow_overlap=False)
    assert refused.value.status == 409
    assert "empr_0007" in refused.value.message and "overlaps" in refused.value.message
    later = PlanYearCreate.model_validate(
        plan_year_body(employer_id="empr_0007", coverage_start="2028-01-01",
                       coverage_end="2028-12-31", open_enrollment_start="2027-12-01",
                       open_enrollment_end="2027-12-15")
    )  # fmt: skip
    created = runtime.plan_years.create("bprd_one", later, TODAY, allow_overlap=False)
    assert created["employer_id"] == "empr_0007"
