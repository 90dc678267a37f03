"""The workflow scripts with the real CLI against the sandbox over loopback HTTP.

These pin the exit codes the workflows rely on: in sync → 0, pending → 2,
blocked or error → 1 (check fails), and the apply-on-merge behaviour for fresh,
stale and missing saved plans.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
import pytest
import yaml

from tests.gitops.gitops_support import REPO_ROOT, FakeGitHub, ScriptRunner
from vitable_config.gitops.cli import main as gitops_main
from vitable_config.gitops.comment import build_comment_body
from vitable_config.gitops.rundir import read_run
from vitable_config.sandbox import SandboxHandle

QUICKSTART = REPO_ROOT / "examples" / "quickstart"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    dest = tmp_path / "config"
    shutil.copytree(QUICKSTART, dest)
    return dest


@pytest.fixture
def api_env(sandbox: SandboxHandle) -> dict[str, str]:
    return {
        "VITABLE_CONNECT_BASE_URL": sandbox.base_url,
        "VITABLE_CONNECT_API_KEY": sandbox.api_key,
    }


def _edit(config: Path, old: str, new: str) -> None:
    path = config / "vitable.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _plan(run_script: ScriptRunner, out: Path, config: Path, env: dict[str, str]) -> int:
    result = run_script("run-plan.sh", str(out), str(config), env=env)
    assert result.returncode == 0, result.stderr  # the script itself always succeeds
    code = int((out / "exit-code").read_text())
    return code


def test_pending_then_apply_then_in_sync(
    tmp_path: Path,
    sandbox: SandboxHandle,
    config: Path,
    api_env: dict[str, str],
    run_script: ScriptRunner,
) -> None:
    out = tmp_path / "pr"
    assert _plan(run_script, out, config, api_env) == 2
    assert "to create" in (out / "plan.md").read_text()
    assert json.loads((out / "plan.json").read_text())["format_version"] >= 1
    assert gitops_main(["check", str(out)]) == 0  # pending changes pass the check
    assert sandbox.write_count() == 0  # planning wrote nothing

    summary = tmp_path / "step-summary.md"
    merged = run_script(
        "apply-on-merge.sh",
        str(config),
        str(out / "plan.json"),
        env={**api_env, "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert merged.returncode == 0, merged.stderr
    assert "applying the reviewed plan" in merged.stdout
    job_summary = summary.read_text()
    assert "### Applied the reviewed plan" in job_summary
    assert "### vitable-config plan (merge): exit 0" in job_summary
    assert "in sync: nothing (more) to apply" in merged.stdout
    assert sandbox.write_count() == 2  # exactly the two reviewed creates

    again = tmp_path / "again"
    assert _plan(run_script, again, config, api_env) == 0
    assert gitops_main(["check", str(again)]) == 0


def test_stale_saved_plan_is_replanned_or_refused(
    tmp_path: Path,
    sandbox: SandboxHandle,
    config: Path,
    api_env: dict[str, str],
    run_script: ScriptRunner,
) -> None:
    assert run_script("apply-on-merge.sh", str(config), env=api_env).returncode == 0
    assert sandbox.write_count() == 2  # no saved plan: planned afresh and applied

    _edit(config, 'employer: "$380.00"', 'employer: "$400.00"')
    out = tmp_path / "pr"
    assert _plan(run_script, out, config, api_env) == 2
    # Someone changes the live plan year after the PR's plan was made.
    mec = next(
        p
        for p in sandbox.list_all_plan_years()
        if (p["employer_id"], p["benefit_product_id"], p["coverage_start"])
        == ("empr_acme", "bprd_mec", "2032-01-01")
    )
    response = httpx.put(
        f"{sandbox.base_url}/v1/plan-years/{mec['id']}",
        json={"open_enrollment_end": "2031-11-14"},
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
    )
    assert response.status_code == 200, response.text
    writes = sandbox.write_count()

    strict = run_script(
        "apply-on-merge.sh",
        str(config),
        str(out / "plan.json"),
        env={**api_env, "ON_STALE": "fail"},
    )
    assert strict.returncode == 1
    assert "plan is stale" in strict.stderr
    assert "not applying a plan nobody reviewed" in strict.stderr
    assert sandbox.write_count() == writes  # refused: nothing written

    replan = run_script("apply-on-merge.sh", str(config), str(out / "plan.json"), env=api_env)
    assert replan.returncode == 0, replan.stderr
    assert "reviewed plan is stale" in replan.stderr
    assert sandbox.write_count() == writes + 1  # one update from the fresh plan
    final = tmp_path / "final"
    assert _plan(run_script, final, config, api_env) == 0


def test_blocked_change_fails_the_check_and_is_not_applied(
    tmp_path: Path,
    sandbox: SandboxHandle,
    config: Path,
    api_env: dict[str, str],
    run_script: ScriptRunner,
    fake_gh: FakeGitHub,
) -> None:
    assert run_script("apply-on-merge.sh", str(config), env=api_env).returncode == 0
    sandbox.set_today(date(2031, 11, 5))  # open enrollment started: plan years are locked
    _edit(config, 'employer: "$380.00"', 'employer: "$400.00"')
    out = tmp_path / "pr"
    assert _plan(run_script, out, config, api_env) == 1
    assert "blocked" in ((out / "plan.md").read_text() + (out / "stderr.log").read_text())
    assert gitops_main(["check", str(out)]) == 1

    fake_gh.set("comments.json", [])
    posted = run_script("pr-comment.sh", "5", str(out), env=api_env)
    assert posted.returncode == 0, posted.stderr
    body = fake_gh.writes()[0]["input"]["body"]
    assert "Plan failed" in body and "blocked" in body.lower()

    writes = sandbox.write_count()
    merged = run_script("apply-on-merge.sh", str(config), str(out / "plan.json"), env=api_env)
    assert merged.returncode == 1
    assert sandbox.write_count() == writes


def test_invalid_config_is_reported_with_location_and_never_planned(
    tmp_path: Path,
    sandbox: SandboxHandle,
    config: Path,
    api_env: dict[str, str],
    run_script: ScriptRunner,
) -> None:
    _edit(config, "EE: {employee: 1200, employer: 2400}", "EE: {employee: 1200, employr: 2400}")
    out = tmp_path / "pr"
    assert _plan(run_script, out, config, api_env) == 1
    run = read_run(out)
    assert "vitable.yaml:" in run.log
    assert (out / "plan.md").read_text() == ""
    assert sandbox.request_log == []  # validation failed before any API call


def test_wrong_api_key_fails_without_leaking_it(
    tmp_path: Path,
    sandbox: SandboxHandle,
    config: Path,
    run_script: ScriptRunner,
    fake_gh: FakeGitHub,
) -> None:
    bad_key = "vcsk_wrong_0123456789abcdef"
    env = {"VITABLE_CONNECT_BASE_URL": sandbox.base_url, "VITABLE_CONNECT_API_KEY": bad_key}
    out = tmp_path / "pr"
    assert _plan(run_script, out, config, env) == 1
    assert "401" in (out / "stderr.log").read_text()
    fake_gh.set("comments.json", [])
    assert run_script("pr-comment.sh", "5", str(out), env=env).returncode == 0
    body = fake_gh.writes()[0]["input"]["body"]
    for path in out.iterdir():
        assert bad_key not in path.read_text(), path
    assert bad_key not in body


def test_variables_reach_validate_as_well_as_plan(
    tmp_path: Path,
    sandbox: SandboxHandle,
    api_env: dict[str, str],
    run_script: ScriptRunner,
) -> None:
    config = tmp_path / "rollout"
    shutil.copytree(REPO_ROOT / "examples" / "rollout", config)
    _edit(config, "variables:\n  plan_year: 2032\n", "")
    without = tmp_path / "without"
    assert _plan(run_script, without, config, api_env) == 1
    assert "plan_year" in (without / "stderr.log").read_text()
    with_var = tmp_path / "with"
    result = run_script(
        "run-plan.sh", str(with_var), str(config), "--var", "plan_year=2032", env=api_env
    )
    assert result.returncode == 0, result.stderr
    assert (with_var / "exit-code").read_text().strip() == "2", result.stderr


def test_safety_cap_fails_the_merge_unless_forced(
    tmp_path: Path,
    sandbox: SandboxHandle,
    api_env: dict[str, str],
    run_script: ScriptRunner,
) -> None:
    config = tmp_path / "rollout"
    shutil.copytree(REPO_ROOT / "examples" / "rollout", config)
    assert run_script("apply-on-merge.sh", str(config), env=api_env).returncode == 0
    created = sandbox.write_count()
    assert created >= 30
    # One template line reaches every employer: far more than 30% of the plan years.
    _edit(config, 'EE: {employee: "$90.00"', 'EE: {employee: "$95.00"')
    out = tmp_path / "pr"
    assert _plan(run_script, out, config, api_env) == 1
    assert "safety cap" in (out / "stderr.log").read_text()

    refused = run_script("apply-on-merge.sh", str(config), env=api_env)
    assert refused.returncode == 1
    assert sandbox.write_count() == created

    forced_pr = tmp_path / "forced-pr"
    result = run_script("run-plan.sh", str(forced_pr), str(config), "--force", env=api_env)
    assert result.returncode == 0, result.stderr
    assert (forced_pr / "exit-code").read_text().strip() == "2"
    merged = run_script(
        "apply-on-merge.sh",
        str(config),
        str(forced_pr / "plan.json"),
        env={**api_env, "FORCE": "true"},
    )
    assert merged.returncode == 0, merged.stderr
    assert "in sync: nothing (more) to apply" in merged.stdout
    assert sandbox.write_count() > created + 10


def test_huge_real_plan_fits_the_comment_end_to_end(
    tmp_path: Path,
    make_sandbox: Callable[..., SandboxHandle],
    run_script: ScriptRunner,
    fake_gh: FakeGitHub,
) -> None:
    """300 employers: the real renderer's Markdown, then the comment, stay under 65,000."""
    count = 300
    employers = [
        {"id": f"empr_big{i:04d}", "name": f"Big {i}", "legal_name": f"Big {i} LLC"}
        for i in range(count)
    ]
    seed = {
        "benefit_products": [
            {
                "id": "bprd_mec",
                "name": "Vitable MEC",
                "product_code": "MEC",
                "category": "Medical",
                "carrier_plans": [
                    {"id": "cplan_mec_core", "name": "Core", "monthly_premium_cents": 8900}
                ],
            }
        ],
        "employers": employers,
    }
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text(yaml.safe_dump(seed))
    sandbox = make_sandbox(seed_file=seed_file)
    config = tmp_path / "config"
    config.mkdir()
    (config / "employers.csv").write_text(
        "employer_id\n" + "".join(f"{e['id']}\n" for e in employers)
    )
    (config / "vitable.yaml").write_text(
        """version: 1
defaults:
  coverage: {start: 2027-01-01, end: 2027-12-31}
  open_enrollment: {start: 2026-12-01, end: 2026-12-15}
templates:
  standard:
    benefit_product: MEC
    contribution_classes:
      full_time:
        EE: {employee: "$45.00", employer: "$380.00"}
        ES: {employee: "$120.00", employer: "$650.00"}
        EF: {employee: "$180.00", employer: "$900.00"}
rollouts:
  - name: everyone
    template: standard
    employers: {csv: employers.csv}
"""
    )
    env = {"VITABLE_CONNECT_BASE_URL": sandbox.base_url, "VITABLE_CONNECT_API_KEY": sandbox.api_key}
    out = tmp_path / "out"
    assert _plan(run_script, out, config, env) == 2, (out / "stderr.log").read_text()
    markdown = (out / "plan.md").read_text()
    assert f"{count} to create" in markdown
    assert 60_000 < len(markdown) <= 65_000  # the renderer kept it under its own budget

    fake_gh.set("comments.json", [])
    posted = run_script("pr-comment.sh", "9", str(out), env=env)
    assert posted.returncode == 0, posted.stderr
    body = fake_gh.writes()[0]["input"]["body"]
    assert len(body) <= 65_000
    assert body.startswith("<!-- vitable-config-plan -->")
    assert f"**Plan: {count} to create" in body  # the summary always survives
    # The reader is told that something was left out (by the renderer or the comment).
    assert "**Truncated:**" in body or "Plan truncated" in body
    assert body.rstrip().endswith("</sub>")  # the footer too

    # The comment's own cut on the real renderer output: balanced fences and <details>.
    smaller = build_comment_body([read_run(out)], max_chars=30_000)
    assert len(smaller) <= 30_000 and "Plan truncated" in smaller
    assert smaller.count("<details") == smaller.count("</details>")
    assert len(re.findall(r"^\s*```", smaller, flags=re.M)) % 2 == 0


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_action_plan_records_its_outputs_and_check_fails_only_on_errors(
    tmp_path: Path,
    sandbox: SandboxHandle,
    config: Path,
    api_env: dict[str, str],
    run_script: ScriptRunner,
) -> None:
    gh_output = tmp_path / "github-output"
    out = tmp_path / "out"
    env = {
        **api_env,
        "GITHUB_OUTPUT": str(gh_output),
        "INPUT_COMMAND": "plan",
        "INPUT_CONFIG_DIR": str(config),
        "INPUT_OUTPUT_DIR": str(out),
        "INPUT_FORCE": "false",
    }
    result = run_script("action-run.sh", env=env)
    assert result.returncode == 0, result.stderr
    assert _outputs(gh_output) == {"exit-code": "2", "run-dir": str(out)}
    assert "to create" in (out / "plan.md").read_text()
    assert sandbox.write_count() == 0
    checked = run_script("action-run.sh", env={**env, "INPUT_COMMAND": "check"})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "overall: changes" in checked.stdout

    # A sharded check expects every shard directory: one that never arrived fails it.
    shards = tmp_path / "shards"
    shutil.copytree(out, shards / "vitable-plan-shard-1")
    two = run_script(
        "action-run.sh",
        env={**env, "INPUT_COMMAND": "check", "INPUT_OUTPUT_DIR": str(shards)}
        | {"INPUT_SHARDS": "2"},
    )
    assert two.returncode == 1
    assert "vitable-plan-shard-2: error (exit none)" in two.stdout

    for bad in ({"INPUT_COMMAND": "destroy"}, {"INPUT_FORCE": "yes"}):
        refused = run_script("action-run.sh", env={**env, **bad})
        assert refused.returncode == 64, refused.stderr
    assert sandbox.write_count() == 0


def test_drift_above_the_safety_cap_is_reported_as_drift(
    tmp_path: Path,
    sandbox: SandboxHandle,
    api_env: dict[str, str],
    run_script: ScriptRunner,
    fake_gh: FakeGitHub,
) -> None:
    config = tmp_path / "rollout"
    shutil.copytree(REPO_ROOT / "examples" / "rollout", config)
    assert run_script("apply-on-merge.sh", str(config), env=api_env).returncode == 0
    writes = sandbox.write_count()
    # Someone edits the template's effect by hand on every plan year: far above the cap.
    _edit(config, 'EE: {employee: "$90.00"', 'EE: {employee: "$95.00"')
    fake_gh.set("issues.json", [])

    # What drift.yml did before: plan without --force, so the cap made it an error.
    old = tmp_path / "old"
    assert _plan(run_script, old, config, api_env) == 1
    assert "safety cap" in (old / "stderr.log").read_text()
    failed = run_script("drift-report.sh", str(old), env=api_env)
    assert failed.returncode == 1 and fake_gh.writes() == []

    gh_output = tmp_path / "github-output"
    out = tmp_path / "drift"
    drift = run_script(
        "action-run.sh",
        env={
            **api_env,
            "GITHUB_OUTPUT": str(gh_output),
            "INPUT_COMMAND": "drift",
            "INPUT_CONFIG_DIR": str(config),
            "INPUT_OUTPUT_DIR": str(out),
            "INPUT_DRIFT_FAIL": "false",
        },
    )
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert "drift: opened an issue" in drift.stdout
    assert _outputs(gh_output)["exit-code"] == "2"
    (opened,) = fake_gh.writes()
    assert opened["argv"][:4] == ["api", "--method", "POST", "repos/acme/benefits/issues"]
    assert "to update" in opened["input"]["body"]
    assert sandbox.write_count() == writes  # a drift run writes nothing, forced or not
