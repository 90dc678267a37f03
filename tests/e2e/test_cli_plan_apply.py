"""End to end through the CLI against the sandbox over loopback HTTP: plan, apply, re-plan."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from tests.e2e.e2e_support import (
    ANSI,
    PY,
    REPO,
    api_args,
    keys_of,
    live_plan_years,
    run_cli,
    writes,
)

GLOBEX_2026 = "plyr_0a1b2c3d4e5f6071"  # seeded: empr_globex / MEC / 2026, active


def acme(er: int = 40000) -> list[PY]:
    return [PY("empr_acme", "MEC", er=er), PY("empr_acme", "VD", ee=1200, er=2400)]


def test_create_then_replan_shows_no_changes(sandbox, write_config) -> None:
    cfg = write_config(acme())
    before = keys_of(live_plan_years(sandbox))

    plan = run_cli(["plan", cfg, "--detailed-exitcode", *api_args(sandbox)])
    assert plan.code == 2, plan.err
    assert plan.out.startswith("Plan: 2 to create, 0 to update, 0 blocked, 0 unchanged")
    assert "$400.00" in plan.out  # cents shown as dollars
    assert writes(sandbox) == [], "plan must never write"

    applied = run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)])
    assert applied.code == 0, applied.err
    assert "Apply: 2 created, 0 updated, 0 failed, 0 skipped" in applied.out
    after = live_plan_years(sandbox)
    new = sorted(set(keys_of(after)) - set(before))
    assert new == [
        ("empr_acme", "bprd_dental", "2027-01-01"),
        ("empr_acme", "bprd_mec", "2027-01-01"),
    ]
    mec = next(
        p
        for p in after
        if p["employer_id"] == "empr_acme" and p["benefit_product_id"] == "bprd_mec"
    )
    classes = {(c["employment"], c["family_status"]): c for c in mec["contribution_classes"]}
    assert classes["full_time", "EE"]["employer_contribution_cents"] == 40000
    assert classes["part_time", "EE"]["employee_contribution_cents"] == 9000
    assert mec["id"] in applied.out

    again = run_cli(["plan", cfg, "--detailed-exitcode", *api_args(sandbox)])
    assert again.code == 0, again.out + again.err
    assert again.out.startswith("Plan: 0 to create, 0 to update, 0 blocked, 2 unchanged")

    # Applying again is a no-op that writes nothing.
    n = len(writes(sandbox))
    noop = run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)])
    assert noop.code == 0 and "No changes to apply." in noop.out
    assert len(writes(sandbox)) == n


def test_update_in_draft(sandbox, write_config) -> None:
    assert run_cli(["apply", write_config(acme()), "--auto-approve", *api_args(sandbox)]).code == 0
    cfg = write_config(acme(er=45000))
    plan = run_cli(["plan", cfg, "--detailed-exitcode", *api_args(sandbox)])
    assert plan.code == 2
    assert plan.out.startswith("Plan: 0 to create, 1 to update, 0 blocked, 1 unchanged")
    assert "$400.00 → $450.00" in plan.out

    applied = run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)])
    assert applied.code == 0, applied.err
    assert "Apply: 0 created, 1 updated, 0 failed, 0 skipped" in applied.out
    mec = next(
        p
        for p in live_plan_years(sandbox)
        if p["employer_id"] == "empr_acme" and p["benefit_product_id"] == "bprd_mec"
    )
    ft_ee = next(
        c
        for c in mec["contribution_classes"]
        if (c["employment"], c["family_status"]) == ("full_time", "EE")
    )
    assert ft_ee["employer_contribution_cents"] == 45000
    assert run_cli(["plan", cfg, "--detailed-exitcode", *api_args(sandbox)]).code == 0


def test_blocked_after_open_enrollment_starts(sandbox, write_config) -> None:
    assert run_cli(["apply", write_config(acme()), "--auto-approve", *api_args(sandbox)]).code == 0
    sandbox.set_today(date(2026, 12, 2))  # open enrollment started 2026-12-01
    cfg = write_config(acme(er=45000))
    plan = run_cli(["plan", cfg, "--detailed-exitcode", *api_args(sandbox)])
    assert plan.code == 1, "blocked changes are errors with --detailed-exitcode"
    assert plan.out.startswith("Plan: 0 to create, 0 to update, 1 blocked, 1 unchanged")
    assert "open_enrollment" in plan.out and "2026-12-01" in plan.out
    assert "blocked change can never be applied" in plan.err
    # Without --detailed-exitcode a blocked plan still exits 0 (as Terraform).
    assert run_cli(["plan", cfg, *api_args(sandbox)]).code == 0

    n = len(writes(sandbox))
    applied = run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)])
    assert applied.code == 1, "a blocked change can never apply: the run fails"
    assert "No changes to apply." in applied.out
    assert "Blocked: 1 plan year not applied" in applied.out
    assert len(writes(sandbox)) == n, "a blocked change must never be sent"


def test_unmanaged_plan_years_are_reported_never_touched(sandbox, write_config) -> None:
    cfg = write_config([PY("empr_globex", "MEC")])
    plan = run_cli(["plan", cfg, "--format", "json", *api_args(sandbox)])
    assert plan.code == 0, plan.err
    doc = plan.json
    assert doc["summary"]["create"] == 1 and doc["summary"]["unmanaged"] == 1
    unmanaged = [c for c in doc["changes"] if c["action"] == "unmanaged"]
    assert [c["live_id"] for c in unmanaged] == [GLOBEX_2026]
    text = run_cli(["plan", cfg, *api_args(sandbox)])
    assert GLOBEX_2026 in text.out
    applied = run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)])
    assert "Apply: 1 created" in applied.out
    assert not any(GLOBEX_2026 in r.path for r in writes(sandbox))
    # Scoped to another product, globex's MEC plan year is not reported.
    # (The config must mention the product: a glob that matches nothing is an error.)
    both = write_config([PY("empr_globex", "MEC"), PY("empr_acme", "VD")], name="both.yaml")
    scoped = run_cli(["plan", both, "--product", "VD", "--format", "json", *api_args(sandbox)])
    assert scoped.json["summary"]["unmanaged"] == 0
    assert {c["key"]["employer_id"] for c in scoped.json["changes"]} == {"empr_acme"}


def test_every_output_format(sandbox, write_config) -> None:
    cfg = write_config(acme())
    schema = json.loads((REPO / "schemas" / "plan.schema.json").read_text())
    as_json = run_cli(["plan", cfg, "--format", "json", *api_args(sandbox)])
    assert as_json.code == 0
    jsonschema.validate(as_json.json, schema)
    assert as_json.json["format_version"] == 1
    assert {c["action"] for c in as_json.json["changes"]} == {"create"}

    md = run_cli(["plan", cfg, "--format", "markdown", *api_args(sandbox)])
    assert md.code == 0
    assert "2 to create" in md.out.split("\n<details", 1)[0]
    assert "<details" in md.out and "empr_acme" in md.out

    plain = run_cli(["plan", cfg, *api_args(sandbox)])  # piped: no colour
    assert ANSI not in plain.out and plain.out.startswith("Plan: 2 to create")
    coloured = run_cli(["plan", cfg, *api_args(sandbox)], tty=True, env={"NO_COLOR": None})
    assert ANSI in coloured.out
    no_color = run_cli(["plan", cfg, *api_args(sandbox)], tty=True, env={"NO_COLOR": "1"})
    assert ANSI not in no_color.out + no_color.err
    assert no_color.out == plain.out
    for args in (["plan", "--no-color"], ["--no-color", "plan"]):  # the flag form of NO_COLOR
        flag = run_cli([*args, cfg, *api_args(sandbox)], tty=True, env={"NO_COLOR": None})
        assert flag.code == 0, flag.err
        assert ANSI not in flag.out + flag.err
        assert flag.out == plain.out


def test_no_tty_refusal_and_confirmation(sandbox, write_config) -> None:
    cfg = write_config(acme())
    refused = run_cli(["apply", cfg, *api_args(sandbox)])
    assert refused.code == 1
    assert "--auto-approve" in refused.err and "Traceback" not in refused.err
    assert writes(sandbox) == []

    declined = run_cli(["apply", cfg, *api_args(sandbox)], input="n\n", tty=True)
    assert declined.code == 1 and "Apply these 2 changes" in declined.out
    assert writes(sandbox) == []
    accepted = run_cli(["apply", cfg, *api_args(sandbox)], input="y\n", tty=True)
    assert accepted.code == 0, accepted.err
    assert "Apply: 2 created" in accepted.out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("version: 1\nemployers: [\n", "config.yaml:"),  # broken YAML, with file:line
        (
            "version: 1\nemployers:\n  empr_nobody:\n    plan_years:\n"
            "      - benefit_product: MEC\n        coverage: {start: 2027-01-01, end: 2027-12-31}\n"
            "        open_enrollment: {start: 2026-12-01, end: 2026-12-15}\n"
            "        contribution_classes: {full_time: {EE: {employee: 1, employer: 2}}}\n",
            "empr_nobody",
        ),  # unknown employer: an error before anything is written
    ],
)
def test_errors_exit_1_without_traceback_or_writes(
    sandbox, tmp_path: Path, content, expected
) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(content)
    for command in (["plan", "--detailed-exitcode"], ["apply", "--auto-approve"]):
        result = run_cli([command[0], cfg, command[1], *api_args(sandbox)])
        assert result.code == 1, result.out + result.err
        assert expected in result.err
        assert "Traceback" not in result.err + result.out
    assert writes(sandbox) == []


def test_missing_key_and_bad_flags_exit_1(sandbox, write_config) -> None:
    cfg = write_config(acme())
    no_key = run_cli(
        ["plan", cfg, "--base-url", sandbox.base_url], env={"VITABLE_CONNECT_API_KEY": None}
    )
    assert no_key.code == 1 and "VITABLE_CONNECT_API_KEY" in no_key.err
    bad_shard = run_cli(["plan", cfg, "--shard", "5/4", *api_args(sandbox)])
    assert bad_shard.code == 1 and "--shard" in bad_shard.err
    wrong_key = run_cli(["plan", cfg, "--base-url", sandbox.base_url, "--api-key", "vc_test_wrong"])
    assert wrong_key.code == 1 and "401" in wrong_key.err
    assert "vc_test_wrong" not in wrong_key.err + wrong_key.out


def test_key_never_appears_with_verbose(sandbox, write_config) -> None:
    cfg = write_config(acme())
    env = {"VITABLE_CONNECT_API_KEY": sandbox.api_key, "VITABLE_CONNECT_BASE_URL": sandbox.base_url}
    outputs = []
    for args in (
        ["plan", cfg, "-v"],
        ["plan", cfg, "-v", "--format", "json"],
        ["plan", cfg, "-v", "--out", cfg.parent / "plan.json"],
        ["apply", cfg, "-v", "--auto-approve"],
        ["export", "-v", "-o", cfg.parent / "exported"],
    ):
        result = run_cli(args, env=env)
        assert result.code == 0, result.err
        outputs += [result.out, result.err]
    assert "GET /v1/benefit-products" in outputs[1]  # -v logs each call to stderr
    assert "POST /v1/benefit-products/bprd_mec/plan-years" in outputs[7]
    files = [p.read_text() for p in cfg.parent.rglob("*") if p.is_file()]
    for text in outputs + files:
        assert sandbox.api_key not in text


def test_a_configured_employer_name_that_differs_from_the_live_one_is_a_warning(
    sandbox, tmp_path: Path
) -> None:
    cfg = tmp_path / "acme.yaml"
    cfg.write_text(
        "version: 1\nemployers:\n  empr_acme:\n    name: Acme Bakery\n    plan_years:\n"
        "      - benefit_product: MEC\n"
        "        coverage: {start: 2027-01-01, end: 2027-12-31}\n"
        "        open_enrollment: {start: 2026-12-01, end: 2026-12-15}\n"
        "        contribution_classes: {full_time: {EE: {employee: 5000, employer: 40000}}}\n",
        encoding="utf-8",
    )
    plan = run_cli(["plan", cfg, *api_args(sandbox)])
    assert plan.code == 0, plan.err
    live_name = "Acme Widgets"  # the seeded employer (examples/sandbox-seed.yaml)
    assert (
        f"employer empr_acme is named 'Acme Bakery' in the config ({cfg}:6:9) "
        f"but {live_name!r} in the API"
    ) in plan.out
    assert f"+ create {live_name} (empr_acme)" in plan.out  # the plan shows the live name
