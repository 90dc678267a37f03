"""A change approved at the prompt never overwrites what changed meanwhile (issue 11,
item 3): interactive ``apply`` in a real terminal (a pty), another client adds a
contribution class while ``[y/N]`` waits, the user answers ``y``.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

from tests.e2e.e2e_support import PY, api_args, config_yaml, live_plan_years, put_plan_year, writes
from tests.support.cli import CLI, cli_env


def read_until(fd: int, needle: str, timeout: float = 60) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"never saw {needle!r}; got:\n{seen[-2000:]}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError(f"output ended before {needle!r}:\n{seen[-2000:]}")
            seen += chunk.decode(errors="replace")
    return seen


def test_a_class_added_while_the_prompt_waits_survives(sandbox, tmp_path) -> None:
    from tests.e2e.e2e_support import run_cli

    cfg = tmp_path / "vitable.yaml"
    cfg.write_text(config_yaml([PY("empr_acme", "MEC")]))
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)]).code == 0
    cfg.write_text(config_yaml([PY("empr_acme", "MEC", er=45000)]))  # $400 -> $450

    master, slave = pty.openpty()
    env = cli_env(sandbox.base_url, sandbox.api_key, tmp_path / "cache")
    proc = subprocess.Popen(
        [*CLI, "apply", str(cfg)], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    try:
        shown = read_until(master, "[y/N]")
        assert "$400.00 → $450.00" in shown, shown
        live = next(p for p in live_plan_years(sandbox) if p["employer_id"] == "empr_acme")
        classes = [
            {
                k: c[k]
                for k in (
                    "employment",
                    "family_status",
                    "employee_contribution_cents",
                    "employer_contribution_cents",
                )
            }
            for c in live["contribution_classes"]
        ]
        classes.append(
            {
                "employment": "seasonal",
                "family_status": "EE",
                "employee_contribution_cents": 7000,
                "employer_contribution_cents": 10000,
            }
        )
        put_plan_year(sandbox, live["id"], {"contribution_classes": classes})
        n = len(writes(sandbox))
        os.write(master, b"y\n")
        rest = ""
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    rest += os.read(master, 65536).decode(errors="replace")
                except OSError:
                    break
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    after = next(p for p in live_plan_years(sandbox) if p["employer_id"] == "empr_acme")
    kinds = {(c["employment"], c["family_status"]) for c in after["contribution_classes"]}
    assert ("seasonal", "EE") in kinds, f"the class added at the prompt was deleted:\n{rest}"
    assert len(writes(sandbox)) == n, "the stale change was sent"
    assert code == 1, rest
    assert "stale" in rest and live["id"] in rest, rest
    print("class added at the prompt: survived; stale change refused (1), writes 0")
