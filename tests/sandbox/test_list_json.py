"""The plan-year list page that SQLite encodes is byte for byte what the sandbox sent
before: ``JSONResponse`` of the dicts the repository assembles (every status, both
filters, pages, odd carrier-plan names and a null deductible), and over HTTP."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import yaml

from vitable_config.api.models import PLAN_YEAR_STATUSES, PlanYearCreate
from vitable_config.sandbox import SandboxRuntime, SandboxSettings, running_sandbox

from .helpers import client, plan_year_body

ODD_NAMES = ['Core "Plus" \\ 100%', "Zahnärztlich — Ω 🦷", "tab\there, new\nline, \x01 and \x7f"]


def _seed(tmp_path: Path) -> Path:
    seed = {
        "benefit_products": [
            {
                "id": "bprd_odd", "name": "Odd", "product_code": "MEC", "category": "Medical",
                "carrier_plans": [
                    {"id": f"cplan_{i}", "name": name, "monthly_premium_cents": 8900 + i,
                     "tier": "Bronze", **({"deductible_cents": 150000} if i == 1 else {})}
                    for i, name in enumerate(ODD_NAMES)
                ],
            }
        ],
        "employers": [
            {"id": f"empr_{i:03d}", "name": f"Employer {i}", "legal_name": f"Employer {i} LLC"}
            for i in range(30)
        ],
    }  # fmt: skip
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(seed, allow_unicode=True), encoding="utf-8")
    return path


def _fill(runtime: SandboxRuntime) -> None:
    """30 employers, plan years of 2025..2028 (every status on the clock below)."""
    for i in range(30):
        year = 2025 + i % 4
        body = plan_year_body(
            employer_id=f"empr_{i:03d}",
            coverage_start=f"{year}-01-01", coverage_end=f"{year}-12-31",
            open_enrollment_start=f"{year - 1}-11-01", open_enrollment_end=f"{year - 1}-11-30",
        )  # fmt: skip
        runtime.plan_years.create(
            "bprd_odd", PlanYearCreate.model_validate(body), date(2024, 1, 1), allow_overlap=False
        )


def _as_json_response(items: object) -> str:
    # exactly starlette's JSONResponse.render
    return json.dumps(
        items, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    )


def test_the_json_page_is_the_dict_page_byte_for_byte(tmp_path: Path) -> None:
    runtime = SandboxRuntime(SandboxSettings(seed_file=_seed(tmp_path), state_path=None))
    _fill(runtime)
    repo = runtime.plan_years
    seen_statuses: set[str] = set()
    cases = 0
    for today in (date(2024, 11, 15), date(2025, 6, 1), date(2027, 11, 15)):
        for employer_id in (None, "empr_004", "empr_nobody"):
            for status in (None, *PLAN_YEAR_STATUSES):
                for page, limit in ((1, 100), (1, 7), (3, 7), (9, 7)):
                    kwargs = dict(employer_id=employer_id, status=status, page=page, limit=limit)
                    dicts = repo.list_for_product("bprd_odd", today, **kwargs)  # type: ignore[arg-type]
                    text = repo.list_for_product_json("bprd_odd", today, **kwargs)  # type: ignore[arg-type]
                    assert text == _as_json_response(dicts), (today, kwargs)
                    seen_statuses.update(d["status"] for d in dicts)
                    cases += 1
    assert seen_statuses == set(PLAN_YEAR_STATUSES)  # the data reached every status
    assert cases == 3 * 3 * (1 + len(PLAN_YEAR_STATUSES)) * 4


def test_the_list_endpoint_sends_the_json_page(tmp_path: Path) -> None:
    settings = SandboxSettings(seed_file=_seed(tmp_path), state_path=tmp_path / "s.db")
    with running_sandbox(settings) as sb:
        _fill(sb.runtime)
        with client(sb) as c:
            r = c.get("/v1/benefit-products/bprd_odd/plan-years", params={"limit": 100})
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        assert int(r.headers["content-length"]) == len(r.content)
        expected = sb.runtime.plan_years.list_for_product(
            "bprd_odd", sb.runtime.today, employer_id=None, status=None, page=1, limit=100
        )
        assert r.content == _as_json_response(expected).encode("utf-8")
        names = {p["name"] for item in r.json() for p in item["plans"]}
        assert names == set(ODD_NAMES)
