"""Live-state reading through the real client over httpx.MockTransport: request
counts, read strategy, and errors for unknown products and employers."""

from __future__ import annotations

from datetime import date

import pytest

from tests.engine.engine_factories import (
    classes,
    desired_py,
    employer,
    live_py,
    product,
    state,
)
from tests.engine.fake_api import API_KEY, FakeApi
from vitable_config.api.errors import PermissionDeniedError
from vitable_config.engine.live import choose_strategy, fingerprint, read_live_state
from vitable_config.errors import UserError

PRODUCTS = [product("bprd_mec", "MEC"), product("bprd_vd", "VD")]


def _estate(n_employers: int, *, configured: int | None = None, history: bool = False):
    """n employers x 2 products, all in sync; the config covers the first ``configured``."""
    employers = [employer(f"empr_{i:04d}", f"Employer {i}") for i in range(n_employers)]
    live = []
    for i in range(n_employers):
        for pid in ("bprd_mec", "bprd_vd"):
            live.append(live_py(f"plyr_{pid[5:]}_{i:04d}", f"empr_{i:04d}", pid))
            if history:
                live.append(
                    live_py(
                        f"plyr_old_{pid[5:]}_{i:04d}",
                        f"empr_{i:04d}",
                        pid,
                        coverage_start=date(2026, 1, 1),
                        coverage_end=date(2026, 12, 31),
                        status="active",
                    )
                )
    count = n_employers if configured is None else configured
    desired = state(
        *(
            desired_py(f"empr_{i:04d}", code, line=i + 1)
            for i in range(count)
            for code in ("MEC", "VD")
        )
    )
    return FakeApi(PRODUCTS, employers, live), desired


async def test_large_estate_in_sync_reads_in_few_requests() -> None:
    api, desired = _estate(1000)
    async with api.client() as client:
        live = await read_live_state(client, desired)
        requests = client.stats.requests
    assert live.strategy == "per-product"
    assert sum(len(v) for v in live.plan_years.values()) == 2000
    assert len(live.plan_years) == 2000  # every managed pair
    # 1 products + 11 employer pages + 2 x 11 plan-year pages (one short/empty page each)
    assert requests == len(api.requests)
    assert requests <= 60, api.by_route
    assert api.by_route == {"products": 1, "employers": 11, "plan-years": 22}
    assert api.by_route["employer"] == 0  # never one GET per employer
    assert api.by_route["plan-years?employer"] == 0  # never per pair at this size


async def test_few_configured_employers_use_filtered_lists() -> None:
    api, desired = _estate(300, configured=10)
    async with api.client() as client:
        live = await read_live_state(client, desired)
    assert live.strategy == "per-employer"
    assert api.by_route == {"products": 1, "employer": 10, "plan-years?employer": 20}
    assert set(live.employer_names) == {f"empr_{i:04d}" for i in range(10)}
    assert sum(len(v) for v in live.plan_years.values()) == 20


async def test_small_share_of_large_estate_uses_filtered_lists() -> None:
    # 30 configured (> 20) but < 5% of 1,000: list employers once, then per pair.
    api, desired = _estate(1000, configured=30)
    async with api.client() as client:
        live = await read_live_state(client, desired)
    assert live.strategy == "per-employer"
    assert api.by_route["plan-years?employer"] == 60
    assert api.by_route["plan-years"] == 0


def test_choose_strategy_thresholds() -> None:
    assert choose_strategy(0, None) == "none"
    assert choose_strategy(20, None) == "per-employer"
    assert choose_strategy(21, 1000) == "per-employer"
    assert choose_strategy(50, 1000) == "per-product"
    assert choose_strategy(21, None) == "per-product"


async def test_live_state_is_restricted_to_managed_pairs() -> None:
    # The product VD exists live for empr_0000 but the config only manages MEC.
    api, _ = _estate(3, history=True)
    desired = state(desired_py("empr_0000", "MEC"))
    async with api.client() as client:
        live = await read_live_state(client, desired)
    assert list(live.plan_years) == [("empr_0000", "bprd_mec")]
    ids = [py.id for py in live.plan_years[("empr_0000", "bprd_mec")]]
    assert ids == ["plyr_old_mec_0000", "plyr_mec_0000"]  # sorted by coverage_start
    assert live.resolve_product("MEC") == "bprd_mec"
    assert live.product_code("bprd_mec") == "MEC"


async def test_unknown_products_are_reported_together_with_locations() -> None:
    api, _ = _estate(2)
    desired = state(
        desired_py("empr_0000", "NOPE", line=4),
        desired_py("empr_0001", "bprd_missing", line=9),
        desired_py("empr_0001", "NOPE", line=4),  # same ref + location: reported once
    )
    async with api.client() as client:
        with pytest.raises(UserError) as info:
            await read_live_state(client, desired)
    text = info.value.format()
    assert "config.yaml:4:3: error: unknown benefit product code 'NOPE'" in text
    assert "config.yaml:9:3: error: unknown benefit product id 'bprd_missing'" in text
    assert "MEC, VD" in text  # the hint names what exists
    assert len(info.value.problems) == 2
    assert api.by_route["plan-years"] + api.by_route["plan-years?employer"] == 0


async def test_ambiguous_product_code_is_an_error() -> None:
    api = FakeApi([product("bprd_a", "MEC"), product("bprd_b", "MEC")], [employer("empr_acme")], [])
    async with api.client() as client:
        with pytest.raises(UserError, match="ambiguous"):
            await read_live_state(client, state(desired_py()))


async def test_inactive_duplicate_code_prefers_active_product() -> None:
    api = FakeApi(
        [product("bprd_old", "MEC", active=False), product("bprd_new", "MEC")],
        [employer("empr_acme")],
        [],
    )
    async with api.client() as client:
        live = await read_live_state(client, state(desired_py()))
    assert live.resolve_product("MEC") == "bprd_new"


@pytest.mark.parametrize("n_employers", [5, 40])
async def test_unknown_employer_is_an_error_before_any_plan_year_read(n_employers: int) -> None:
    api, _ = _estate(n_employers)
    desired = state(
        *(desired_py(f"empr_{i:04d}", "MEC", line=i + 1) for i in range(n_employers)),
        desired_py("empr_ghost", "MEC", line=77),
    )
    async with api.client() as client:
        with pytest.raises(UserError) as info:
            await read_live_state(client, desired)
    text = info.value.format()
    assert "config.yaml:77:3: error: unknown employer 'empr_ghost'" in text
    assert api.by_route["plan-years"] + api.by_route["plan-years?employer"] == 0
    assert API_KEY not in text


async def test_api_error_in_one_list_is_raised_as_itself() -> None:
    api, desired = _estate(6)
    api.forbidden_employers.add("empr_0003")
    async with api.client() as client:
        with pytest.raises(PermissionDeniedError) as info:
            await read_live_state(client, desired)
    assert info.value.status == 403 and API_KEY not in str(info.value)


def test_fingerprint_is_stable_and_sensitive() -> None:
    a = live_py()
    assert fingerprint(a) == fingerprint(live_py())
    assert len(fingerprint(a)) == 64
    changed = live_py(cls=classes(full_time_EE_employer=1))
    assert fingerprint(changed) != fingerprint(a)
    touched = live_py(extra={"updated_at": "2026-07-01T00:00:00Z"})
    assert fingerprint(touched) != fingerprint(a)
