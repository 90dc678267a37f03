"""A CLI run collects cyclic garbage less often (issue 15: a 2,000-plan-year plan
spent ~12% of its CPU in the collector at Python's default threshold of 700), a plan
not at all, and the caller gets its own collector settings back afterwards."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.support.cli import cli_env
from vitable_config.cli.main import main
from vitable_config.engine import planner
from vitable_config.sandbox import SandboxHandle


def test_a_plan_runs_with_the_raised_threshold_and_restores_the_callers(
    sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in cli_env(sandbox.base_url, sandbox.api_key, tmp_path).items():
        monkeypatch.setenv(name, value)
    seen: list[tuple[int, int, int]] = []
    enabled: list[bool] = []
    real = planner.build_plan

    def build_plan(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_threshold())  # while the plan command runs
        enabled.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(planner, "build_plan", build_plan)
    caller = gc.get_threshold()
    gc.set_threshold(700, caller[1], caller[2])
    try:
        code = main(["plan", str(REPO_ROOT / "examples" / "quickstart"), "--format", "json"])
        after = gc.get_threshold()
    finally:
        gc.set_threshold(*caller)
    assert code == 0
    assert len(seen) == 1
    assert seen[0][0] >= 10_000, seen
    assert after == (700, caller[1], caller[2])
    assert enabled == [False]
    assert gc.isenabled()
