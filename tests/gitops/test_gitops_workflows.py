"""The example workflows and the composite action: structure, pins, secrets, wiring."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.gitops.gitops_support import EXAMPLES, REPO_ROOT, SCRIPTS, VITABLE_CONFIG

WORKFLOWS = ["plan.yml", "apply.yml", "drift.yml", "plan-sharded.yml"]
ACTION = REPO_ROOT / "action.yml"
OWN_ACTION = "OWNER/vitable-config@VITABLE_CONFIG_SHA"
FULL_SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
# The published commits of the tags the kit uses (checked against public workflows that
# pin them with the tag in a comment).
KNOWN_PINS = {
    "actions/checkout": ("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "actions/download-artifact": ("d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"),
}
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*))?$")


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict)
    if True in doc:  # YAML 1.1 reads the key `on` as a boolean
        doc["on"] = doc.pop(True)
    return doc


def _workflow(name: str) -> dict[str, Any]:
    return _load(EXAMPLES / name)


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def _own_steps(doc: dict[str, Any], command: str | None = None) -> list[dict[str, Any]]:
    return [
        s
        for s in _steps(doc)
        if s.get("uses") == OWN_ACTION and (command is None or s["with"]["command"] == command)
    ]


def _uses_lines(path: Path) -> list[tuple[str, str | None]]:
    out = []
    for line in path.read_text().splitlines():
        m = USES_LINE.match(line)
        if m:
            out.append((m["ref"], m["comment"]))
    return out


@pytest.mark.parametrize("name", WORKFLOWS)
def test_workflow_parses_and_runs_only_through_the_action(name: str) -> None:
    doc = _workflow(name)
    assert doc["name"].startswith("vitable-config")
    assert doc["on"], "workflow has no trigger"
    text = (EXAMPLES / name).read_text()
    assert "pip install" not in text, "the action installs vitable-config; no index release"
    assert ".github/vitable-config" not in text, "no scripts to copy any more"
    for job in doc["jobs"].values():
        assert job["runs-on"] and job["steps"]
        assert job.get("timeout-minutes"), "every job needs a timeout"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
    assert _own_steps(doc), "workflow does not use the vitable-config action"


@pytest.mark.parametrize("path", [*(EXAMPLES / n for n in WORKFLOWS), ACTION], ids=lambda p: p.name)
def test_third_party_actions_are_pinned_by_full_sha_with_the_tag(path: Path) -> None:
    uses = _uses_lines(path)
    assert uses
    for ref, comment in uses:
        if ref == OWN_ACTION:
            continue
        assert FULL_SHA_PIN.match(ref), f"{path.name}: {ref} is not pinned by a full commit SHA"
        repo, sha = ref.split("@")
        assert repo in KNOWN_PINS, f"{path.name}: unexpected third-party action {repo}"
        assert (sha, comment) == KNOWN_PINS[repo], f"{path.name}: {ref} # {comment}"


@pytest.mark.parametrize("name", WORKFLOWS)
def test_workflow_starts_with_the_schema_modeline(name: str) -> None:
    first = (EXAMPLES / name).read_text().splitlines()[0]
    assert first == (
        "# yaml-language-server: $schema=https://json.schemastore.org/github-workflow.json"
    )


def _secrets_used(doc: dict[str, Any]) -> set[str]:
    return set(re.findall(r"secrets\.([A-Z0-9_]+)", yaml.safe_dump(doc)))


def test_the_apply_key_lives_only_in_the_protected_environment() -> None:
    apply = _workflow("apply.yml")
    (job,) = apply["jobs"].values()
    assert job["environment"] == "production"
    assert _secrets_used(apply) == {"VITABLE_CONNECT_API_KEY"}
    (step,) = _own_steps(apply, "apply")
    assert step["with"]["api-key"] == "${{ secrets.VITABLE_CONNECT_API_KEY }}"
    # Everything that runs pull-request code (or only reads) uses the separate plan key.
    for name in ("plan.yml", "plan-sharded.yml", "drift.yml"):
        assert _secrets_used(_workflow(name)) == {"VITABLE_CONNECT_PLAN_API_KEY"}, name
    text = (EXAMPLES / "plan.yml").read_text()
    assert "no read-only key" in text  # says so where the API does not offer one


def test_action_installs_from_its_own_commit() -> None:
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    runs = [s.get("run", "") for s in action["runs"]["steps"]]
    assert 'python -m pip install --disable-pip-version-check "$GITHUB_ACTION_PATH"' in runs
    (run_step,) = [s for s in action["runs"]["steps"] if s.get("id") == "run"]
    assert "examples/github-actions/scripts/action-run.sh" in run_step["run"]
    assert (SCRIPTS / "action-run.sh").is_file()
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
    # Every input reaches the script, under the name action-run.sh reads.
    env = run_step["env"]
    script = (SCRIPTS / "action-run.sh").read_text()
    for name in action["inputs"]:
        if name in ("api-key", "github-token", "python-version", "install"):
            continue
        var = "INPUT_" + name.upper().replace("-", "_")
        assert env[var] == f"${{{{ inputs.{name} }}}}", name
        assert var in script, f"action-run.sh never reads {var}"
    assert env["VITABLE_CONNECT_API_KEY"] == "${{ inputs.api-key }}"
    assert env["GH_TOKEN"] == "${{ inputs.github-token }}"


def test_every_script_the_action_runs_exists_and_parses() -> None:
    script = (SCRIPTS / "action-run.sh").read_text()
    called = set(re.findall(r'"\$here/([A-Za-z0-9_.-]+\.sh)"', script))
    assert called >= {
        "run-plan.sh",
        "drift-report.sh",
        "pr-comment.sh",
        "fetch-pr-plan.sh",
        "apply-on-merge.sh",
        "lib.sh",
    }
    for name in called | {"action-run.sh"}:
        check = subprocess.run(["bash", "-n", str(SCRIPTS / name)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


def test_plan_workflow_comments_uploads_and_checks() -> None:
    doc = _workflow("plan.yml")
    assert "pull_request" in doc["on"]
    assert doc["permissions"]["pull-requests"] == "write"
    steps = _steps(doc)
    names = [s.get("name", s.get("uses", "")) for s in steps]
    plan_i = names.index("Validate and plan")
    comment_i = names.index("Update the plan comment")
    upload_i = names.index("Upload the saved plan")
    check_i = next(i for i, n in enumerate(names) if n.startswith("Check"))
    assert plan_i < comment_i < upload_i < check_i
    assert steps[plan_i]["with"]["command"] == "plan"
    assert steps[comment_i]["with"]["command"] == "comment"
    assert steps[check_i]["with"]["command"] == "check"
    # The comment, upload and check run even when an earlier step failed.
    for i in (comment_i, upload_i, check_i):
        assert steps[i]["if"].startswith("always()")
    assert steps[upload_i]["with"]["name"] == "vitable-plan"
    assert steps[upload_i]["with"]["path"] == "out/"
    assert steps[plan_i]["with"]["output-dir"] == "out"
    # run-plan.sh validates, then plans with the flags the workflow relies on.
    script = (SCRIPTS / "run-plan.sh").read_text()
    assert script.index('"$VITABLE_CONFIG" validate') < script.index('"$VITABLE_CONFIG" plan')
    for flag in ("--format markdown", "--out", "--detailed-exitcode"):
        assert flag in script


def test_apply_workflow_never_runs_two_applies_at_once() -> None:
    doc = _workflow("apply.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    assert doc["concurrency"]["cancel-in-progress"] is False
    assert doc["on"]["workflow_dispatch"]["inputs"]["on_stale"]["options"] == ["replan", "fail"]
    (fetch,) = _own_steps(doc, "fetch-plan")
    (apply,) = _own_steps(doc, "apply")
    # The artifact it fetches is the one plan.yml uploads.
    assert (fetch["with"]["plan-workflow"], fetch["with"]["artifact"]) == (
        "plan.yml",
        "vitable-plan",
    )
    assert apply["with"]["saved-plan"] == "${{ steps.fetch.outputs.saved-plan }}"
    assert "steps.fetch.outputs.force" in apply["with"]["force"]


def test_drift_workflow_is_scheduled_may_write_issues_and_ignores_the_cap() -> None:
    doc = _workflow("drift.yml")
    assert doc["on"]["schedule"][0]["cron"]
    assert doc["permissions"]["issues"] == "write"
    assert _own_steps(doc, "drift")
    script = (SCRIPTS / "action-run.sh").read_text()
    drift_branch = script[script.index("  drift)") : script.index("  comment)")]
    assert "plan_into --force" in drift_branch and "drift-report.sh" in drift_branch


def test_sharded_workflow_matrix_matches_shard_count() -> None:
    doc = _workflow("plan-sharded.yml")
    shards = int(doc["env"]["SHARDS"])
    plan_job = doc["jobs"]["plan"]
    assert plan_job["strategy"]["matrix"]["shard"] == list(range(1, shards + 1))
    assert plan_job["strategy"]["fail-fast"] is False
    (plan,) = _own_steps({"jobs": {"plan": plan_job}}, "plan")
    assert plan["with"]["args"] == "--shard ${{ matrix.shard }}/${{ env.SHARDS }}"
    comment_job = doc["jobs"]["comment"]
    assert comment_job["needs"] == "plan" and comment_job["if"] == "always()"
    for command in ("comment", "check"):
        (step,) = _own_steps({"jobs": {"comment": comment_job}}, command)
        assert step["with"]["shards"] == "${{ env.SHARDS }}"
        assert step["with"]["output-dir"] == "shards"


def test_cli_has_the_options_the_scripts_use() -> None:
    """The scripts call real CLI options; a renamed flag must fail here, not in CI."""
    plan_help = subprocess.run(
        [str(VITABLE_CONFIG), "plan", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for flag in ("--format", "--out", "--detailed-exitcode", "--shard", "--force"):
        assert flag in plan_help, f"plan has no {flag}"
    apply_help = subprocess.run(
        [str(VITABLE_CONFIG), "apply", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--auto-approve" in apply_help


@pytest.mark.parametrize("name", ["plan.yml", "plan-sharded.yml", "drift.yml"])
def test_steps_that_post_to_github_can_mask_the_api_key(name: str) -> None:
    posting = [*_own_steps(_workflow(name), "comment"), *_own_steps(_workflow(name), "drift")]
    assert posting
    for step in posting:
        assert step["with"]["api-key"] == "${{ secrets.VITABLE_CONNECT_PLAN_API_KEY }}"
        assert step["with"]["github-token"] == "${{ github.token }}"


def test_force_label_reaches_plan_and_apply() -> None:
    for name in ("plan.yml", "plan-sharded.yml"):
        doc = _workflow(name)
        assert {"labeled", "unlabeled", "synchronize"} <= set(doc["on"]["pull_request"]["types"])
        (step,) = _own_steps(doc, "plan")
        assert "'vitable-config:force'" in step["with"]["force"]
    apply = _workflow("apply.yml")
    assert apply["on"]["workflow_dispatch"]["inputs"]["force"]["default"] is False
    script = (SCRIPTS / "action-run.sh").read_text()
    assert "grep -qx 'vitable-config:force' \"$out/pr-labels.txt\"" in script
