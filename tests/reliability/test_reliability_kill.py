"""SIGKILL ``vitable-config apply`` mid-run; a re-run converges with zero duplicates.

The sandbox runs in its own process (``sandbox serve --state FILE --latency-ms``),
``apply`` runs as a subprocess with the key and URL in its environment, and the
kill lands when the sandbox's database holds a seeded random number of the new
plan years (so every kill is mid-flight, with requests in the air). After each
kill, ``apply`` runs again to completion; the database must then equal the
desired state exactly.
"""

from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path

import pytest

from tests.reliability.rel_support import (
    CLI,
    SandboxProcess,
    cli_env,
    compare_live,
    config_yaml,
    wanted_plan_years,
)

LATENCY_MS = 50
CONCURRENCY = 8


def apply_args(config: Path) -> list[str]:
    return [*CLI, "apply", str(config), "--auto-approve", "--concurrency", str(CONCURRENCY)]


def kill_and_rerun(tmp_path: Path, secret_key: str, n: int, kills: int, seed: int) -> None:
    wanted = wanted_plan_years(n)
    config = tmp_path / "vitable.yaml"
    config.write_text(config_yaml(wanted))
    sandbox = SandboxProcess(
        tmp_path / "state.db",
        secret_key,
        extra=["--latency-ms", str(LATENCY_MS), "--allow-overlap"],
    ).start()
    rng = random.Random(seed)
    landed: list[int] = []
    try:
        env = cli_env(sandbox.base_url, secret_key)
        baseline = {p["id"] for p in sandbox.plan_years()}
        for _ in range(kills):
            sandbox.admin("POST", "/_sandbox/reset")
            target = rng.randint(1, n - 1)
            # Output to files, not pipes: nobody reads a pipe while we wait, and a
            # 300-plan-year plan fills it (apply would block writing, never applying).
            out_path, err_path = tmp_path / "killed.out", tmp_path / "killed.err"
            with out_path.open("wb") as out_file, err_path.open("wb") as err_file:
                proc = subprocess.Popen(
                    apply_args(config), env=env, stdout=out_file, stderr=err_file
                )
            deadline = time.monotonic() + 60
            count = 0
            while time.monotonic() < deadline and proc.poll() is None:
                # committed writes since the reset = new plan years (cheap to poll)
                count = int(sandbox.admin("GET", "/_sandbox/stats")["writes"])
                if count >= target:
                    break
                time.sleep(0.01)
            assert proc.poll() is None, "apply finished before the kill point"
            assert count >= target, f"apply stalled before the kill point ({count}/{target})"
            proc.kill()
            proc.wait(timeout=30)
            assert secret_key.encode() not in out_path.read_bytes() + err_path.read_bytes()
            at_kill = len(sandbox.plan_years()) - len(baseline)
            landed.append(at_kill)
            comparison = compare_live(sandbox.plan_years(), wanted, baseline)
            assert comparison.duplicates == 0, str(comparison)

            rerun = subprocess.run(
                apply_args(config), env=env, capture_output=True, text=True, timeout=120
            )
            assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
            assert "Traceback" not in rerun.stderr
            assert secret_key not in rerun.stdout + rerun.stderr
            comparison = compare_live(sandbox.plan_years(), wanted, baseline)
            assert comparison.exact, f"after kill at {at_kill}/{n}: {comparison}"
    finally:
        sandbox.stop()
    print(
        f"\nkill figures: {kills} kills of a {n}-plan-year apply survived; "
        f"plan years live at each kill: {landed}"
    )
    assert all(0 < k < n for k in landed), landed  # every kill landed mid-run


def test_sigkill_apply_then_rerun_converges_ci(tmp_path: Path, secret_key: str) -> None:
    kill_and_rerun(tmp_path, secret_key, n=60, kills=3, seed=7)


@pytest.mark.full
def test_sigkill_apply_then_rerun_converges_full(tmp_path: Path, secret_key: str) -> None:
    kill_and_rerun(tmp_path, secret_key, n=300, kills=20, seed=11)
