"""`plan` imports only what a plan uses (start-up time is part of every run, issue 15).

A real `vitable-config plan` runs in its own process against the sandbox over
loopback HTTP; afterwards the process reports which modules it had loaded. The
export/factor/import engine, the apply engine, saved plans (without ``--out``),
the Markdown renderer, the policy engine (the quick start declares no policies),
the cost report (without ``--headcount``), deepdiff (needed only for a
contribution class that differs) and aiolimiter (only for ``--rate-limit``) must not
be among them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.support.cli import cli_env, run_python
from vitable_config.cli.main import main
from vitable_config.sandbox import SandboxHandle

QUICKSTART = REPO_ROOT / "examples" / "quickstart"

NOT_FOR_A_PLAN = (
    "aiolimiter",  # only for --rate-limit (it imports importlib.metadata)
    "deepdiff",
    "vitable_config.engine.apply",
    "vitable_config.engine.export",
    "vitable_config.engine.factor",
    "vitable_config.engine.importer",
    "vitable_config.engine.saved",
    "vitable_config.engine.render.markdown",
    "vitable_config.policy.cost",
    "vitable_config.policy.evaluate",
    "vitable_config.policy.rules",
    "vitable_config.cli.embedded",
)

_RUN_AND_REPORT = """
import json, sys
from vitable_config.cli.main import main
code = main(sys.argv[1:])
print("\\nMODULES " + json.dumps(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def _loaded(modules: set[str]) -> list[str]:
    """The names of NOT_FOR_A_PLAN loaded (a package or any of its submodules)."""
    return [m for m in NOT_FOR_A_PLAN if any(x == m or x.startswith(f"{m}.") for x in modules)]


def _plan_modules(args: list[str], env: dict[str, str]) -> tuple[int, str, set[str]]:
    done = run_python(_RUN_AND_REPORT, ["plan", *args], env)
    line = next(x for x in done.stderr.splitlines() if x.startswith("MODULES "))
    return done.returncode, done.stdout, set(json.loads(line.removeprefix("MODULES ")))


def test_an_in_sync_plan_loads_no_export_apply_or_diff_machinery(
    sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = cli_env(sandbox.base_url, sandbox.api_key, tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    applied = main(["apply", str(QUICKSTART), "--base-url", sandbox.base_url, "--auto-approve"])
    assert applied == 0

    code, out, modules = _plan_modules(
        [str(QUICKSTART), "--format", "json", "--detailed-exitcode"], env
    )
    assert code == 0, out  # in sync
    assert json.loads(out)["summary"]["unchanged"] > 0
    assert _loaded(modules) == []


def test_a_plan_with_creates_in_text_loads_neither(sandbox: SandboxHandle, tmp_path: Path) -> None:
    env = cli_env(sandbox.base_url, sandbox.api_key, tmp_path)
    code, out, modules = _plan_modules([str(QUICKSTART), "--detailed-exitcode"], env)
    assert code == 2, out  # creates pending
    assert "+ create" in out
    assert _loaded(modules) == []


def test_saving_the_plan_still_works_and_loads_saved_plans_only_then(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    env = cli_env(sandbox.base_url, sandbox.api_key, tmp_path)
    out_file = tmp_path / "plan.json"
    code, _out, modules = _plan_modules([str(QUICKSTART), "--out", str(out_file)], env)
    assert code == 0
    assert json.loads(out_file.read_text())["format_version"] == 1
    assert "vitable_config.engine.saved" in modules


def test_the_plan_options_default_concurrency_is_the_apply_engines() -> None:
    from vitable_config.cli.options import DEFAULT_CONCURRENCY
    from vitable_config.engine.apply import DEFAULT_CONCURRENCY as ENGINE_DEFAULT

    assert DEFAULT_CONCURRENCY == ENGINE_DEFAULT
