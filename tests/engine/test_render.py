"""Renderers: text (with/without colour), Markdown (with truncation), JSON (schema)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import jsonschema
import pytest

from tests.engine.plan_samples import every_action_plan, many_changes_plan
from vitable_config.engine.render import dollars, render_json, render_markdown, render_text

ANSI = re.compile(r"\x1b\[")
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "$0.00"), (5, "$0.05"), (12_000, "$120.00"), (123_450, "$1,234.50"), (-250, "-$2.50")],
)
def test_dollars(cents: int, text: str) -> None:
    assert dollars(cents) == text


def test_text_summary_blocks_and_provenance() -> None:
    out = render_text(every_action_plan())
    lines = out.splitlines()
    assert lines[0] == "Plan: 1 to create, 2 to update, 1 blocked, 1 unchanged, 1 unmanaged"
    assert not ANSI.search(out)
    assert "~ update Acme Inc (empr_acme) MEC 2027-01-01 → 2027-12-31  [plyr_acme, draft]" in lines
    assert (
        "    ~ full_time/EE employer share: $300.00 → $1,234.50"
        "  # from employer override (employers/acme.yaml:7)"
    ) in lines
    assert (
        "    ~ full_time/EE employer share: $300.00 → $380.00"
        "  # from template standard-2027 (templates.yaml:12)"
    ) in lines
    assert "+ create New Inc (empr_new) MEC 2027-01-01 → 2027-12-31" in lines
    assert (
        "    + class full_time/EF: employee $200.00, employer $600.00"
        "  # from template standard-2027 (templates.yaml:12)"
    ) in lines
    assert any(
        line.startswith("    blocked: plan year is locked: it is open_enrollment") for line in lines
    )
    assert "    since: 2026-12-01" in lines
    # reach: beta changes; acme overrides it; gamma is blocked
    assert (
        "  template standard-2027 changes full_time/EE employer share for 1 employer; "
        "1 more blocked (cannot change); 1 unaffected (override it)"
    ) in lines
    assert (
        "    warning: open enrollment starts on 2026-12-01 (in 5 days): this plan year locks then"
        in lines
    )
    assert "  plyr_old  empr_same MEC 2026-01-01  active" in lines
    # unchanged plan years are counted, never listed
    assert "plyr_same" not in out


def test_text_colour_only_when_asked() -> None:
    plan = every_action_plan()
    coloured = render_text(plan, style=click.style)
    assert ANSI.search(coloured)
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render_text(plan)


def test_text_in_sync_plan_says_so() -> None:
    plan = every_action_plan()
    plan.changes = [c for c in plan.changes if c.action in ("unchanged", "unmanaged")]
    plan.reach = []
    out = render_text(plan)
    assert out.startswith("Plan: 0 to create, 0 to update, 0 blocked, 1 unchanged, 1 unmanaged")
    assert "No changes." in out


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_json_output_validates_against_schema() -> None:
    doc = json.loads(render_json(every_action_plan()))
    errors = list(_validator().iter_errors(doc))
    assert errors == [], [e.message for e in errors]
    assert doc["format_version"] == 1
    assert doc["summary"] == {
        "create": 1,
        "update": 2,
        "blocked": 1,
        "unchanged": 1,
        "unmanaged": 1,
    }
    update = next(c for c in doc["changes"] if c["live_id"] == "plyr_beta")
    assert update["key"] == {
        "employer_id": "empr_beta",
        "benefit_product_id": "bprd_mec",
        "product_code": "MEC",
        "coverage_start": "2027-01-01",
    }
    assert update["field_changes"] == [
        {
            "path": ["contribution_classes", "full_time", "EE", "employer_contribution_cents"],
            "kind": "change",
            "before": 30000,
            "after": 38000,
            "source": {
                "kind": "template",
                "name": "standard-2027",
                "file": "templates.yaml",
                "line": 12,
                "column": 5,
            },
        }
    ]


def test_schema_rejects_a_broken_document() -> None:
    doc = json.loads(render_json(every_action_plan()))
    doc["changes"][0]["action"] = "delete"
    del doc["fingerprints"]
    messages = [e.message for e in _validator().iter_errors(doc)]
    assert any("fingerprints" in m for m in messages)
    assert any("delete" in m for m in messages)


def test_markdown_summary_blocked_first_and_sections_per_employer() -> None:
    out = render_markdown(every_action_plan())
    assert out.splitlines()[2] == (
        "**Plan: 1 to create, 2 to update, 1 blocked, 1 unchanged, 1 unmanaged**"
    )
    blocked_at = out.index("### Blocked (1)")
    assert blocked_at < out.index("<details>")
    blocked_part = out[blocked_at : out.index("### Reach")]
    assert "<details>" not in blocked_part and "Gamma Inc (empr_gamma)" in blocked_part
    assert out.count("<details><summary><b>") == 3  # acme, beta, new
    assert "<b>New Inc (empr_new)</b>: 1 to create" in out
    assert "Truncated" not in out


def test_markdown_truncates_details_never_the_summary() -> None:
    plan = many_changes_plan(3000)
    full = render_markdown(plan, max_chars=10_000_000)
    assert len(full) > 65_000
    out = render_markdown(plan)
    assert len(out) <= 65_000
    assert "**Plan: 0 to create, 2994 to update, 6 blocked, 0 unchanged, 0 unmanaged**" in out
    assert "this plan year locks then — 2,994 plan years: empr_00001 MEC 2027-01-01" in out
    assert out.count("<details><summary><b>") < 2994
    omitted = 2994 - out.count("<details><summary><b>")
    assert f"**Truncated:** {omitted:,} employer sections omitted" in out
    assert "vitable-config plan --format json" in out
    # blocked changes survive truncation
    assert all(f"empr_{i:05d}" in out for i in range(0, 3000, 500))


def test_markdown_tiny_budget_keeps_summary() -> None:
    out = render_markdown(many_changes_plan(50), max_chars=800)
    assert "**Plan: 0 to create, 49 to update, 1 blocked" in out
    assert "Truncated" in out
    assert len(out) <= 800


def test_json_layout_is_one_compact_json_dumps_line_per_change() -> None:
    """Each change is exactly ``json.dumps(change_to_dict(c))`` (compact, non-ASCII kept),
    also for an unchanged plan year, whose before and after are one shared dict."""
    from vitable_config.engine.serialize import change_to_dict

    plan = every_action_plan()
    unchanged = next(c for c in plan.changes if c.action == "unchanged")
    unchanged.before = unchanged.after
    unchanged.employer_name = "Société “Ünchanged”"
    text = render_json(plan)
    lines = text.splitlines()
    start = lines.index('  "changes": [') + 1
    expected = [
        "    " + json.dumps(change_to_dict(c), ensure_ascii=False, separators=(", ", ": "))
        for c in plan.changes
    ]
    got = [line.removesuffix(",") for line in lines[start : start + len(plan.changes)]]
    assert got == expected
    assert "Société “Ünchanged”" in text
