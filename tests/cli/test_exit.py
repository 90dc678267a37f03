"""The `vitable-config` process ends without the interpreter's teardown (~55 ms of
freeing pydantic, httpx, click... modules at every run, issue 15), yet exactly as
before otherwise: same exit code, every byte of output flushed, exit handlers run;
and it exits the usual way while a non-daemon thread still runs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.support.cli import cli_env, run_python
from vitable_config.sandbox import SandboxHandle

# A module-teardown marker: its __del__ runs only if the interpreter tears __main__ down.
_PROLOGUE = """
import atexit, sys, threading
class Teardown:
    def __del__(self):
        sys.stderr.write("TEARDOWN\\n")
marker = Teardown()
atexit.register(lambda: sys.stderr.write("HANDLER\\n"))
"""


def _entry(
    args: list[str], env: dict[str, str] | None = None, before: str = ""
) -> subprocess.CompletedProcess[str]:
    code = (
        f"{_PROLOGUE}{before}\nsys.argv = ['vitable-config', *{args!r}]\n"
        "from vitable_config.cli.main import entry\nentry()\n"
    )
    return run_python(code, env=env)


def test_a_plan_process_skips_teardown_but_flushes_everything_and_runs_exit_handlers(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    env = cli_env(sandbox.base_url, sandbox.api_key, tmp_path)
    done = _entry(
        [
            "plan",
            str(REPO_ROOT / "examples" / "quickstart"),
            "--format",
            "json",
            "--detailed-exitcode",
        ],
        env,
    )
    assert done.returncode == 2, done.stderr  # creates pending
    assert json.loads(done.stdout)["summary"]["create"] > 0  # the whole document, flushed
    assert "HANDLER" in done.stderr
    assert "TEARDOWN" not in done.stderr


def test_the_exit_code_of_a_usage_error_is_kept() -> None:
    done = _entry(["plan", "--no-such-flag", "examples/quickstart"])
    assert done.returncode == 1
    assert "No such option" in done.stderr and "HANDLER" in done.stderr


def test_a_running_non_daemon_thread_means_the_usual_exit() -> None:
    started = "stop = threading.Event()\nthreading.Thread(target=stop.wait, args=(2,)).start()\n"
    done = _entry(["--version"], before=started)
    assert done.returncode == 0
    assert "vitable-config" in done.stdout
    assert "HANDLER" in done.stderr and "TEARDOWN" in done.stderr


def test_under_a_profiler_it_exits_the_usual_way_so_the_profiler_can_report() -> None:
    """``python -m cProfile -m vitable_config`` / ``pyinstrument -m vitable_config``
    write their report after the program returns: ending the process early lost it."""
    before = "import cProfile\n_profiler = cProfile.Profile()\n_profiler.enable()\n"
    done = _entry(["validate", str(REPO_ROOT / "examples" / "quickstart")], before=before)
    assert done.returncode == 0, done.stderr
    assert "HANDLER" in done.stderr
    assert "TEARDOWN" in done.stderr  # the usual exit: the profiler would report here
