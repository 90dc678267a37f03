"""Live plan years are fingerprinted only when something reads the fingerprints (the
JSON plan, a saved plan, apply), not for a text plan (issue 15: 2,000 fingerprints
cost ~70 ms); the values are the same whenever they are written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.support.cli import cli_env
from vitable_config.cli.main import main
from vitable_config.engine import live as live_module
from vitable_config.engine import planner
from vitable_config.sandbox import SandboxHandle

QUICKSTART = str(REPO_ROOT / "examples" / "quickstart")


@pytest.fixture
def counted(
    sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], int]:
    for name, value in cli_env(sandbox.base_url, sandbox.api_key, tmp_path).items():
        monkeypatch.setenv(name, value)
    assert main(["apply", QUICKSTART, "--auto-approve"]) == 0  # live plan years to read
    calls: list[str] = []

    def fingerprint(plan_year: Any) -> str:
        calls.append(plan_year.id)
        return live_module.fingerprint(plan_year)

    monkeypatch.setattr(planner, "fingerprint", fingerprint)
    return lambda: len(calls)


def test_a_text_plan_fingerprints_nothing(
    counted: Callable[[], int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", QUICKSTART]) == 0
    err = capsys.readouterr().err
    assert counted() == 0, err


def test_the_json_plan_and_a_saved_plan_have_every_fingerprint(
    counted: Callable[[], int], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["plan", QUICKSTART, "--format", "json", "--out", str(tmp_path / "p.json")]) == 0
    printed = json.loads(capsys.readouterr().out)["fingerprints"]
    saved = json.loads((tmp_path / "p.json").read_text())["fingerprints"]
    assert printed and printed == saved
    assert counted() == len(printed)  # each live plan year once
    assert all(len(v) == 64 for v in printed.values())
