"""actionlint over every example workflow and the composite action (action.yml).

The workflows are linted as they would run in a user's repository: a copy of
action.yml at the repository root and the workflows in .github/workflows/, with
`uses: OWNER/vitable-config@VITABLE_CONFIG_SHA` pointing at that local action
(`uses: ./`), so that actionlint also checks every `with:` against the action's
inputs. The action's own steps are linted as the steps of a workflow whose
inputs are the action's inputs, so an expression naming a missing input fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.gitops.gitops_support import EXAMPLES, REPO_ROOT

WORKFLOWS = sorted(EXAMPLES.glob("*.yml"))
ACTION = REPO_ROOT / "action.yml"
OWN_ACTION = "OWNER/vitable-config@VITABLE_CONFIG_SHA"


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint"
    )
    if found is None:  # the test extra installs it; never pass silently without it
        pytest.fail("actionlint is not installed: pip install -e '.[test]'")
    return found


def _lint(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_actionlint(), "-no-color", "-shellcheck=", "-pyflakes="],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _user_repo(tmp_path: Path, workflows: dict[str, str], action_text: str) -> Path:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "action.yml").write_text(action_text)
    for name, text in workflows.items():
        (repo / ".github" / "workflows" / name).write_text(text.replace(OWN_ACTION, "./"))
    return repo


def _action_as_workflow(action: dict[str, Any]) -> str:
    """The action's steps as one job, its inputs as workflow_dispatch inputs."""
    inputs = {
        name: {"type": "string", "description": spec.get("description", name)}
        for name, spec in action["inputs"].items()
    }
    workflow = {
        "name": "action steps",
        "on": {"workflow_dispatch": {"inputs": inputs}},
        "jobs": {
            "action": {
                "runs-on": "ubuntu-latest",
                "timeout-minutes": 5,
                "steps": action["runs"]["steps"],
            }
        },
    }
    return yaml.safe_dump(workflow, sort_keys=False)


def _load_action(text: str) -> dict[str, Any]:
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict)
    return doc


def test_every_workflow_and_the_action_pass_actionlint(tmp_path: Path) -> None:
    assert {p.name for p in WORKFLOWS} >= {"plan.yml", "apply.yml", "drift.yml"}
    action_text = ACTION.read_text()
    workflows = {p.name: p.read_text() for p in WORKFLOWS}
    workflows["action-steps.yml"] = _action_as_workflow(_load_action(action_text))
    result = _lint(_user_repo(tmp_path, workflows, action_text))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("name", "old", "new", "finding"),
    [
        # A `with:` key the action does not have.
        ("plan.yml", "config-dir: config/", "config-dirs: config/", 'input "config-dirs"'),
        # An expression on a context that does not exist.
        ("drift.yml", "secrets.VITABLE_CONNECT_PLAN_API_KEY", "secret.KEY", "secret"),
        # A step output that no step defines.
        ("apply.yml", "steps.fetch.outputs", "steps.fetched.outputs", "fetched"),
        # A malformed cron.
        ("drift.yml", '"17 6 * * 1-5"', '"17 6 * *"', "cron"),
    ],
)
def test_a_broken_workflow_fails_actionlint(
    tmp_path: Path, name: str, old: str, new: str, finding: str
) -> None:
    workflows = {p.name: p.read_text() for p in WORKFLOWS}
    assert old in workflows[name]
    workflows[name] = workflows[name].replace(old, new, 1)
    result = _lint(_user_repo(tmp_path, workflows, ACTION.read_text()))
    assert result.returncode == 1
    assert name in result.stdout and finding in result.stdout, result.stdout


def test_a_broken_action_fails_actionlint(tmp_path: Path) -> None:
    action = _load_action(ACTION.read_text())
    run = next(s for s in action["runs"]["steps"] if s.get("id") == "run")
    run["env"]["INPUT_FORCE"] = "${{ inputs.forse }}"  # a typo'd input name
    result = _lint(_user_repo(tmp_path, {"action-steps.yml": _action_as_workflow(action)}, ""))
    assert result.returncode == 1
    assert "forse" in result.stdout, result.stdout
