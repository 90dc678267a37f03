"""`apply --format json` (one report on stdout) and `apply PLANFILE` asking for
confirmation like `apply PATH`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.e2e.e2e_support import PY, REPO, api_args, live_plan_years, run_cli, writes

SCHEMA = json.loads((REPO / "schemas" / "apply.schema.json").read_text(encoding="utf-8"))


def test_apply_json_reports_every_action_and_the_summary(sandbox, write_config) -> None:
    cfg = write_config([PY("empr_acme"), PY("empr_acme", "VD", ee=1200, er=2400)])
    result = run_cli(["apply", cfg, "--auto-approve", "--format", "json", *api_args(sandbox)])
    assert result.code == 0, result.err
    report = json.loads(result.out)  # stdout is the report alone
    jsonschema.validate(report, SCHEMA)
    assert report["exit_code"] == 0 and report["verified"] is True
    assert report["summary"] == {
        "created": 2,
        "updated": 0,
        "failed": 0,
        "skipped": 0,
        "unknown": 0,
    }
    live = {p["id"] for p in live_plan_years(sandbox)}
    assert {r["live_id"] for r in report["results"]} <= live
    assert {(r["employer_id"], r["status"]) for r in report["results"]} == {
        ("empr_acme", "created")
    }
    assert "Plan: 2 to create" in result.err  # the human plan went to stderr


def test_apply_json_of_a_failing_run_has_exit_code_1(sandbox, write_config, tmp_path) -> None:
    cfg = write_config([PY("empr_acme")])
    saved = tmp_path / "plan.json"
    assert run_cli(["plan", cfg, "--out", saved, *api_args(sandbox)]).code == 0
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)]).code == 0
    # The saved plan is now stale (its create exists): refused, reported, nothing written.
    before = len(writes(sandbox))
    again = run_cli(["apply", saved, "--auto-approve", "--format", "json", *api_args(sandbox)])
    assert again.code == 1
    assert len(writes(sandbox)) == before
    assert "Traceback" not in again.err


def test_apply_planfile_asks_like_apply_path(sandbox, write_config, tmp_path: Path) -> None:
    cfg = write_config([PY("empr_acme")])
    saved = tmp_path / "plan.json"
    assert run_cli(["plan", cfg, "--out", saved, *api_args(sandbox)]).code == 0

    refused = run_cli(["apply", saved, *api_args(sandbox)])  # stdin is not a terminal
    assert refused.code == 1
    assert "pass --auto-approve" in refused.err
    assert writes(sandbox) == []

    declined = run_cli(["apply", saved, *api_args(sandbox)], input="n\n", tty=True)
    assert declined.code == 1
    assert "+ create" in declined.out  # the plan is shown before the question
    assert "Apply these 1 changes to" in declined.out
    assert "Apply cancelled: nothing was changed." in declined.err
    assert writes(sandbox) == []

    accepted = run_cli(["apply", saved, *api_args(sandbox)], input="y\n", tty=True)
    assert accepted.code == 0, accepted.err
    assert "Apply: 1 created" in accepted.out
