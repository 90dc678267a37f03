"""A plan run never formats the whole Plan with repr() (asyncio.run did, at its end,
through the repr of its main task: ~45 ms at 2,000 plan years, issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.support.cli import cli_env
from vitable_config.cli.main import main
from vitable_config.engine.model import Plan
from vitable_config.sandbox import SandboxHandle


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_plan_is_never_repr_formatted(
    fmt: str, sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in cli_env(sandbox.base_url, sandbox.api_key, tmp_path).items():
        monkeypatch.setenv(name, value)
    calls: list[int] = []
    real = Plan.__repr__

    def counting(self: Plan) -> str:
        calls.append(1)
        return real(self)

    monkeypatch.setattr(Plan, "__repr__", counting)
    assert main(["plan", str(REPO_ROOT / "examples" / "quickstart"), "--format", fmt]) == 0
    assert calls == []
