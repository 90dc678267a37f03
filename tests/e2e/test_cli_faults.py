"""Apply under injected faults: no duplicate plan years, an honest report, and convergence.

Every check of what exists reads the sandbox's database, never the tool's report.
The overlap rule is off (``allow_overlap=True``) so a duplicate could not hide behind a 409.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.e2e.e2e_support import PY, api_args, live_plan_years, run_cli
from vitable_config.sandbox import FaultSettings

EMPLOYERS = [f"empr_r{i:03d}" for i in range(1, 21)]
RESULT_LINE = re.compile(
    r"^([+~!?-]) (created|updated|failed|skipped|unknown)\s+(\S+)/(\S+)/(\S+)", re.M
)


def duplicates(sandbox) -> dict[tuple[str, str, str], int]:
    counts = Counter(
        (p["employer_id"], p["benefit_product_id"], str(p["coverage_start"]))
        for p in live_plan_years(sandbox)
    )
    return {k: n for k, n in counts.items() if n > 1}


def reported(out: str) -> dict[str, str]:
    """employer -> status, from apply's per-action lines."""
    return {m[3]: m[2] for m in RESULT_LINE.finditer(out)}


def live_employers(sandbox) -> set[str]:
    return {
        p["employer_id"] for p in live_plan_years(sandbox) if p["benefit_product_id"] == "bprd_mec"
    }


@pytest.mark.parametrize("kind", ["error_after", "drop_after"])
def test_create_committed_then_lost_response_is_not_duplicated(
    make_sandbox, write_config, kind
) -> None:
    sandbox = make_sandbox(
        allow_overlap=True, faults=FaultSettings(**{kind: 1.0}, methods={"POST"})
    )
    cfg = write_config([PY(e) for e in EMPLOYERS[:5]])
    result = run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)])
    assert result.code == 0, result.out + result.err
    assert "Apply: 5 created, 0 updated, 0 failed, 0 skipped" in result.out
    assert result.out.count("not created twice") == 5  # each one recovered by re-reading
    assert duplicates(sandbox) == {}
    assert live_employers(sandbox) >= set(EMPLOYERS[:5])
    posts = [r for r in sandbox.request_log if r.method == "POST"]
    assert len(posts) == 5, "a committed create must never be sent again"


def test_slow_response_past_timeout_is_not_duplicated(make_sandbox, write_config) -> None:
    sandbox = make_sandbox(
        allow_overlap=True, faults=FaultSettings(slow=1.0, slow_ms=1500, methods={"POST"})
    )
    cfg = write_config([PY("empr_r001"), PY("empr_r002")])
    result = run_cli(["apply", cfg, "--auto-approve", "--timeout", "0.3", *api_args(sandbox)])
    assert result.code == 0, result.out + result.err
    assert "Apply: 2 created" in result.out
    assert duplicates(sandbox) == {}


def test_mixed_faults_report_honestly_and_rerun_converges(make_sandbox, write_config) -> None:
    faults = FaultSettings(
        error_before=0.25, error_after=0.25, drop_after=0.2, seed=11, methods={"POST"}
    )
    sandbox = make_sandbox(allow_overlap=True, faults=faults)
    cfg = write_config([PY(e) for e in EMPLOYERS])
    first = run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)])
    status = reported(first.out)
    assert len(status) == len(EMPLOYERS)
    live = live_employers(sandbox)
    # Never success for what did not happen, nor failure for what did.
    assert {e for e, s in status.items() if s == "created"} <= live
    assert not {e for e, s in status.items() if s == "failed"} & live
    assert first.code == (1 if {"failed", "unknown"} & set(status.values()) else 0)
    assert duplicates(sandbox) == {}

    for _ in range(3):  # re-run until converged (at most a few with 70% of POSTs faulted)
        if run_cli(["plan", cfg, "--detailed-exitcode", *api_args(sandbox)]).code == 0:
            break
        run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)])
    sandbox.set_faults(FaultSettings())
    assert run_cli(["plan", cfg, "--detailed-exitcode", *api_args(sandbox)]).code == 0
    assert duplicates(sandbox) == {}
    assert live_employers(sandbox) >= set(EMPLOYERS)


def test_progress_bar_on_a_terminal_for_long_runs(sandbox, write_config) -> None:
    cfg = write_config([PY(e) for e in EMPLOYERS] + [PY(e, "VD") for e in EMPLOYERS[:5]])
    result = run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)], tty=True)
    assert result.code == 0, result.err
    assert "Applying" in result.err and "100%" in result.err
    assert "Applying" not in result.out
    small = write_config([PY("empr_acme")], name="small.yaml")
    quiet = run_cli(["apply", small, "--auto-approve", *api_args(sandbox)], tty=True)
    assert "Applying" not in quiet.err
