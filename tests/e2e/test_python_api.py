"""The documented Python API (vitable_config.engine.run) against the sandbox over HTTP."""

from __future__ import annotations

from datetime import date

import httpx

from tests.e2e.e2e_support import PY, live_plan_years
from vitable_config.api.client import VitableClient
from vitable_config.api.settings import ClientSettings
from vitable_config.engine.run import Scope, apply_plan, plan_config


def client_for(sandbox) -> VitableClient:
    return VitableClient(
        ClientSettings.from_env(api_key=sandbox.api_key, base_url=sandbox.base_url)
    )


async def test_plan_and_apply_from_python(sandbox, write_config) -> None:
    cfg = write_config([PY("empr_acme"), PY("empr_r001")])
    async with client_for(sandbox) as client:
        plan = await plan_config([cfg], client, scope=Scope(employers=["empr_acme"]))
        assert plan.summary["create"] == 1 and plan.scope == {"employers": ["empr_acme"]}
        result = await apply_plan(plan, client)
    assert result.ok and result.summary_line().startswith("Apply: 1 created")
    assert [r.live_id for r in result.results] == [
        p["id"] for p in live_plan_years(sandbox) if p["employer_id"] == "empr_acme"
    ]


async def test_update_that_locked_meanwhile_fails_with_since(sandbox, write_config) -> None:
    async with client_for(sandbox) as client:
        await apply_plan(await plan_config([write_config([PY("empr_acme")])], client), client)
        plan = await plan_config([write_config([PY("empr_acme", er=45000)])], client)
        assert plan.summary["update"] == 1
        sandbox.set_today(date(2026, 12, 3))  # open enrollment began between plan and apply
        # By default the re-read before writing sees the status change: stale, not sent.
        n = sandbox.write_count()
        guarded = await apply_plan(plan, client)
        assert guarded.results == [] and len(guarded.stale) == 1 and not guarded.ok
        assert sandbox.write_count() == n
        # Without it (the race after that re-read), the PUT's 409 is reported as locked.
        result = await apply_plan(plan, client, reread=False)
    [failed] = result.results
    assert failed.status == "failed"
    assert "locked (status open_enrollment since 2026-12-01)" in (failed.message or "")
    assert result.summary_line() == "Apply: 0 created, 0 updated, 1 failed, 0 skipped"
    [live] = [p for p in live_plan_years(sandbox) if p["employer_id"] == "empr_acme"]
    assert all(c["employer_contribution_cents"] != 45000 for c in live["contribution_classes"])


def post_plan_year(sandbox, request: dict) -> None:
    r = httpx.post(
        f"{sandbox.base_url}/v1/benefit-products/bprd_mec/plan-years",
        json=request,
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
    )
    r.raise_for_status()


async def test_conflict_on_create_is_success_only_with_same_content(sandbox, write_config) -> None:
    async with client_for(sandbox) as client:
        plan = await plan_config([write_config([PY("empr_acme"), PY("empr_r001")])], client)
        requests = {c.key.employer_id: dict(c.request or {}) for c in plan.actionable()}
        # Someone else creates both plan years between plan and apply: one with exactly
        # the desired content, one with a different employer share.
        post_plan_year(sandbox, requests["empr_acme"])
        other = requests["empr_r001"]
        other["contribution_classes"] = [
            {**c, "employer_contribution_cents": 1} for c in other["contribution_classes"]
        ]
        post_plan_year(sandbox, other)
        # By default the re-read before writing finds both: stale, nothing sent.
        n = sandbox.write_count()
        guarded = await apply_plan(plan, client)
        assert guarded.results == [] and len(guarded.stale) == 2
        assert sandbox.write_count() == n
        # Without it (someone creates them after that re-read), each 409 is resolved.
        result = await apply_plan(plan, client, reread=False)
    by_employer = {r.change.key.employer_id: r for r in result.results}
    assert (by_employer["empr_acme"].status, by_employer["empr_acme"].recovered) == (
        "created",
        True,
    )
    assert by_employer["empr_r001"].status == "failed"
    assert "409" in (by_employer["empr_r001"].message or "")
    counts = {e: 0 for e in by_employer}
    for p in live_plan_years(sandbox):
        if p["employer_id"] in counts and p["benefit_product_id"] == "bprd_mec":
            counts[p["employer_id"]] += 1
    assert counts == {"empr_acme": 1, "empr_r001": 1}
