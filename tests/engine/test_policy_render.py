"""Violations and cost impact in the renderers, on the 300-plan-year test plan:
the PR comment stays under 65,000 characters, JSON matches the schema, and a saved
plan keeps both (engine only: the CLI paths are in tests/e2e/test_policies.py)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from pydantic import TypeAdapter

from tests.engine.plan_samples import many_changes_plan
from vitable_config.config.policy_models import PolicyRule
from vitable_config.engine.render import render_json, render_markdown, render_text
from vitable_config.engine.serialize import plan_from_dict, plan_to_dict
from vitable_config.errors import SourceLocation
from vitable_config.policy.cost import Headcount, HeadcountRow
from vitable_config.policy.evaluate import assess_plan
from vitable_config.policy.rules import PolicySet, Rule

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())
ADAPTER: TypeAdapter[object] = TypeAdapter(PolicyRule)


def policies() -> PolicySet:
    here = SourceLocation("policies.yaml", 3, 3)
    specs = {
        "rich-employer": {"kind": "employer_share_min", "level": "deny", "percent": 99},
        "all-tiers": {"kind": "required_classes", "level": "warn"},
        "budget": {"kind": "cost_change_max", "level": "warn", "per": "employer", "percent": 1},
    }
    return PolicySet([Rule(name, ADAPTER.validate_python(s), here) for name, s in specs.items()])


def headcount() -> Headcount:
    rows = [
        HeadcountRow("*", "*", employment, tier, 7, SourceLocation("hc.csv", i + 2))
        for i, (employment, tier) in enumerate(
            [("full_time", "EE"), ("full_time", "ES"), ("full_time", "EF"), ("part_time", "EE")]
        )
    ]
    return Headcount("hc.csv", rows)


def test_pr_comment_with_violations_and_costs_fits_for_300_plan_years() -> None:
    plan = assess_plan(many_changes_plan(300), policies(), headcount())
    assert len(plan.denied) >= 300  # every plan year breaks the deny rule
    assert plan.cost is not None and len(plan.cost.plan_years) == 300
    md = render_markdown(plan)
    assert len(md) < 65_000, len(md)
    assert md.index("Employer contributions") < md.index("Policy violations")
    assert md.index("Policy violations") < md.index("Changes by employer")
    assert "**DENY rich-employer: the employer must pay at least 99% of each class**" in md
    assert "more (see `vitable-config plan`)" in md  # capped per rule, count kept
    assert "<details><summary>Per changed plan year (300)</summary>" in md
    text = render_text(plan)
    assert text.count("DENY rich-employer") == 1 and "Cost impact (headcount: hc.csv)" in text


def test_json_with_violations_and_cost_matches_schema_and_round_trips() -> None:
    plan = assess_plan(many_changes_plan(30), policies(), headcount())
    doc = json.loads(render_json(plan))
    jsonschema.validate(doc, SCHEMA)
    assert doc["violations"][0]["denies"] is True
    again = plan_from_dict(doc)
    assert again.violations == plan.violations
    assert again.cost == plan.cost
    assert plan_to_dict(again) == doc


def test_totals_are_headcount_times_cents() -> None:
    plan = assess_plan(many_changes_plan(3), None, headcount())
    assert plan.cost is not None
    line = plan.cost.plan_years[0]
    change = next(c for c in plan.changes if c.key == line.key)
    after = change.after or {}
    expected = sum(
        7 * amounts["employer_contribution_cents"]
        for employment, tiers in after["contribution_classes"].items()
        for tier, amounts in tiers.items()
        if (employment, tier) in {("full_time", "EE"), ("full_time", "ES"), ("full_time", "EF"),
                                  ("part_time", "EE")}
    )  # fmt: skip
    assert line.after.employer == expected > 0
