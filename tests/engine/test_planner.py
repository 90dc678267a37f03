"""Planner: every action, field-level diffs, blocked reasons, warnings, requests,
fingerprints, determinism and errors — on hand-built desired and live objects."""

from __future__ import annotations

from datetime import date

import pytest

from tests.engine.engine_factories import (
    EMPLOYER_SRC,
    TEMPLATE,
    classes,
    desired_py,
    live_py,
    product,
    provenance_for,
    state,
)
from vitable_config.desired import DesiredPlanYear, DesiredState, Source
from vitable_config.engine.live import LiveState, fingerprint
from vitable_config.engine.model import Plan, PlanYearChange
from vitable_config.engine.planner import build_plan
from vitable_config.errors import SourceLocation, UserError

TODAY = date(2026, 10, 1)
MEC = "bprd_mec"


def plan_for(desired: DesiredState, live: list, *, today: date = TODAY, products=None) -> Plan:
    state_ = LiveState.from_objects(desired, products or [product()], live)
    return build_plan(desired, state_, today=today, base_url="http://127.0.0.1:1")


def only(plan: Plan) -> PlanYearChange:
    assert len(plan.changes) == 1, plan.changes
    return plan.changes[0]


def test_create_when_no_live_match() -> None:
    plan = plan_for(state(desired_py()), [])
    change = only(plan)
    assert change.action == "create"
    assert change.key.benefit_product == MEC and change.product_code == "MEC"
    assert change.request == {
        "employer_id": "empr_acme",
        "coverage_start": "2027-01-01",
        "coverage_end": "2027-12-31",
        "open_enrollment_start": "2026-12-01",
        "open_enrollment_end": "2026-12-15",
        "contribution_classes": [
            {
                "employment": "full_time",
                "family_status": "EE",
                "employee_contribution_cents": 10000,
                "employer_contribution_cents": 30000,
            },
            {
                "employment": "full_time",
                "family_status": "EF",
                "employee_contribution_cents": 20000,
                "employer_contribution_cents": 60000,
            },
        ],
    }
    assert [fc.path for fc in change.changes] == [
        ("coverage_end",),
        ("open_enrollment_start",),
        ("open_enrollment_end",),
        ("contribution_classes", "full_time", "EE"),
        ("contribution_classes", "full_time", "EF"),
    ]
    assert all(fc.kind == "add" and fc.source == TEMPLATE for fc in change.changes)
    assert plan.absent_keys == [change.key]
    assert plan.fingerprints == {}
    assert plan.summary == {"create": 1, "update": 0, "blocked": 0, "unchanged": 0, "unmanaged": 0}


def test_unchanged_despite_server_fields_order_and_types() -> None:
    # Live has server-owned fields (ids, plans, timestamps, unknown extras) and a
    # different class order; desired dates are strings: still no perpetual diff.
    desired = desired_py(coverage_end="2027-12-31", oe_start="2026-12-01")  # type: ignore[arg-type]
    live = live_py(
        extra={
            "plans": [
                {
                    "id": "plan_1",
                    "carrier_plan_id": "cplan_1",
                    "monthly_premium_cents": 1,
                    "name": "x",
                }
            ],
            "some_new_server_field": {"nested": True},
        }
    )
    plan = plan_for(state(desired), [live])
    change = only(plan)
    assert change.action == "unchanged"
    assert change.changes == [] and change.request is None
    assert change.before == change.after
    assert "plans" not in change.before and "id" not in change.before
    assert plan.fingerprints == {"plyr_1": fingerprint(live)}
    assert not plan.has_changes


def test_status_compared_only_when_declared() -> None:
    plan = plan_for(state(desired_py()), [live_py(status="draft")])
    assert "status" not in only(plan).after
    plan = plan_for(state(desired_py(status="open_enrollment")), [live_py(status="draft")])
    change = only(plan)
    assert change.action == "update"
    assert change.request == {"status": "open_enrollment"}


def test_update_cents_sends_whole_class_list_only() -> None:
    desired = desired_py(cls=classes(full_time_EE_employer=38_050))
    change = only(plan_for(state(desired), [live_py()]))
    assert change.action == "update"
    assert change.live_id == "plyr_1" and change.live_status == "draft"
    [fc] = change.changes
    assert fc.path == ("contribution_classes", "full_time", "EE", "employer_contribution_cents")
    assert (fc.kind, fc.before, fc.after, fc.source) == ("change", 30_000, 38_050, TEMPLATE)
    assert set(change.request) == {"contribution_classes"}
    assert len(change.request["contribution_classes"]) == 2  # PUT replaces the whole list
    assert change.request["contribution_classes"][0]["employer_contribution_cents"] == 38_050


def test_update_open_enrollment_dates_sends_only_changed_dates() -> None:
    desired = desired_py(oe_end=date(2026, 12, 20))
    change = only(plan_for(state(desired), [live_py()]))
    assert change.action == "update"
    assert change.request == {"open_enrollment_end": "2026-12-20"}
    [fc] = change.changes
    assert (fc.path, fc.before, fc.after) == (("open_enrollment_end",), "2026-12-15", "2026-12-20")


def test_added_and_removed_classes_are_whole_class_changes() -> None:
    live_cls = classes(employments=("full_time", "seasonal"), tiers=("EE",))
    desired_cls = classes(employments=("full_time", "part_time"), tiers=("EE", "ES"))
    change = only(plan_for(state(desired_py(cls=desired_cls)), [live_py(cls=live_cls)]))
    assert change.action == "update"
    got = [(fc.path, fc.kind, fc.before, fc.after) for fc in change.changes]
    assert got == [
        (("contribution_classes", "full_time", "ES"), "add", None,
         {"employee_contribution_cents": 20000, "employer_contribution_cents": 60000}),
        (("contribution_classes", "part_time", "EE"), "add", None,
         {"employee_contribution_cents": 10000, "employer_contribution_cents": 30000}),
        (("contribution_classes", "part_time", "ES"), "add", None,
         {"employee_contribution_cents": 20000, "employer_contribution_cents": 60000}),
        (("contribution_classes", "seasonal", "EE"), "remove",
         {"employee_contribution_cents": 10000, "employer_contribution_cents": 30000}, None),
    ]  # fmt: skip
    assert change.changes[0].source == TEMPLATE  # class-level source from its leaves
    assert len(change.request["contribution_classes"]) == 4


def test_coverage_end_change_is_blocked_since_creation() -> None:
    change = only(plan_for(state(desired_py(coverage_end=date(2027, 11, 30))), [live_py()]))
    assert change.action == "blocked"
    assert "coverage_end cannot be changed" in change.blocked_reason
    assert change.blocked_since == date(2026, 6, 1)  # live created_at
    assert change.request is None


@pytest.mark.parametrize(
    ("status", "since"),
    [
        ("open_enrollment", date(2026, 12, 1)),  # open enrollment start
        ("active", date(2027, 1, 1)),  # coverage start
        ("expired", date(2028, 1, 1)),  # day after coverage end
    ],
)
def test_changes_to_locked_plan_years_are_blocked(status: str, since: date) -> None:
    desired = desired_py(cls=classes(full_time_EF_employee=1))
    change = only(plan_for(state(desired), [live_py(status=status)]))
    assert change.action == "blocked"
    assert f"locked: it is {status} since {since}" in change.blocked_reason
    assert change.blocked_since == since
    assert change.changes and change.request is None


def test_locked_plan_year_without_differences_is_unchanged() -> None:
    change = only(plan_for(state(desired_py()), [live_py(status="active")]))
    assert change.action == "unchanged"


def test_status_cannot_move_backwards() -> None:
    change = only(plan_for(state(desired_py(status="draft")), [live_py(status="open_enrollment")]))
    assert change.action == "blocked"
    assert "status cannot move backwards from open_enrollment to draft" in change.blocked_reason


def test_create_overlapping_a_live_plan_year_is_blocked() -> None:
    desired = desired_py(coverage_start=date(2027, 2, 1), coverage_end=date(2028, 1, 31))
    plan = plan_for(state(desired), [live_py()])
    blocked = [c for c in plan.changes if c.action == "blocked"]
    assert len(blocked) == 1 and blocked[0].live_id is None
    assert "overlaps live plan year plyr_1" in blocked[0].blocked_reason
    assert plan.count("unmanaged") == 1
    assert plan.absent_keys == []


def test_unmanaged_live_plan_years_are_reported_not_touched() -> None:
    old = live_py(
        "plyr_old",
        coverage_start=date(2026, 1, 1),
        coverage_end=date(2026, 12, 31),
        status="active",
    )
    other_product = live_py("plyr_vd", product_id="bprd_vd")  # not a managed pair
    plan = plan_for(state(desired_py()), [live_py(), old, other_product])
    assert [(c.action, c.live_id) for c in plan.changes] == [
        ("unmanaged", "plyr_old"),
        ("unchanged", "plyr_1"),
    ]
    unmanaged = plan.changes[0]
    assert unmanaged.request is None and unmanaged.before["status"] == "active"
    assert set(plan.fingerprints) == {"plyr_1", "plyr_old"}


def test_lock_warning_within_seven_days() -> None:
    desired = desired_py(cls=classes(full_time_EE_employee=1))
    soon = only(plan_for(state(desired), [live_py()], today=date(2026, 11, 26)))
    assert soon.warnings == [
        "open enrollment starts on 2026-12-01 (in 5 days): this plan year locks then"
    ]
    today = only(plan_for(state(desired), [live_py()], today=date(2026, 12, 1)))
    assert today.action == "update" and "(today)" in today.warnings[0]
    later = only(plan_for(state(desired), [live_py()], today=date(2026, 11, 23)))
    assert later.warnings == []  # 8 days away
    create = only(plan_for(state(desired), [], today=date(2026, 11, 30)))
    assert create.action == "create" and "in 1 day)" in create.warnings[0]
    unchanged = only(plan_for(state(desired_py()), [live_py()], today=date(2026, 11, 30)))
    assert unchanged.warnings == []  # nothing pending, nothing to warn about


def test_changes_are_sorted_deterministically() -> None:
    desired = [desired_py(f"empr_{c}", "MEC") for c in "dbca"]
    live = [live_py(f"plyr_{c}", f"empr_{c}", cls=classes(full_time_EE_employee=5)) for c in "cb"]
    first = plan_for(state(*desired), live)
    second = plan_for(state(*reversed(desired)), list(reversed(live)))
    keys = [(c.key.employer_id, c.action) for c in first.changes]
    assert keys == [
        ("empr_a", "create"),
        ("empr_b", "update"),
        ("empr_c", "update"),
        ("empr_d", "create"),
    ]
    assert keys == [(c.key.employer_id, c.action) for c in second.changes]


def test_duplicate_desired_keys_are_an_error() -> None:
    desired = state(desired_py(line=3), desired_py(product_ref=MEC, line=9))
    with pytest.raises(UserError, match="declared twice") as info:
        plan_for(desired, [])
    assert "config.yaml:9:3" in info.value.format()


def test_create_on_inactive_product_is_an_error() -> None:
    desired = state(desired_py(line=5))
    with pytest.raises(UserError) as info:
        plan_for(desired, [], products=[product(active=False)])
    assert (
        "config.yaml:5:3: error: benefit product 'MEC' (bprd_mec) is inactive"
        in info.value.format()
    )


def test_inactive_product_is_fine_when_nothing_is_created() -> None:
    plan = plan_for(state(desired_py()), [live_py()], products=[product(active=False)])
    assert only(plan).action == "unchanged"


def test_invalid_request_values_are_user_errors() -> None:
    desired = desired_py(cls=classes(full_time_EE_employee=-5), line=12)
    with pytest.raises(UserError) as info:
        plan_for(state(desired), [])
    text = info.value.format()
    assert "config.yaml:12:3" in text and "greater than or equal to 0" in text


def _with_override(eid: str, cents: int) -> DesiredPlanYear:
    cls = classes(full_time_EE_employer=cents)
    prov = provenance_for(cls)
    prov[("contribution_classes", "full_time", "EE", "employer_contribution_cents")] = EMPLOYER_SRC
    return desired_py(eid, cls=cls, provenance=prov)


def test_reach_counts_changed_and_overriding_employers() -> None:
    # The template raised full_time/EE employer share to $400 for 3 employers in draft,
    # 1 employer is locked (blocked), and 2 employers override the value.
    changed = [
        desired_py(f"empr_t{i}", cls=classes(full_time_EE_employer=40_000)) for i in range(3)
    ]
    locked = desired_py("empr_locked", cls=classes(full_time_EE_employer=40_000))
    overriding = [_with_override("empr_o1", 30_000), _with_override("empr_o2", 55_000)]
    live = [live_py(f"plyr_t{i}", f"empr_t{i}") for i in range(3)]
    live += [live_py("plyr_l", "empr_locked", status="active")]
    live += [live_py("plyr_o1", "empr_o1"), live_py("plyr_o2", "empr_o2")]
    plan = plan_for(state(*changed, locked, *overriding), live)
    assert plan.summary["update"] == 4 and plan.summary["blocked"] == 1
    override_change = next(c for c in plan.changes if c.key.employer_id == "empr_o2")
    assert override_change.changes[0].source == EMPLOYER_SRC  # provenance points at the override
    [reach] = plan.reach
    assert reach.layer == TEMPLATE
    assert reach.path == ("contribution_classes", "full_time", "EE", "employer_contribution_cents")
    assert (reach.changed, reach.changed_employers, reach.blocked) == (3, 3, 1)
    assert (reach.overridden, reach.overridden_employers) == (2, 2)


def test_reach_for_rollout_layer() -> None:
    rollout = Source("rollout", "wave-1", SourceLocation("rollouts.yaml", 4, 5))
    cls = classes(full_time_EE_employer=1)
    desired = [
        desired_py(f"empr_{i}", cls=cls, provenance=provenance_for(cls, rollout), rollout="wave-1")
        for i in range(2)
    ]
    plan = plan_for(state(*desired), [live_py(f"plyr_{i}", f"empr_{i}") for i in range(2)])
    [reach] = plan.reach
    assert reach.layer == rollout and reach.changed == 2 and reach.overridden == 0


def test_duplicate_live_keys_are_an_error_and_extra_is_unmanaged() -> None:
    plan = plan_for(state(desired_py()), [live_py("plyr_a"), live_py("plyr_b")])
    assert [(c.action, c.live_id) for c in plan.changes] == [
        ("unchanged", "plyr_a"),
        ("unmanaged", "plyr_b"),
    ]
    [(key, ids)] = plan.duplicates
    assert sorted(ids) == ["plyr_a", "plyr_b"]
    assert key == plan.changes[0].key
