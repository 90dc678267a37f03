"""The pre-commit hook: its manifest, and its command run the way pre-commit runs it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.gitops.gitops_support import BIN_DIR, REPO_ROOT

HOOKS_FILE = REPO_ROOT / ".pre-commit-hooks.yaml"
QUICKSTART = REPO_ROOT / "examples" / "quickstart"
ROLLOUT = REPO_ROOT / "examples" / "rollout"


def _hook() -> dict[str, Any]:
    hooks = yaml.safe_load(HOOKS_FILE.read_text())
    assert isinstance(hooks, list)
    (hook,) = [h for h in hooks if h["id"] == "vitable-config-validate"]
    return hook


def test_manifest_has_what_pre_commit_requires() -> None:
    hook = _hook()
    for key in ("id", "name", "entry", "language"):
        assert isinstance(hook[key], str) and hook[key]
    assert hook["language"] == "python"
    assert shlex.split(hook["entry"]) == ["vitable-config", "validate"]
    # validate must see the whole directory, never single changed files.
    assert hook["pass_filenames"] is False
    assert hook["args"] == ["config/"]
    files = re.compile(hook["files"])
    for name in ("config/vitable.yaml", "config/employers/acme.yml", "config/employers.csv"):
        assert files.search(name), name
    for name in ("src/app.py", "README.md", "config/notes.txt"):
        assert not files.search(name), name


def _run_like_pre_commit(repo: Path, extra_files: list[str]) -> subprocess.CompletedProcess[str]:
    """pre-commit runs `entry + args`, plus the filenames only if pass_filenames."""
    hook = _hook()
    argv = shlex.split(hook["entry"]) + list(hook.get("args", []))
    if hook.get("pass_filenames", True):
        argv += extra_files
    env = dict(os.environ)
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VITABLE_CONNECT_API_KEY", None)  # the hook needs no API key
    return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("example", [QUICKSTART, ROLLOUT], ids=["quickstart", "rollout"])
def test_hook_passes_on_a_good_config(tmp_path: Path, example: Path) -> None:
    shutil.copytree(example, tmp_path / "config")
    result = _run_like_pre_commit(tmp_path, ["config/vitable.yaml"])
    assert result.returncode == 0, result.stderr


def test_hook_fails_on_a_bad_config_with_file_and_line(tmp_path: Path) -> None:
    shutil.copytree(QUICKSTART, tmp_path / "config")
    path = tmp_path / "config" / "vitable.yaml"
    path.write_text(path.read_text().replace("employer: 2400}", "employr: 2400}", 1))
    result = _run_like_pre_commit(tmp_path, ["config/vitable.yaml"])
    assert result.returncode == 1
    assert re.search(r"config/vitable\.yaml:\d+:\d+: error: unknown key 'employr'", result.stderr)
    assert "Traceback" not in result.stderr


@pytest.mark.full
def test_real_pre_commit_try_repo(tmp_path: Path) -> None:
    """`pre-commit try-repo` with this repository (installs it from the package index)."""
    pre_commit = shutil.which("pre-commit") or str(BIN_DIR / "pre-commit")
    if not Path(pre_commit).exists():
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    repo = tmp_path / "user-repo"
    shutil.copytree(QUICKSTART, repo / "config")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pc-home"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=repo, check=True)
    argv = [pre_commit, "try-repo", str(REPO_ROOT), "vitable-config-validate", "--all-files"]
    good = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
    path = repo / "config" / "vitable.yaml"
    path.write_text(path.read_text().replace("employer: 2400}", "employr: 2400}", 1))
    bad = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert bad.returncode == 1
    assert "config/vitable.yaml:" in bad.stdout
