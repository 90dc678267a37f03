"""Engine-only tests of apply's decision logic, against an in-memory fake API.

The fake lets each branch be forced deterministically (committed-then-unknown,
not-committed-then-unknown, 409s, locks, read failures); the same behaviour is
exercised end to end against the real sandbox in ``test_cli_apply.py``.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from vitable_config.api.errors import (
    ConflictError,
    OutcomeUnknownError,
    ServerError,
    UnexpectedResponseError,
)
from vitable_config.api.models import ContributionClass, PlanYear, PlanYearCreate, PlanYearUpdate
from vitable_config.desired import PlanYearKey
from vitable_config.engine.apply import ApplyOptions, apply_changes
from vitable_config.engine.model import Plan, PlanYearChange

START = date(2027, 1, 1)
FAST = ApplyOptions(timeout_settle_seconds=0)  # no pause before re-reading after a timeout
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


@dataclass
class FakeApi:
    """Plan years in a dict; per-employer scripted behaviour for the next POST/PUT."""

    store: dict[str, PlanYear] = field(default_factory=dict)
    # employer -> list of behaviours for successive POSTs:
    # "ok", "commit_unknown" (write then raise), "lost_unknown" (raise, no write), "conflict"
    post_script: dict[str, list[str]] = field(default_factory=dict)
    fail_reads: bool = False
    locked: set[str] = field(default_factory=set)
    posts: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _insert(self, product: str, body: PlanYearCreate) -> PlanYear:
        now = datetime.now(UTC)
        py = PlanYear(
            id=f"plyr_{next(self.ids)}",
            benefit_product_id=product,
            employer_id=body.employer_id,
            coverage_start=body.coverage_start,
            coverage_end=body.coverage_end,
            open_enrollment_start_date=body.open_enrollment_start,
            open_enrollment_end_date=body.open_enrollment_end,
            status="draft",
            created_at=now,
            updated_at=now,
            contribution_classes=[
                {"id": f"cc_{i}", **c.model_dump()} for i, c in enumerate(body.contribution_classes)
            ],
        )
        self.store[py.id] = py
        return py

    async def create_plan_year(self, product: str, body: PlanYearCreate) -> PlanYear:
        self.posts += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.001)
            script = self.post_script.get(body.employer_id, [])
            step = script.pop(0) if script else "ok"
            path = f"/v1/benefit-products/{product}/plan-years"
            if step == "commit_unknown":
                self._insert(product, body)
                raise OutcomeUnknownError("POST", path, "500 after commit")
            if step == "lost_unknown":
                raise OutcomeUnknownError("POST", path, "ReadTimeout")
            if step == "late_commit":  # the server finishes 20 ms after our timeout
                asyncio.get_running_loop().call_later(0.02, self._insert, product, body)
                raise OutcomeUnknownError("POST", path, "ReadTimeout")
            if step == "conflict":
                raise ConflictError(409, "overlapping plan year", method="POST", path=path)
            if step == "unreadable_ok":  # committed, 201, but the body cannot be read
                self._insert(product, body)
                raise UnexpectedResponseError(201, "response body is not JSON", path=path)
            return self._insert(product, body)
        finally:
            self.in_flight -= 1

    async def list_plan_years(
        self, product: str, *, employer_id: str | None = None
    ) -> list[PlanYear]:
        if self.fail_reads:
            raise ServerError(503, "unavailable", method="GET", path="/v1/...")
        return [
            py
            for py in self.store.values()
            if py.benefit_product_id == product and employer_id in (None, py.employer_id)
        ]

    async def get_plan_year(self, plan_year_id: str) -> PlanYear:
        return self.store[plan_year_id]

    async def update_plan_year(self, plan_year_id: str, body: PlanYearUpdate) -> PlanYear:
        if plan_year_id in self.locked:
            raise ConflictError(
                409, "plan year is locked", app_error_code="plan_year_locked", method="PUT"
            )
        py = self.store[plan_year_id]
        if body.contribution_classes is not None:
            py.contribution_classes = [
                ContributionClass(id=f"cc_{i}", **c.model_dump())
                for i, c in enumerate(body.contribution_classes)
            ]
        return py

    def count_for(self, employer: str) -> int:
        return sum(1 for py in self.store.values() if py.employer_id == employer)


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
    api = FakeApi(post_script={"empr_a": ["lost_unknown", "ok"]})
    result = await apply_changes(plan_of(create_change("empr_a")), api, options=FAST)
    assert result.results[0].status == "created"
    assert api.posts == 2
    assert api.count_for("empr_a") == 1


@pytest.mark.parametrize(("settle", "posts", "stored"), [(0.2, 1, 1), (0.0, 2, 2)])
async def test_timeout_waits_for_a_late_commit_before_rereading(settle, posts, stored) -> None:
    api = FakeApi(post_script={"empr_a": ["late_commit", "ok"]})
    options = ApplyOptions(timeout_settle_seconds=settle)
    result = await apply_changes(plan_of(create_change("empr_a")), api, options=options)
    assert result.results[0].status == "created"
    await asyncio.sleep(0.05)
    # With the settle the late write is found; without it (the control) the POST is
    # re-sent and this fake, which has no overlap rule, ends up with a duplicate.
    assert (api.posts, api.count_for("empr_a")) == (posts, stored)


async def test_unknown_outcome_every_time_fails_after_bounded_attempts() -> None:
    api = FakeApi(post_script={"empr_a": ["lost_unknown"] * 10})
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
    api = FakeApi(post_script={"empr_a": ["lost_unknown", "ok"]}, fail_reads=True)
    result = await apply_changes(plan_of(create_change("empr_a")), api, options=FAST)
    r = result.results[0]
    assert r.status == "failed"
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
