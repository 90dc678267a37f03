"""The wire layer's dialect rules, through the real client over loopback HTTP against
the sandbox in each dialect (``auto``: the first read decides; no write before), plus
the body-shape rules on crafted bodies (``DialectState.incoming``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from vitable_config.api.errors import UnexpectedResponseError
from vitable_config.api.models import ContributionClassInput, PlanYearCreate
from vitable_config.api.wire import DialectError, DialectMismatchError, DialectState

from .conftest import ClientFactory, MakeContractSandbox
from .seed_data import GLOBEX, MEDICAL


def body() -> PlanYearCreate:
    return PlanYearCreate(
        employer_id=GLOBEX,
        coverage_start=date(2027, 1, 1),
        coverage_end=date(2027, 12, 31),
        open_enrollment_start=date(2026, 12, 1),
        open_enrollment_end=date(2026, 12, 15),
        contribution_classes=[
            ContributionClassInput(
                employment="full_time",
                family_status="EE",
                employee_contribution_cents=1000,
                employer_contribution_cents=20000,
            )
        ],
    )


async def test_auto_first_read_decides(
    contract_sandbox: MakeContractSandbox, client_for: ClientFactory, dialect: str
) -> None:
    client = client_for(contract_sandbox(), api_dialect="auto")
    assert not client.dialect.decided
    products = await client.list_benefit_products()
    assert products and all(isinstance(p.active, bool) for p in products)
    assert client.dialect.dialect == dialect
    assert client.dialect.decided_by == "decided by the first read, GET /v1/benefit-products"


async def test_auto_write_first_reads_once_before_writing(
    contract_sandbox: MakeContractSandbox, client_for: ClientFactory, dialect: str
) -> None:
    sbx = contract_sandbox()
    client = client_for(sbx, api_dialect="auto")
    sbx.clear_request_log()
    created = await client.create_plan_year(MEDICAL, body())
    assert [c.family_status for c in created.contribution_classes] == ["EE"]
    log = [(r.method, r.path) for r in sbx.request_log]
    assert log[0] == ("GET", "/v1/employers") and log[1][0] == "POST" and len(log) == 2
    assert client.dialect.dialect == dialect


async def test_concurrent_first_reads_are_decided_by_one(
    contract_sandbox: MakeContractSandbox, client_for: ClientFactory, dialect: str
) -> None:
    import asyncio

    client = client_for(contract_sandbox(), api_dialect="auto")
    await asyncio.gather(client.list_benefit_products(), client.list_employers())
    assert client.dialect.dialect == dialect


PY = {"id": "plyr_1", "contribution_classes": [{"id": "c", "coverage_tier": "EE"}]}


def test_a_body_mixing_dialects_names_both() -> None:
    mixed = {"id": "plyr_1", "contribution_classes": [{"family_status": "EE"}]}
    with pytest.raises(DialectError) as info:
        DialectState("auto").incoming("plan_year", "one", {"data": mixed}, 201, "POST", "/x")
    text = str(info.value)
    assert "-> 201" in text and "no known API dialect" in text
    assert '{"data": …} envelope is dialect 2026-02' in text
    assert "contribution class field 'family_status' is dialect 2025-12" in text


@pytest.mark.parametrize("weird", [None, 3, "x", [1], {"data": 5}])
def test_a_body_of_no_dialect_names_what_was_expected(weird: Any) -> None:
    s = DialectState("auto")
    with pytest.raises(UnexpectedResponseError, match=r"expected .* got"):
        s.incoming("plan_year", "one", weird, 200, "GET", "/x")


def test_canonical_shapes_from_2026_02() -> None:
    s = DialectState("auto")
    one = s.incoming("plan_year", "one", {"data": PY}, 200, "GET", "/v1/plan-years/plyr_1")
    assert one["contribution_classes"][0] == {"id": "c", "family_status": "EE"}
    assert s.dialect == "2026-02"
    page = {
        "data": [{"id": "e", "address": {"address_line_1": "1 A", "zipcode": "1"}}],
        "pagination": {"page": 1, "limit": 1, "total": 1, "total_pages": 1},
    }
    out = s.incoming("employer", "page", page, 200, "GET", "/v1/employers")
    assert out["data"][0]["address"] == {"street_1": "1 A", "zip_code": "1"}
    with pytest.raises(DialectError, match="this run speaks 2026-02"):
        s.incoming("product", "page", [{"id": "p", "active": True}], 200, "GET", "/p")


def test_outgoing_requests_per_dialect() -> None:
    s = DialectState("2026-02")
    path, params, payload = s.outgoing(
        "policy",
        "/v1/employers/empr_1/benefit-eligibility-policy",
        {},
        {"name": "n", "policy_to_replace_id": "epol_0"},
    )
    assert path == "/v1/employers/empr_1/benefit-eligibility-policies"
    assert params == {"policy_to_replace_id": "epol_0"} and payload == {"name": "n"}
    _, _, classes = s.outgoing(
        "plan_year", "/v1/plan-years/p", {}, {"contribution_classes": [{"family_status": "EE"}]}
    )
    assert classes == {"contribution_classes": [{"coverage_tier": "EE"}]}
    old = DialectState("2025-12")
    assert old.outgoing("plan_year", "/p", {}, {"a": 1}) == ("/p", {}, {"a": 1})


def test_expected_dialect_is_enforced_at_the_first_read() -> None:
    s = DialectState("auto")
    s.expect("2025-12", "the saved plan was made against an API that")
    with pytest.raises(DialectMismatchError, match="speaks API dialect 2025-12"):
        s.incoming("plan_year", "one", {"data": PY}, 200, "GET", "/v1/plan-years/plyr_1")
    pinned = DialectState("2026-02")
    with pytest.raises(DialectMismatchError):
        pinned.expect("2025-12", "the saved plan was made against an API that")
