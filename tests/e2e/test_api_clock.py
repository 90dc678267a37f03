"""Lock warnings use the API's date (its Date header; the sandbox sends its own clock),
not the machine's: a plan against an API whose calendar differs from the local one."""

from __future__ import annotations

from datetime import date, timedelta

from tests.e2e.e2e_support import PY, api_args, run_cli


def test_lock_warnings_follow_the_api_clock_not_the_local_one(sandbox, write_config) -> None:
    api_today = date.today() + timedelta(days=400)  # far from the local date either way
    sandbox.set_today(api_today)
    oe_start = api_today + timedelta(days=3)
    start = date(oe_start.year + 1, 1, 1)
    cfg = write_config(
        [
            PY(
                "empr_acme",
                start=start.isoformat(),
                end=date(start.year, 12, 31).isoformat(),
                oe_start=oe_start.isoformat(),
                oe_end=(oe_start + timedelta(days=5)).isoformat(),
            )
        ]
    )
    plan = run_cli(["plan", cfg, *api_args(sandbox)])
    assert plan.code == 0, plan.err
    # By the local clock this open enrollment is > a year away (no warning at all).
    assert (
        f"warning: open enrollment starts on {oe_start.isoformat()} (in 3 days): "
        "this plan year locks then"
    ) in plan.out
