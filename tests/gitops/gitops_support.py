"""Helpers for running the workflow scripts locally with a fake `gh` (see fake_gh.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples" / "github-actions"
SCRIPTS = EXAMPLES / "scripts"
BIN_DIR = Path(sys.executable).parent
VITABLE_CONFIG = BIN_DIR / "vitable-config"


@dataclass
class FakeGitHub:
    """The fake `gh`'s state directory and call log."""

    state: Path
    log: Path
    env: dict[str, str]

    def set(self, name: str, value: Any) -> None:
        text = value if isinstance(value, str) else json.dumps(value)
        (self.state / name).write_text(text, encoding="utf-8")

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def writes(self) -> list[dict[str, Any]]:
        """Calls that change something on GitHub (POST / PATCH)."""
        return [c for c in self.calls() if "--method" in c["argv"]]


ScriptRunner = Callable[..., subprocess.CompletedProcess[str]]


def make_rundir(
    base: Path, name: str, *, code: int | None, markdown: str = "", log: str = ""
) -> Path:
    """A run directory as run-plan.sh writes it."""
    d = base / name
    d.mkdir(parents=True)
    if code is not None:
        (d / "exit-code").write_text(f"{code}\n")
    (d / "plan.md").write_text(markdown)
    (d / "stderr.log").write_text(log)
    return d
