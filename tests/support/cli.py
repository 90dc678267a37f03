"""Run ``vitable-config`` as a real subprocess (its own process, signals, terminal)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CLI = [sys.executable, "-m", "vitable_config"]


def cli_env(
    base_url: str, api_key: str, cache_dir: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment for a CLI subprocess: the API via env vars, its own cache dir (the
    local apply lock lives there: one cache dir = one "machine")."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VITABLE_")}
    env.update(
        {
            "VITABLE_CONNECT_BASE_URL": base_url,
            "VITABLE_CONNECT_API_KEY": api_key,
            "XDG_CACHE_HOME": str(cache_dir),
            "NO_COLOR": "1",
        }
    )
    env.update(extra or {})
    return env


@dataclass
class Finished:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def start(
    args: Sequence[object], env: Mapping[str, str], cwd: Path | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *(str(a) for a in args)],
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> Finished:
    out, err = proc.communicate(timeout=timeout)
    return Finished(proc.returncode, out, err)


def run(args: Sequence[object], env: Mapping[str, str], timeout: float = 120) -> Finished:
    return finish(start(args, env), timeout)


def run_python(
    code: str, args: Sequence[str] = (), env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -c CODE ARGS...`` in a fresh interpreter from the repository root,
    output captured (for tests of what a whole process does: imports, exit)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=None if env is None else dict(env),
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
        check=False,
    )
