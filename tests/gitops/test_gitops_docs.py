"""The guides: links resolve, and the Python API example runs against the sandbox."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitops.gitops_support import REPO_ROOT
from vitable_config.sandbox import SandboxHandle

DOCS = REPO_ROOT / "docs"
GUIDES = sorted((DOCS / "guide").glob("*.md"))
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
EXPECTED_GUIDES = {
    "adopt.md",
    "rollout.md",
    "change-contributions.md",
    "blocked.md",
    "ci.md",
    "sharding.md",
    "python-api.md",
    "shell-completion.md",
}


def test_every_guide_exists_and_is_in_the_index() -> None:
    assert {g.name for g in GUIDES} >= EXPECTED_GUIDES
    index = (DOCS / "README.md").read_text()
    for guide in GUIDES:
        assert f"(guide/{guide.name})" in index, f"docs/README.md does not link {guide.name}"


@pytest.mark.parametrize("doc", [DOCS / "README.md", *GUIDES], ids=lambda p: p.name)
def test_relative_links_resolve(doc: Path) -> None:
    for target in LINK.findall(doc.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert (doc.parent / target).exists(), f"{doc.name}: broken link {target}"


def _python_block(doc: Path) -> str:
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.S)
    assert len(blocks) == 1, "python-api.md should have exactly one runnable script"
    return blocks[0]


def test_python_api_example_runs_against_the_sandbox(
    tmp_path: Path, sandbox: SandboxHandle
) -> None:
    (tmp_path / "reconcile.py").write_text(_python_block(DOCS / "guide" / "python-api.md"))
    shutil.copytree(REPO_ROOT / "examples" / "quickstart", tmp_path / "config")
    env = dict(os.environ)
    env.update(VITABLE_CONNECT_BASE_URL=sandbox.base_url, VITABLE_CONNECT_API_KEY=sandbox.api_key)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "reconcile.py"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    first = run()
    assert first.returncode == 0, first.stderr
    assert "{'create': 2, 'update': 0, 'blocked': 0" in first.stdout
    assert "Apply: 2 created, 0 updated, 0 failed, 0 skipped" in first.stdout
    assert sandbox.write_count() == 2
    second = run()
    assert second.returncode == 0, second.stderr
    assert "'unchanged': 2" in second.stdout
    assert sandbox.write_count() == 2

    path = tmp_path / "config" / "vitable.yaml"
    path.write_text(path.read_text().replace("employer: 2400}", "employr: 2400}", 1))
    broken = run()
    assert broken.returncode == 1
    assert re.search(r"config/vitable\.yaml:\d+:\d+: error: unknown key 'employr'", broken.stderr)
    assert "Traceback" not in broken.stderr
    assert sandbox.api_key not in first.stdout + second.stdout + broken.stderr
