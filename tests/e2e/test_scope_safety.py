"""Unit tests for scoping, sharding and the safety cap (pure functions)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest

from vitable_config.desired import DesiredPlanYear, DesiredState, PlanYearKey
from vitable_config.engine.model import Plan, PlanYearChange
from vitable_config.engine.safety import SafetyPolicy, check_safety
from vitable_config.engine.scope import Scope, filter_desired, parse_shard, shard_of
from vitable_config.errors import UserError


def test_parse_shard() -> None:
    assert parse_shard("2/4") == (2, 4)
    assert parse_shard(" 1/1 ") == (1, 1)
    for bad in ("0/4", "5/4", "1/0", "a/b", "3", "1/2/3", ""):
        with pytest.raises(UserError, match="--shard"):
            parse_shard(bad)


def test_shards_partition_the_estate_deterministically() -> None:
    ids = [f"empr_{i:05d}" for i in range(2000)]
    n = 4
    shards = [{e for e in ids if Scope(shard=(k, n)).includes_employer(e)} for k in range(1, n + 1)]
    assert set().union(*shards) == set(ids)
    assert sum(len(s) for s in shards) == len(ids), "shards overlap"
    assert all(350 < len(s) < 650 for s in shards), [len(s) for s in shards]
    # Stable: a known value computed from SHA-256 (not Python's salted hash()).
    assert [shard_of(e, n) for e in ids] == [shard_of(e, n) for e in ids]
    expected = int.from_bytes(hashlib.sha256(b"empr_acme").digest()[:8], "big") % 4 + 1
    assert shard_of("empr_acme", 4) == expected


def test_globs_match_employer_and_product_code_or_id() -> None:
    scope = Scope(employers=["empr_r00*", "empr_acme"], products=["MEC"])
    assert scope.includes_employer("empr_r001")
    assert scope.includes_employer("empr_acme")
    assert not scope.includes_employer("empr_r010")
    assert scope.includes_product("MEC", "bprd_mec")
    assert scope.includes_product("bprd_mec", "MEC")
    assert not scope.includes_product("VD", "bprd_dental")
    assert Scope(products=["bprd_m*"]).includes_product("MVP", "bprd_mvp")
    assert Scope().is_everything and Scope().as_dict() == {}
    assert Scope(employers=["a*"], shard=(1, 2)).as_dict() == {"employers": ["a*"], "shard": "1/2"}


def _desired(employer: str, product: str) -> DesiredPlanYear:
    return DesiredPlanYear(
        employer_id=employer,
        benefit_product=product,
        coverage_start=date(2027, 1, 1),
        coverage_end=date(2027, 12, 31),
        open_enrollment_start=date(2026, 12, 1),
        open_enrollment_end=date(2026, 12, 15),
        contribution_classes={},
    )


def test_filter_desired_uses_product_code_map() -> None:
    state = DesiredState(
        [_desired("empr_a", "MEC"), _desired("empr_a", "bprd_dental"), _desired("empr_b", "MEC")]
    )
    codes = {"bprd_dental": "VD", "VD": "bprd_dental", "bprd_mec": "MEC", "MEC": "bprd_mec"}
    kept = filter_desired(state, Scope(products=["VD"]), codes)
    assert [(p.employer_id, p.benefit_product) for p in kept.plan_years] == [
        ("empr_a", "bprd_dental")
    ]
    kept = filter_desired(state, Scope(employers=["empr_b"], products=["bprd_mec"]), codes)
    assert [(p.employer_id, p.benefit_product) for p in kept.plan_years] == [("empr_b", "MEC")]


def _plan(updates: int, unchanged: int, creates: int = 0, blocked: int = 0) -> Plan:
    key = PlanYearKey("empr_a", "bprd_mec", date(2027, 1, 1))
    actions = ["update"] * updates + ["unchanged"] * unchanged + ["create"] * creates
    actions += ["blocked"] * blocked
    return Plan(
        changes=[PlanYearChange(action=a, key=key) for a in actions],  # type: ignore[arg-type]
        created_at=datetime.now(UTC),
        base_url="x",
    )


def test_safety_cap_counts_updates_of_managed_plan_years_only() -> None:
    # 3 of 10 = 30%: allowed (the cap is "more than").
    assert check_safety(_plan(3, 7)).allowed
    refused = check_safety(_plan(4, 6))
    assert not refused.allowed and refused.percent == pytest.approx(40.0)
    assert "4 of 10 managed plan years (40%)" in (refused.message or "")
    assert "--force" in (refused.message or "")
    # Below 10 managed plan years, anything goes.
    assert check_safety(_plan(9, 0)).allowed
    # Creates never count, however many.
    assert check_safety(_plan(0, 10, creates=500)).allowed
    # Blocked plan years are managed too.
    assert not check_safety(_plan(4, 2, blocked=4)).allowed
    forced = check_safety(_plan(10, 0), SafetyPolicy(force=True))
    assert forced.allowed and forced.forced and "overridden by --force" in (forced.message or "")
    assert check_safety(_plan(5, 5), SafetyPolicy(max_change_percent=50)).allowed
    assert not check_safety(_plan(1, 9), SafetyPolicy(max_change_percent=0)).allowed
