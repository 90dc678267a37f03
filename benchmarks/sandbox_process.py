"""Start ``vitable-config sandbox serve`` in a child process for a benchmark.

Benchmarks run the sandbox in its own process so that its CPU is not the client's.
Used by every script in this folder (they run as ``python benchmarks/NAME.py``, so
this module is importable as ``sandbox_process``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def start_sandbox(
    *serve_args: str, api_key: str | None = None, timeout: float = 120.0
) -> tuple[subprocess.Popen[str], str, str]:
    """Run ``vitable-config sandbox serve --port 0 SERVE_ARGS``; return (process, URL, key).

    Waits for the ``Base URL:`` and ``API key:`` lines the server prints at start-up.
    With ``api_key`` the sandbox uses that key; without, it generates one.
    """
    cmd = [sys.executable, "-m", "vitable_config", "sandbox", "serve", "--port", "0", *serve_args]
    if api_key is not None:
        cmd += ["--api-key", api_key]
    env = {**os.environ, "VITABLE_SANDBOX_API_KEY": ""}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    url = key = None
    deadline = time.monotonic() + timeout
    while (url is None or key is None) and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("Base URL: "):
            url = line.split(": ", 1)[1].strip()
        elif line.startswith("API key: "):
            key = line.split(": ", 1)[1].strip()
        elif not line and proc.poll() is not None:
            break
    if url is None or key is None:
        proc.kill()
        raise SystemExit("the sandbox did not start (no 'Base URL:' and 'API key:' lines)")
    return proc, url, key
