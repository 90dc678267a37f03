"""Contract tests of dialect 2026-02 with a client nobody on this project wrote: the
published SDK ``vitable-connect==0.1.2`` (module ``vitable_connect``), with strict
response validation, against ``vitable-config sandbox serve --dialect 2026-02`` in a
subprocess on 127.0.0.1.

Every call below fails if a response does not match the SDK's own models (field
names, types, required fields, envelopes, pagination)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
import vitable_connect
from vitable_connect import VitableConnect

from .helpers import ERROR_KEYS, serve_process

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SEED = REPO_ROOT / "examples" / "sandbox-seed.yaml"
ENRL_EE = "enrl_5f0c2a9e7b3d4c11"
ENRL_EF = "enrl_8e1d4b7a2c6f9d22"
EMPL_EE = "empl_7d3e9a1c5b2f4e01"
_names = itertools.count(1)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    args = ("--dialect", "2026-02", "--today", "2026-11-21", "--seed", str(EXAMPLE_SEED))
    with serve_process(*args, env={"VITABLE_SANDBOX_API_KEY": ""}) as (url, key, _):
        yield url, key


@pytest.fixture
def sdk(server: tuple[str, str]) -> Iterator[VitableConnect]:
    url, key = server
    client = VitableConnect(
        api_key=key, base_url=url, max_retries=0, timeout=10, _strict_response_validation=True
    )
    # the server may still be starting: the first call waits for it
    for _ in range(100):
        try:
            client.benefit_products.list(limit=1)
            break
        except vitable_connect.APIConnectionError:
            import time

            time.sleep(0.05)
    with client:
        yield client


def _new_employer(sdk: VitableConnect) -> str:
    n = next(_names)
    created = sdk.employers.create(
        name=f"SDK Test {n}",
        legal_name=f"SDK Test {n} LLC",
        ein="12-3456789",
        email=f"hr{n}@sdk.example",
        address={
            "address_line_1": "1 Main St",
            "city": "Austin",
            "state": "TX",
            "zipcode": "78701",
        },
    )
    return created.data.id


def _classes(employee: int = 2500, tier: str = "EE") -> list[Any]:
    return [
        {
            "employment": "full_time",
            "coverage_tier": tier,
            "employee_contribution_cents": employee,
            "employer_contribution_cents": 7500,
        }
    ]


def _create_year(sdk: VitableConnect, employer_id: str, year: int, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "employer_id": employer_id,
        "coverage_start": date(year, 1, 1),
        "coverage_end": date(year, 12, 31),
        "open_enrollment_start": date(year - 1, 12, 1),
        "open_enrollment_end": date(year - 1, 12, 15),
        "contribution_classes": _classes(),
    }
    values.update(overrides)
    return sdk.benefit_products.plan_years.create("bprd_mec", **values)


def test_sdk_lists_benefit_products(sdk: VitableConnect) -> None:
    every = sdk.benefit_products.list()
    inactive = sdk.benefit_products.list(active_in=False)
    dental = sdk.benefit_products.list(product_code="VD")
    paged = sdk.benefit_products.list(limit=2, page=2)
    assert [p.id for p in every.data] == [
        "bprd_mec",
        "bprd_dental",
        "bprd_vision",
        "bprd_mvp",
        "bprd_legacy",
    ]
    assert [p.id for p in inactive.data] == ["bprd_legacy"] and not inactive.data[0].active_in
    assert [p.id for p in dental.data] == ["bprd_dental"]
    assert every.pagination.total == 5 and every.pagination.total_pages == 1
    assert [p.id for p in paged.data] == ["bprd_vision", "bprd_mvp"]
    assert (paged.pagination.page, paged.pagination.limit, paged.pagination.total_pages) == (
        2,
        2,
        3,
    )


def test_sdk_creates_lists_retrieves_and_updates_plan_years(sdk: VitableConnect) -> None:
    employer_id = _new_employer(sdk)
    made = [_create_year(sdk, employer_id, y).data for y in (2028, 2030, 2027, 2029, 2031)]
    pages = [
        sdk.benefit_products.plan_years.list("bprd_mec", employer_id=employer_id, limit=2, page=n)
        for n in (1, 2, 3, 4)
    ]
    assert [len(p.data) for p in pages] == [2, 2, 1, 0]
    assert all(p.pagination.total == 5 and p.pagination.total_pages == 3 for p in pages)
    listed = [py for p in pages for py in p.data]
    assert [py.coverage_start.year for py in listed] == [2031, 2030, 2029, 2028, 2027]
    assert {py.id for py in listed} == {py.id for py in made}
    first = made[2]  # coverage 2027, open enrollment from 2026-12-01: still draft
    assert first.status == "draft" and first.plans
    assert first.contribution_classes[0].coverage_tier == "EE"
    fetched = sdk.plan_years.retrieve(first.id).data
    assert fetched == first
    updated = sdk.plan_years.update(
        first.id,
        contribution_classes=[*_classes(3000, "EE"), *_classes(9000, "EF")],
        open_enrollment_end=date(2026, 12, 20),
    ).data
    assert updated.open_enrollment_end_date == date(2026, 12, 20)
    assert [
        (c.coverage_tier, c.employee_contribution_cents) for c in updated.contribution_classes
    ] == [
        ("EE", 3000),
        ("EF", 9000),
    ]
    assert updated.contribution_classes[0].id == first.contribution_classes[0].id  # kept
    opened = sdk.plan_years.update(first.id, status="open_enrollment").data
    assert opened.status == "open_enrollment"
    with pytest.raises(vitable_connect.ConflictError) as locked:
        sdk.plan_years.update(first.id, open_enrollment_end=date(2026, 12, 21))
    assert cast(dict[str, Any], locked.value.body)["app_error_code"] == "plan_year_locked"
    by_status = sdk.benefit_products.plan_years.list(
        "bprd_mec", employer_id=employer_id, status="open_enrollment"
    )
    assert [py.id for py in by_status.data] == [first.id]


def test_sdk_employers_crud_and_eligibility_policies(sdk: VitableConnect) -> None:
    employer_id = _new_employer(sdk)
    got = sdk.employers.retrieve(employer_id).data
    assert got.email and got.email.endswith("@sdk.example") and got.address.zipcode == "78701"
    assert got.ein == "**-***6789" and got.active
    updated = sdk.employers.update(
        employer_id,
        name="Renamed by SDK",
        address={"address_line_1": "2 Oak Ave", "address_line_2": "Fl 3", "city": "Waco",
                 "state": "TX", "zipcode": "76701"},
    ).data  # fmt: skip
    assert updated.name == "Renamed by SDK" and updated.legal_name == got.legal_name
    assert updated.address.city == "Waco" and updated.address.address_line_2 == "Fl 3"
    assert [e.id for e in sdk.employers.list(name="renamed by sdk").data] == [employer_id]
    first = sdk.employers.list(limit=10)
    total, total_pages = first.pagination.total, first.pagination.total_pages
    assert total >= 33 and total_pages == -(-total // 10)
    ids = [
        e.id for n in range(1, total_pages + 1) for e in sdk.employers.list(limit=10, page=n).data
    ]
    assert len(ids) == len(set(ids)) == total and employer_id in ids
    assert sdk.employers.list(limit=10, page=total_pages + 1).data == []
    policy = sdk.employers.create_eligibility_policy(
        employer_id,
        name="Full-time after 30 days",
        effective_date=date(2027, 1, 1),
        rules=[{"rule_type": "hours_per_week", "operator": "gte", "value": "30"}],
    ).data
    replaced = sdk.employers.create_eligibility_policy(
        employer_id,
        name="v2",
        effective_date=date(2027, 1, 1),
        rules=[{"rule_type": "employment_status", "operator": "eq", "value": "full_time"}],
        policy_to_replace_id=policy.id,
    ).data
    assert replaced.replaced_policy_id == policy.id and replaced.active_in
    assert sdk.benefit_eligibility_policies.retrieve(policy.id).data.active_in is False
    assert sdk.employers.retrieve(employer_id).data.eligibility_policy_id == replaced.id


def test_sdk_enrollments(sdk: VitableConnect) -> None:
    enrollment = sdk.enrollments.retrieve(ENRL_EF).data
    assert enrollment.coverage_tier == "EF" and enrollment.status == "enrolled"
    assert enrollment.enrolled_dependents and len(enrollment.enrolled_dependents) == 2
    plans = sdk.enrollments.list_plans(ENRL_EF)
    assert plans.pagination.total == len(plans.data) >= 2
    assert plans.data[1].id == enrollment.selected_plan_id
    assert {c.coverage_tier for c in plans.data[0].costs} == {"EE", "EF"}
    listed = sdk.employees.enrollments.list(EMPL_EE)
    assert [e.id for e in listed.data] == [ENRL_EE] and listed.pagination.total == 1
    assert sdk.employees.enrollments.list(EMPL_EE, status="waived").data == []
    reissued = sdk.enrollments.reissue(ENRL_EE, qle_id="qle_sdk", reason="birth").data
    assert reissued.status == "pending" and reissued.selected_plan_id is None


def test_sdk_sees_the_api_errors(sdk: VitableConnect, server: tuple[str, str]) -> None:
    with pytest.raises(vitable_connect.NotFoundError) as missing:
        sdk.plan_years.retrieve("plyr_missing")
    assert set(cast(dict[str, Any], missing.value.body)) == ERROR_KEYS
    employer_id = _new_employer(sdk)
    old_classes = [
        {
            "employment": "full_time",
            "family_status": "EE",
            "employee_contribution_cents": 1,
            "employer_contribution_cents": 1,
        }
    ]
    with pytest.raises(vitable_connect.UnprocessableEntityError) as refused:
        _create_year(sdk, employer_id, 2040, contribution_classes=old_classes)
    assert "contribution_classes[0].family_status" in str(
        cast(dict[str, Any], refused.value.body)["message"]
    )
    _create_year(sdk, employer_id, 2041)
    with pytest.raises(vitable_connect.ConflictError) as overlap:
        _create_year(sdk, employer_id, 2041)
    assert cast(dict[str, Any], overlap.value.body)["app_error_code"] == "plan_year_overlap"
    with pytest.raises(vitable_connect.UnprocessableEntityError):
        sdk.employers.create(
            name="x", legal_name="x", ein="12-3456789", email="nope",
            address={"address_line_1": "1", "city": "c", "state": "s", "zipcode": "z"},
        )  # fmt: skip
    url, _ = server
    with (
        VitableConnect(api_key="vc_test_wrong", base_url=url, max_retries=0) as wrong,
        pytest.raises(vitable_connect.AuthenticationError),
    ):
        wrong.employers.list()
