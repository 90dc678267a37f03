"""End to end per API dialect: the real CLI against a sandbox serving ``2025-12`` or
``2026-02`` (or ``removed``) over loopback HTTP, with ``--api-dialect auto`` (the
default: the first read decides) and with the dialect given explicitly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.e2e_support import REPO, api_args, keys_of, live_plan_years, run_cli, writes

QUICKSTART = REPO / "examples" / "quickstart"
ROLLOUT = REPO / "examples" / "rollout"
DIALECTS = ("2025-12", "2026-02")
OTHER = {"2025-12": "2026-02", "2026-02": "2025-12"}
TRACEBACK = "Traceback"


def saved_dialect(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")).get("api_dialect")


@pytest.mark.parametrize("how", ["auto", "explicit"])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_quickstart_per_dialect(make_sandbox: Any, tmp_path: Path, dialect: str, how: str) -> None:
    sb = make_sandbox(dialect=dialect)
    flag = [] if how == "auto" else ["--api-dialect", dialect]
    args = [*api_args(sb), *flag]
    before = keys_of(live_plan_years(sb))

    first = run_cli(["plan", QUICKSTART, "--detailed-exitcode", *args])
    assert first.code == 2, first.err
    assert first.out.startswith("Plan: 2 to create, 0 to update, 0 blocked")
    assert writes(sb) == []

    applied = run_cli(["apply", QUICKSTART, "--auto-approve", *args])
    assert applied.code == 0, applied.out + applied.err
    assert "Apply: 2 created, 0 updated, 0 failed, 0 skipped" in applied.out
    assert len(keys_of(live_plan_years(sb))) == len(before) + 2
    # Every write was in the server's dialect (a 2026-02 server refuses family_status).
    assert len(writes(sb)) == 2

    again = run_cli(["plan", QUICKSTART, "--detailed-exitcode", *args])
    assert again.code == 0, again.out + again.err
    assert "0 to create, 0 to update, 0 blocked, 2 unchanged" in again.out

    recorded = tmp_path / "plan.json"
    assert run_cli(["plan", QUICKSTART, "--out", recorded, *args]).code == 0
    assert saved_dialect(recorded) == dialect  # auto picked the server's dialect


@pytest.mark.parametrize("dialect", DIALECTS)
def test_saved_plan_then_rollout_then_export_per_dialect(
    make_sandbox: Any, tmp_path: Path, dialect: str
) -> None:
    sb = make_sandbox(dialect=dialect)
    args = api_args(sb)

    saved = tmp_path / "quickstart.json"
    made = run_cli(["plan", QUICKSTART, "--out", saved, *args])
    assert made.code == 0, made.err
    assert saved_dialect(saved) == dialect
    applied = run_cli(["apply", saved, "--auto-approve", *args])
    assert applied.code == 0, applied.out + applied.err
    assert "Apply: 2 created, 0 updated, 0 failed, 0 skipped" in applied.out

    rollout = run_cli(["plan", ROLLOUT, "--detailed-exitcode", *args])
    assert rollout.code == 2, rollout.out + rollout.err
    applied = run_cli(["apply", ROLLOUT, "--auto-approve", *args])
    assert applied.code == 0, applied.out + applied.err
    assert " 0 failed" in applied.out
    assert run_cli(["plan", ROLLOUT, "--detailed-exitcode", *args]).code == 0

    exported = tmp_path / "exported"
    out = run_cli(["export", "-o", exported, *args])
    assert out.code == 0, out.err
    assert list(exported.glob("*.yaml"))
    replan = run_cli(["plan", exported, "--detailed-exitcode", *args])
    assert replan.code == 0, replan.out + replan.err
    assert " 0 to create, 0 to update" in replan.out


@pytest.mark.parametrize("dialect", DIALECTS)
def test_explicit_dialect_of_the_other_kind_is_refused_before_any_write(
    make_sandbox: Any, dialect: str
) -> None:
    sb = make_sandbox(dialect=dialect)
    wrong = OTHER[dialect]
    run = run_cli(["apply", QUICKSTART, "--auto-approve", "--api-dialect", wrong, *api_args(sb)])
    assert run.code == 1, run.out + run.err
    assert TRACEBACK not in run.err
    assert f"the response is in API dialect {dialect}" in run.err
    assert f"this run speaks {wrong} (set by --api-dialect" in run.err
    assert f"pass --api-dialect {dialect} (or auto)" in run.err
    assert writes(sb) == []


def test_env_var_sets_the_dialect(make_sandbox: Any) -> None:
    sb = make_sandbox(dialect="2026-02")
    env = {"VITABLE_CONNECT_API_DIALECT": "2025-12"}
    run = run_cli(["plan", QUICKSTART, *api_args(sb)], env=env)
    assert run.code == 1, run.out + run.err
    assert (
        "this run speaks 2025-12 (set by --api-dialect or VITABLE_CONNECT_API_DIALECT)" in run.err
    )
    assert TRACEBACK not in run.err
    bad = run_cli(["plan", QUICKSTART, *api_args(sb)], env={"VITABLE_CONNECT_API_DIALECT": "2027"})
    assert bad.code != 0 and "2027" in bad.err and TRACEBACK not in bad.err


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_removed_api_is_a_plain_error_with_no_writes(make_sandbox: Any, command: str) -> None:
    sb = make_sandbox(dialect="removed")
    extra = ["--auto-approve"] if command == "apply" else []
    run = run_cli([command, QUICKSTART, *extra, *api_args(sb)])
    assert run.code == 1, run.out + run.err
    assert TRACEBACK not in run.err
    assert f"the API at {sb.base_url} does not serve benefit products or plan years" in run.err
    assert "March 2026" in run.err and "needs an API version that still serves them" in run.err
    assert "GET /v1/benefit-products -> 404" in run.err
    assert writes(sb) == []


def test_saved_plan_dialect_and_route_gone_checks(tmp_path: Path, monkeypatch: Any) -> None:
    """One embedded sandbox state, served in each dialect in turn (``--sandbox`` with
    VITABLE_SANDBOX_DIALECT): a plan made in 2026-02 is refused by a 2025-12 API and by
    an API without plan years (route gone, not "plan year deleted"); nothing is written."""
    monkeypatch.chdir(tmp_path)
    base = {"VITABLE_SANDBOX_TODAY": "2026-11-21", "VITABLE_CONNECT_API_KEY": None}

    def env(dialect: str) -> dict[str, str | None]:
        return {**base, "VITABLE_SANDBOX_DIALECT": dialect}

    first = run_cli(["apply", QUICKSTART, "--sandbox", "--auto-approve"], env=env("2026-02"))
    assert first.code == 0, first.out + first.err
    saved = tmp_path / "plan.json"
    # A change to a live plan year (fingerprinted), so the saved-plan check reads it.
    config = tmp_path / "config"
    config.mkdir()
    text = (QUICKSTART / "vitable.yaml").read_text(encoding="utf-8")
    changed = text.replace('EE: {employee: "$45.00"', 'EE: {employee: "$46.00"')
    assert changed != text
    (config / "vitable.yaml").write_text(changed, encoding="utf-8")
    made = run_cli(["plan", config, "--sandbox", "--out", saved], env=env("2026-02"))
    assert made.code == 0, made.err
    assert saved_dialect(saved) == "2026-02"
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["fingerprints"], "the plan must depend on live plan years"

    other = run_cli(["apply", saved, "--sandbox", "--auto-approve"], env=env("2025-12"))
    assert other.code == 1, other.out + other.err
    assert TRACEBACK not in other.err
    assert "the saved plan was made against an API that speaks API dialect 2026-02" in other.err
    assert "this run speaks 2025-12" in other.err

    gone = run_cli(["apply", saved, "--sandbox", "--auto-approve"], env=env("removed"))
    assert gone.code == 1, gone.out + gone.err
    assert "does not serve benefit products or plan years" in gone.err
    assert "no longer exists" not in gone.out + gone.err
    assert TRACEBACK not in gone.err

    # Nothing was written by the refused runs: the change is still pending, and applies.
    same = run_cli(["apply", saved, "--sandbox", "--auto-approve"], env=env("2026-02"))
    assert same.code == 0, same.out + same.err
    assert "Apply: 0 created, 1 updated, 0 failed, 0 skipped" in same.out
