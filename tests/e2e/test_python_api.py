"""The documented Python API (vitable_config.engine.run) against the sandbox over HTTP."""

from __future__ import annotations

from datetime import date

from e2e_support import PY, live_plan_years

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
        result = await apply_plan(plan, client)
    [failed] = result.results
    assert failed.status == "failed"
    assert "locked (status open_enrollment since 2026-12-01)" in (failed.message or "")
    assert result.summary_line() == "Apply: 0 created, 0 updated, 1 failed, 0 skipped"
    [live] = [p for p in live_plan_years(sandbox) if p["employer_id"] == "empr_acme"]
    assert all(c["employer_contribution_cents"] != 45000 for c in live["contribution_classes"])
