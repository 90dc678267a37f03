"""Per dialect, the CLI against `vitable-config sandbox serve --dialect …` in its own
process (the other dialect tests use the in-process sandbox): the quick start (plan
exits 2, apply, plan exits 0), a saved plan recording the dialect auto picked, and
export then plan = no changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.e2e_support import REPO, run_cli
from tests.sandbox.helpers import serve_process

QUICKSTART = REPO / "examples" / "quickstart"
SEED = REPO / "examples" / "sandbox-seed.yaml"


@pytest.mark.parametrize("dialect", ["2025-12", "2026-02"])
def test_quick_start_against_a_served_sandbox_of_each_dialect(dialect: str, tmp_path: Path) -> None:
    served = ("--dialect", dialect, "--today", "2026-12-20", "--seed", str(SEED))
    with serve_process(*served, env={"VITABLE_SANDBOX_API_KEY": ""}) as (url, key, _proc):
        args = ["--base-url", url, "--api-key", key]  # --api-dialect: auto (the default)
        saved = tmp_path / "plan.json"
        first = run_cli(["plan", QUICKSTART, "--detailed-exitcode", "--out", saved, *args])
        assert first.code == 2, first.out + first.err
        assert json.loads(saved.read_text())["api_dialect"] == dialect  # auto picked it
        applied = run_cli(["apply", saved, "--auto-approve", *args])
        assert applied.code == 0, applied.out + applied.err
        assert "Apply: 2 created, 0 updated, 0 failed, 0 skipped" in applied.out
        again = run_cli(["plan", QUICKSTART, "--detailed-exitcode", *args])
        assert again.code == 0, again.out + again.err

        exported = tmp_path / "exported"
        assert run_cli(["export", "-o", exported, *args]).code == 0
        replan = run_cli(["plan", exported, "--detailed-exitcode", *args])
        assert replan.code == 0, replan.out + replan.err
