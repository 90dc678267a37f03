""" "Locked since" is one date everywhere: the plan's blocked reason and apply's
locked message both come from the field table's calendar rule (an expired plan year
has been expired since the day AFTER coverage ends; the sandbox agrees)."""

from __future__ import annotations

from datetime import date

from tests.e2e.e2e_support import PY, api_args, run_cli
from vitable_config.domain.fields import status_since

EXPIRED_SINCE = "2028-01-01"  # coverage ends 2027-12-31 (still covered that day)


def test_calendar_rule_pins_every_status_start() -> None:
    dates = {
        "open_enrollment_start": date(2026, 12, 1),
        "coverage_start": date(2027, 1, 1),
        "coverage_end": date(2027, 12, 31),
    }
    assert status_since("draft", dates) is None
    assert status_since("open_enrollment", dates) == date(2026, 12, 1)
    assert status_since("active", dates) == date(2027, 1, 1)
    assert status_since("expired", dates) == date(2028, 1, 1)


def test_plan_of_an_expired_plan_year_is_blocked_since_the_day_after_coverage(
    sandbox, write_config
) -> None:
    cfg = write_config([PY("empr_acme")])
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)]).code == 0
    sandbox.set_today(date(2028, 1, 5))
    changed = write_config([PY("empr_acme", er=45000)])
    plan = run_cli(["plan", changed, *api_args(sandbox)])
    assert plan.code == 0, plan.err
    assert f"it is expired since {EXPIRED_SINCE}" in plan.out
    shown = run_cli(["plan", changed, "--format", "json", *api_args(sandbox)])
    blocked = [c for c in shown.json["changes"] if c["action"] == "blocked"]
    assert [c["blocked_since"] for c in blocked] == [EXPIRED_SINCE]
