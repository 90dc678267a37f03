"""Plans with every action, for renderer, schema and serialisation tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.engine.engine_factories import (
    EMPLOYER_SRC,
    classes,
    desired_py,
    live_py,
    product,
    provenance_for,
    state,
)
from vitable_config.desired import DesiredState
from vitable_config.engine.live import LiveState
from vitable_config.engine.model import Plan
from vitable_config.engine.planner import build_plan

CREATED = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
TODAY = date(2026, 11, 26)


def every_action_plan() -> Plan:
    """1 create, 2 updates (one overriding), 1 blocked, 1 unchanged, 1 unmanaged."""
    override_cls = classes(full_time_EE_employer=123_450)
    override_prov = provenance_for(override_cls)
    override_prov[("contribution_classes", "full_time", "EE", "employer_contribution_cents")] = (
        EMPLOYER_SRC
    )
    desired: DesiredState = state(
        desired_py("empr_new"),
        desired_py("empr_acme", cls=override_cls, provenance=override_prov),
        desired_py("empr_beta", cls=classes(full_time_EE_employer=38_000)),
        desired_py("empr_gamma", cls=classes(full_time_EE_employer=38_000)),
        desired_py("empr_same"),
    )
    for py in desired.plan_years:
        py.employer_name = py.employer_id.removeprefix("empr_").title() + " Inc"
    live = [
        live_py("plyr_acme", "empr_acme"),
        live_py("plyr_beta", "empr_beta"),
        live_py("plyr_gamma", "empr_gamma", status="open_enrollment"),
        live_py("plyr_same", "empr_same"),
        live_py(
            "plyr_old",
            "empr_same",
            coverage_start=date(2026, 1, 1),
            coverage_end=date(2026, 12, 31),
            status="active",
        ),
    ]
    live_state = LiveState.from_objects(desired, [product()], live)
    return build_plan(
        desired,
        live_state,
        today=TODAY,
        base_url="https://api.uat.vitablehealth.com",
        scope={"employers": ["empr_*"], "products": [], "shard": None},
        created_at=CREATED,
    )


def many_changes_plan(n_employers: int) -> Plan:
    """``n_employers`` updates (one per employer) plus a few blocked ones."""
    desired = state(
        *(
            desired_py(f"empr_{i:05d}", cls=classes(full_time_EE_employer=40_000))
            for i in range(n_employers)
        )
    )
    live = [
        live_py(f"plyr_{i:05d}", f"empr_{i:05d}", status="active" if i % 500 == 0 else "draft")
        for i in range(n_employers)
    ]
    live_state = LiveState.from_objects(desired, [product()], live)
    return build_plan(desired, live_state, today=TODAY, base_url="http://x", created_at=CREATED)
