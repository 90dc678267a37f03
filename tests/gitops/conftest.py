"""Fixtures for running the workflow scripts locally with a fake `gh`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitops.gitops_support import BIN_DIR, SCRIPTS, VITABLE_CONFIG, FakeGitHub, ScriptRunner


@pytest.fixture
def fake_gh(tmp_path: Path) -> FakeGitHub:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    fake = Path(__file__).with_name("fake_gh.py")
    gh.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{fake}" "$@"\n')
    gh.chmod(0o755)
    state = tmp_path / "gh-state"
    state.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "VITABLE_CONNECT_", "RUNNER_"))
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        FAKE_GH_DIR=str(state),
        FAKE_GH_LOG=str(tmp_path / "gh-calls.jsonl"),
        GITHUB_REPOSITORY="acme/benefits",
        PYTHON=sys.executable,
        VITABLE_CONFIG=str(VITABLE_CONFIG),
    )
    return FakeGitHub(state=state, log=tmp_path / "gh-calls.jsonl", env=env)


@pytest.fixture
def run_script(fake_gh: FakeGitHub) -> ScriptRunner:
    def run(
        name: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        full_env = dict(fake_gh.env)
        full_env.update(env or {})
        return subprocess.run(
            ["bash", str(SCRIPTS / name), *args],
            env=full_env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run
