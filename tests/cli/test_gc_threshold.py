"""A CLI run collects cyclic garbage less often (issue 15: a 2,000-plan-year plan
spent ~12% of its CPU in the collector at Python's default threshold of 700), and
gives the caller its own threshold back afterwards."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.support.cli import cli_env
from vitable_config.cli.main import main
from vitable_config.sandbox import SandboxHandle


def test_a_plan_runs_with_the_raised_threshold_and_restores_the_callers(
    sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in cli_env(sandbox.base_url, sandbox.api_key, tmp_path).items():
        monkeypatch.setenv(name, value)
    seen: list[tuple[int, int, int]] = []

    def record(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(gc.get_threshold())

    caller = gc.get_threshold()
    gc.set_threshold(700, caller[1], caller[2])
    gc.callbacks.append(record)
    try:
        code = main(["plan", str(REPO_ROOT / "examples" / "quickstart"), "--format", "json"])
        # The last one may start as main() returns, once the caller's 700 is back.
        during = seen[:-1]
        after = gc.get_threshold()
    finally:
        gc.callbacks.remove(record)
        gc.set_threshold(*caller)
    assert code == 0
    assert during, "a plan allocates enough to start at least one collection"
    assert min(t[0] for t in during) >= 10_000, during[:3]
    assert after == (700, caller[1], caller[2])
