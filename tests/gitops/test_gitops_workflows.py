"""The example workflows parse, reference scripts that exist, and wire the steps right."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml
from gitops_support import EXAMPLES, SCRIPTS, VITABLE_CONFIG

WORKFLOWS = ["plan.yml", "apply.yml", "drift.yml", "plan-sharded.yml"]
SCRIPT_REF = re.compile(r'"\$SCRIPTS/([A-Za-z0-9_.-]+)"')


def _load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((EXAMPLES / name).read_text())
    assert isinstance(doc, dict)
    if True in doc:  # YAML 1.1 reads the key `on` as a boolean
        doc["on"] = doc.pop(True)
    return doc


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def _run_text(doc: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in _steps(doc))


@pytest.mark.parametrize("name", WORKFLOWS)
def test_workflow_parses_and_references_existing_scripts(name: str) -> None:
    doc = _load(name)
    assert doc["name"].startswith("vitable-config")
    assert doc["on"], "workflow has no trigger"
    assert doc["env"]["SCRIPTS"] == ".github/vitable-config"  # where the README says to copy
    for job in doc["jobs"].values():
        assert job["runs-on"] and job["steps"]
        assert job.get("timeout-minutes"), "every job needs a timeout"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
    refs = SCRIPT_REF.findall(_run_text(doc))
    assert refs, "workflow calls no script"
    for script in refs:
        path = SCRIPTS / script
        assert path.is_file(), f"{name} references missing script {script}"
        check = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("name", WORKFLOWS)
def test_workflow_starts_with_the_schema_modeline(name: str) -> None:
    first = (EXAMPLES / name).read_text().splitlines()[0]
    assert first == (
        "# yaml-language-server: $schema=https://json.schemastore.org/github-workflow.json"
    )


@pytest.mark.parametrize("name", WORKFLOWS)
def test_api_key_only_comes_from_secrets(name: str) -> None:
    text = (EXAMPLES / name).read_text()
    for line in text.splitlines():
        if "VITABLE_CONNECT_API_KEY:" in line:
            assert "${{ secrets.VITABLE_CONNECT_API_KEY }}" in line


def test_plan_workflow_comments_uploads_and_checks() -> None:
    doc = _load("plan.yml")
    assert "pull_request" in doc["on"]
    assert doc["permissions"]["pull-requests"] == "write"
    steps = _steps(doc)
    names = [s.get("name", s.get("uses", "")) for s in steps]
    plan_i = names.index("Validate and plan")
    comment_i = names.index("Update the plan comment")
    upload_i = names.index("Upload the saved plan")
    check_i = next(i for i, n in enumerate(names) if n.startswith("Check"))
    assert plan_i < comment_i < upload_i < check_i
    # The comment, upload and check run even when an earlier step failed.
    for i in (comment_i, upload_i, check_i):
        assert steps[i]["if"].startswith("always()")
    assert steps[upload_i]["with"]["name"] == "vitable-plan"
    assert "gitops check out" in steps[check_i]["run"]
    # run-plan.sh validates, then plans with the flags the workflow relies on.
    script = (SCRIPTS / "run-plan.sh").read_text()
    assert script.index('"$VITABLE_CONFIG" validate') < script.index('"$VITABLE_CONFIG" plan')
    for flag in ("--format markdown", "--out", "--detailed-exitcode"):
        assert flag in script


def test_apply_workflow_never_runs_two_applies_at_once() -> None:
    doc = _load("apply.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    assert doc["concurrency"]["cancel-in-progress"] is False
    assert doc["on"]["workflow_dispatch"]["inputs"]["on_stale"]["options"] == ["replan", "fail"]
    assert "apply-on-merge.sh" in _run_text(doc) and "fetch-pr-plan.sh" in _run_text(doc)
    # The artifact it fetches is the one plan.yml uploads.
    assert "plan.yml vitable-plan" in _run_text(doc)


def test_drift_workflow_is_scheduled_and_may_write_issues() -> None:
    doc = _load("drift.yml")
    assert doc["on"]["schedule"][0]["cron"]
    assert doc["permissions"]["issues"] == "write"
    assert "drift-report.sh" in _run_text(doc)


def test_sharded_workflow_matrix_matches_shard_count() -> None:
    doc = _load("plan-sharded.yml")
    shards = int(doc["env"]["SHARDS"])
    plan_job = doc["jobs"]["plan"]
    assert plan_job["strategy"]["matrix"]["shard"] == list(range(1, shards + 1))
    assert plan_job["strategy"]["fail-fast"] is False
    assert '--shard "$SHARD/$SHARDS"' in _run_text({"jobs": {"plan": plan_job}})
    comment_job = doc["jobs"]["comment"]
    assert comment_job["needs"] == "plan" and comment_job["if"] == "always()"
    text = _run_text({"jobs": {"comment": comment_job}})
    assert 'seq 1 "$SHARDS"' in text and "gitops check" in text


def test_cli_has_the_options_the_scripts_use() -> None:
    """The scripts call real CLI options; a renamed flag must fail here, not in CI."""
    plan_help = subprocess.run(
        [str(VITABLE_CONFIG), "plan", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for flag in ("--format", "--out", "--detailed-exitcode", "--shard"):
        assert flag in plan_help, f"plan has no {flag}"
    apply_help = subprocess.run(
        [str(VITABLE_CONFIG), "apply", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--auto-approve" in apply_help


@pytest.mark.parametrize("name", ["plan.yml", "plan-sharded.yml", "drift.yml"])
def test_steps_that_post_to_github_can_mask_the_api_key(name: str) -> None:
    posting = [
        s
        for s in _steps(_load(name))
        if "pr-comment.sh" in str(s.get("run", "")) or "drift-report.sh" in str(s.get("run", ""))
    ]
    assert posting
    for step in posting:
        assert step["env"]["VITABLE_CONNECT_API_KEY"] == "${{ secrets.VITABLE_CONNECT_API_KEY }}"
        assert step["env"]["GH_TOKEN"] == "${{ github.token }}"


def test_force_label_reaches_plan_and_apply() -> None:
    for name in ("plan.yml", "plan-sharded.yml"):
        doc = _load(name)
        assert {"labeled", "unlabeled", "synchronize"} <= set(doc["on"]["pull_request"]["types"])
        (step,) = [s for s in _steps(doc) if "run-plan.sh" in str(s.get("run", ""))]
        assert "'vitable-config:force'" in step["env"]["FORCE"]
        assert "args+=(--force)" in step["run"]
    apply = _load("apply.yml")
    assert apply["on"]["workflow_dispatch"]["inputs"]["force"]["default"] is False
    assert "grep -qx 'vitable-config:force' reviewed/pr-labels.txt" in _run_text(apply)
    (step,) = [s for s in _steps(apply) if "apply-on-merge.sh" in str(s.get("run", ""))]
    assert "steps.fetch.outputs.force" in step["env"]["FORCE"]
