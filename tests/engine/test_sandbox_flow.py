"""The engine against the real sandbox over loopback HTTP: plan the rollout example,
send the planned requests with the real client, and plan again — no perpetual
diff through a real server's response shape; then an update in draft, and a
blocked change once the sandbox clock passes the start of open enrollment."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import jsonschema
from pydantic import SecretStr

from vitable_config.api import ClientSettings, VitableClient
from vitable_config.api.models import PlanYearCreate, PlanYearUpdate
from vitable_config.config import load_config
from vitable_config.desired import DesiredState
from vitable_config.engine.live import read_live_state
from vitable_config.engine.model import Plan
from vitable_config.engine.planner import build_plan
from vitable_config.engine.render import render_json, render_markdown, render_text

ROOT = Path(__file__).resolve().parents[2]
ROLLOUT = ROOT / "examples" / "rollout"
SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())


def _client(sandbox) -> VitableClient:
    settings = ClientSettings(api_key=SecretStr(sandbox.api_key), base_url=sandbox.base_url)
    return VitableClient(settings, concurrent_pages=4)


async def _plan(sandbox, desired: DesiredState) -> tuple[Plan, int]:
    async with _client(sandbox) as client:
        live = await read_live_state(client, desired)
        requests = client.stats.requests
    plan = build_plan(desired, live, today=sandbox.today, base_url=sandbox.base_url)
    return plan, requests


async def _send(sandbox, plan: Plan) -> None:
    async with _client(sandbox) as client:
        for change in plan.actionable():
            if change.action == "create":
                body = PlanYearCreate.model_validate(change.request)
                await client.create_plan_year(change.key.benefit_product, body)
            else:
                assert change.live_id is not None
                await client.update_plan_year(change.live_id, PlanYearUpdate(**change.request))


def _bump_first_class(desired: DesiredState, employer_id: str, cents: int) -> DesiredState:
    plan_years = []
    for py in desired.plan_years:
        if py.employer_id == employer_id and py.benefit_product == "bprd_mec":
            key = ("full_time", "EE")
            classes = dict(py.contribution_classes)
            classes[key] = dataclasses.replace(classes[key], employer_contribution_cents=cents)
            py = dataclasses.replace(py, contribution_classes=classes)
        plan_years.append(py)
    return DesiredState(plan_years, desired.files)


async def test_rollout_plan_apply_replan_update_and_lock(sandbox) -> None:
    desired = load_config([ROLLOUT])
    n = len(desired.plan_years)
    assert n >= 30

    plan, requests = await _plan(sandbox, desired)
    assert plan.count("create") + plan.count("unchanged") + plan.count("update") == n
    assert plan.count("create") > 0
    assert requests < n  # never one request per plan year
    for text in (render_text(plan), render_json(plan), render_markdown(plan)):
        assert sandbox.api_key not in text
    doc = json.loads(render_json(plan))
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)

    await _send(sandbox, plan)
    again, _ = await _plan(sandbox, desired)
    assert again.summary["create"] == again.summary["update"] == again.summary["blocked"] == 0
    assert again.count("unchanged") == n
    assert render_text(again).startswith(
        f"Plan: 0 to create, 0 to update, 0 blocked, {n} unchanged"
    )

    path = ("contribution_classes", "full_time", "EE", "employer_contribution_cents")
    target = next(
        py.employer_id
        for py in desired.plan_years
        if py.rollout == "wave-1" and (src := py.source_of(path)) and src.kind == "template"
    )
    changed = _bump_first_class(desired, target, 77_700)
    update_plan, _ = await _plan(sandbox, changed)
    [update] = update_plan.actionable()
    assert update.action == "update" and update.key.employer_id == target
    assert [fc.after for fc in update.changes] == [77_700]
    assert update.changes[0].source is not None and update.changes[0].source.kind == "template"
    await _send(sandbox, update_plan)
    settled, _ = await _plan(sandbox, changed)
    assert not settled.has_changes and not settled.has_blocked

    sandbox.set_today(date(2031, 11, 2))  # open enrollment started on 2031-11-01
    locked_plan, _ = await _plan(sandbox, _bump_first_class(desired, target, 11_100))
    [blocked] = [c for c in locked_plan.changes if c.action == "blocked"]
    assert blocked.live_status == "open_enrollment"
    assert blocked.blocked_since == date(2031, 11, 1)
    assert "locked" in (blocked.blocked_reason or "")
    assert "! blocked" in render_text(locked_plan)
