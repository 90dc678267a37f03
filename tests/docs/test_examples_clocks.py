"""The quick start and the rollout example plan alike on any date to the end of 2030.

The README's first commands, under the sandbox clocks of the issue: the first plan
creates drafts with no warning, the apply creates them all, and the re-plan is clean.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VITABLE_CONFIG = Path(sys.executable).parent / "vitable-config"
CLOCKS = ["2026-12-20", "2027-06-30", "2030-11-30"]


def _run(cwd: Path, today: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VITABLE_")}
    env.update(VITABLE_SANDBOX_TODAY=today, NO_COLOR="1")
    return subprocess.run(
        [str(VITABLE_CONFIG), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )


@pytest.mark.parametrize("today", CLOCKS)
def test_first_run_has_no_warning_on_any_clock(tmp_path: Path, today: str) -> None:
    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples")
    first = _run(tmp_path, today, "plan", "examples/quickstart", "--sandbox")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Plan: 2 to create, 0 to update, 0 blocked, 0 unchanged")
    assert "warning" not in (first.stdout + first.stderr).lower()

    applied = _run(tmp_path, today, "apply", "examples/quickstart", "--sandbox", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert "Apply: 2 created, 0 updated, 0 failed, 0 skipped" in applied.stdout
    again = _run(tmp_path, today, "plan", "examples/quickstart", "--sandbox", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr

    rollout = _run(tmp_path, today, "plan", "examples/rollout", "--sandbox", "--detailed-exitcode")
    assert rollout.returncode == 2, rollout.stderr
    assert rollout.stdout.startswith("Plan: 36 to create, 0 to update, 0 blocked, 0 unchanged")
    assert "warning" not in (rollout.stdout + rollout.stderr).lower()
    assert "blocked:" not in rollout.stdout
