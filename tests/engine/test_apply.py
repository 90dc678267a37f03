"""Engine-only tests of apply's decision logic, against the in-memory fake API.

The fake lets each branch be forced deterministically (committed-then-unknown,
not-committed-then-unknown, 409s, locks, read failures); the same behaviour is
exercised end to end against the real sandbox in ``test_cli_apply.py``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from tests.engine.fake_api import FakeApi
from vitable_config.api.models import PlanYearCreate, PlanYearUpdate
from vitable_config.desired import PlanYearKey
from vitable_config.engine.apply import ApplyOptions, apply_changes
from vitable_config.engine.model import Plan, PlanYearChange

START = date(2027, 1, 1)
# No pause before re-reading after a timeout, and a short wait for a timed-out create.
FAST = ApplyOptions(timeout_settle_seconds=0, unknown_wait_seconds=0.2)
PRODUCT = "bprd_mec"


def create_request(employer: str, employer_cents: int = 40000) -> dict[str, object]:
    return PlanYearCreate.model_validate(
        {
            "employer_id": employer,
            "coverage_start": "2027-01-01",
            "coverage_end": "2027-12-31",
            "open_enrollment_start": "2026-12-01",
            "open_enrollment_end": "2026-12-15",
            "contribution_classes": [
                {
                    "employment": "full_time",
                    "family_status": "EE",
                    "employee_contribution_cents": 5000,
                    "employer_contribution_cents": employer_cents,
                }
            ],
        }
    ).model_dump(mode="json")


def create_change(employer: str, employer_cents: int = 40000) -> PlanYearChange:
    return PlanYearChange(
        action="create",
        key=PlanYearKey(employer, PRODUCT, START),
        product_code="MEC",
        request=create_request(employer, employer_cents),
    )


def plan_of(*changes: PlanYearChange) -> Plan:
    return Plan(changes=list(changes), created_at=datetime.now(UTC), base_url="http://test")


async def test_plain_create() -> None:
    api = FakeApi()
    result = await apply_changes(plan_of(create_change("empr_a")), api)
    assert [r.status for r in result.results] == ["created"]
    assert result.results[0].live_id in api.store
    assert not result.results[0].recovered
    assert api.count_for("empr_a") == 1


async def test_unknown_outcome_that_committed_is_found_not_resent() -> None:
    api = FakeApi(post_script={"empr_a": ["commit_unknown"]})
    result = await apply_changes(plan_of(create_change("empr_a")), api)
    r = result.results[0]
    assert (r.status, r.recovered) == ("created", True)
    assert api.posts == 1, "a committed create must not be sent again"
    assert api.count_for("empr_a") == 1
    assert r.live_id in api.store


async def test_committed_create_with_unreadable_answer_is_created_not_failed() -> None:
    # A 2xx whose body cannot be parsed means the server committed: the report must say
    # created (found by re-reading), not failed, and the POST must not be sent again.
    api = FakeApi(post_script={"empr_a": ["unreadable_ok"]})
    result = await apply_changes(plan_of(create_change("empr_a")), api)
    r = result.results[0]
    assert (r.status, r.recovered) == ("created", True)
    assert api.posts == 1
    assert r.live_id in api.store


async def test_unknown_outcome_not_committed_is_retried_once() -> None:
    # A dropped connection (or 5xx) means the server is done: re-read, then retry.
    api = FakeApi(post_script={"empr_a": ["lost_dropped", "ok"]})
    result = await apply_changes(plan_of(create_change("empr_a")), api, options=FAST)
    assert result.results[0].status == "created"
    assert api.posts == 2
    assert api.count_for("empr_a") == 1


async def test_timed_out_create_is_never_resent_in_the_run() -> None:
    # After a timeout the server may still commit: never re-sent; still absent after
    # the re-reads -> "unknown", never "failed".
    api = FakeApi(post_script={"empr_a": ["lost_unknown", "ok"]})
    result = await apply_changes(plan_of(create_change("empr_a")), api, options=FAST)
    r = result.results[0]
    assert r.status == "unknown"
    assert "re-run later to converge" in (r.message or "")
    assert api.posts == 1
    assert api.count_for("empr_a") == 0


@pytest.mark.parametrize("settle", [0.2, 0.0])
async def test_timeout_waits_for_a_late_commit_before_rereading(settle) -> None:
    api = FakeApi(post_script={"empr_a": ["late_commit", "ok"]})
    options = ApplyOptions(timeout_settle_seconds=settle, unknown_wait_seconds=2)
    result = await apply_changes(plan_of(create_change("empr_a")), api, options=options)
    assert result.results[0].status == "created"
    assert result.results[0].recovered
    await asyncio.sleep(0.05)
    # The late write is found by re-reading (after the settle, or by the re-reads that
    # follow); the POST is never re-sent, so this fake (no overlap rule) has one.
    assert (api.posts, api.count_for("empr_a")) == (1, 1)


async def test_unknown_outcome_every_time_fails_after_bounded_attempts() -> None:
    api = FakeApi(post_script={"empr_a": ["lost_dropped"] * 10})
    result = await apply_changes(
        plan_of(create_change("empr_a")),
        api,
        options=ApplyOptions(create_attempts=3, timeout_settle_seconds=0),
    )
    r = result.results[0]
    assert r.status == "failed"
    assert "re-run to converge" in (r.message or "")
    assert api.posts == 3
    assert api.count_for("empr_a") == 0


async def test_unknown_outcome_with_failing_reread_is_not_retried() -> None:
    api = FakeApi(post_script={"empr_a": ["lost_dropped", "ok"]}, fail_reads=True)
    result = await apply_changes(plan_of(create_change("empr_a")), api, options=FAST)
    r = result.results[0]
    assert r.status == "unknown"
    assert "re-reading failed" in (r.message or "")
    assert api.posts == 1, "without a successful read, the POST must not be re-sent"


async def test_conflict_with_same_content_counts_as_created() -> None:
    api = FakeApi(post_script={"empr_a": ["conflict"]})
    api._insert(PRODUCT, PlanYearCreate.model_validate(create_request("empr_a")))
    result = await apply_changes(plan_of(create_change("empr_a")), api)
    assert (result.results[0].status, result.results[0].recovered) == ("created", True)


async def test_conflict_with_other_content_fails_with_server_message() -> None:
    api = FakeApi(post_script={"empr_a": ["conflict"]})
    api._insert(PRODUCT, PlanYearCreate.model_validate(create_request("empr_a", 1)))
    result = await apply_changes(plan_of(create_change("empr_a")), api)
    r = result.results[0]
    assert r.status == "failed"
    assert "overlapping plan year" in (r.message or "")
    assert api.count_for("empr_a") == 1


async def test_locked_update_fails_with_since_date_and_others_continue() -> None:
    api = FakeApi()
    a = api._insert(PRODUCT, PlanYearCreate.model_validate(create_request("empr_a")))
    b = api._insert(PRODUCT, PlanYearCreate.model_validate(create_request("empr_b")))
    a.status = "open_enrollment"
    api.locked.add(a.id)
    body = PlanYearUpdate.model_validate(
        {"contribution_classes": create_request("empr_x", 12345)["contribution_classes"]}
    ).model_dump(mode="json", exclude_none=True)
    changes = [
        PlanYearChange(action="update", key=PlanYearKey(e, PRODUCT, START), live_id=i, request=body)
        for e, i in (("empr_a", a.id), ("empr_b", b.id))
    ]
    result = await apply_changes(plan_of(*changes), api)
    assert [r.status for r in result.results] == ["failed", "updated"]
    assert "locked (status open_enrollment since 2026-12-01)" in (result.results[0].message or "")
    assert api.store[b.id].contribution_classes[0].employer_contribution_cents == 12345
    assert result.summary_line() == "Apply: 0 created, 1 updated, 1 failed, 0 skipped"


async def test_concurrency_is_bounded_and_failures_do_not_stop_others() -> None:
    employers = [f"empr_{i:03d}" for i in range(40)]
    api = FakeApi(post_script={"empr_007": ["conflict"]})
    api._insert(PRODUCT, PlanYearCreate.model_validate(create_request("empr_007", 1)))
    seen: list[str] = []
    result = await apply_changes(
        plan_of(*(create_change(e) for e in employers)),
        api,
        options=ApplyOptions(concurrency=4),
        progress=lambda r: seen.append(r.status),
    )
    assert api.max_in_flight <= 4
    assert result.count("created") == 39 and result.count("failed") == 1
    assert len(seen) == 40
    assert [r.change.key.employer_id for r in result.results] == employers


@pytest.mark.parametrize("concurrency", [0, -1])
async def test_concurrency_must_be_positive(concurrency: int) -> None:
    with pytest.raises(ValueError):
        await apply_changes(plan_of(), FakeApi(), options=ApplyOptions(concurrency=concurrency))


async def test_apply_says_an_expired_plan_year_is_locked_since_the_same_day() -> None:
    api = FakeApi()
    live = api._insert(PRODUCT, PlanYearCreate.model_validate(create_request("empr_a")))
    live.status = "expired"
    api.locked.add(live.id)
    body = PlanYearUpdate.model_validate(
        {"contribution_classes": create_request("empr_a", 12345)["contribution_classes"]}
    ).model_dump(mode="json", exclude_none=True)
    change = PlanYearChange(
        action="update", key=PlanYearKey("empr_a", PRODUCT, START), live_id=live.id, request=body
    )
    result = await apply_changes(plan_of(change), api)
    assert result.results[0].status == "failed"
    assert "locked (status expired since 2028-01-01)" in (result.results[0].message or "")
