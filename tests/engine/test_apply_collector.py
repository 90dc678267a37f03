"""apply_plan keeps the cyclic collector off the objects alive when it starts (the plan,
config and live state) while it writes: each full collection over them held up every
request in flight (100-400 ms stalls in an apply of 2,000 creates). New objects are
still collected, and a host's own gc.freeze() is never undone."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.engine.fake_api import FakeApi
from tests.engine.test_apply import create_change, plan_of
from vitable_config import collector
from vitable_config.api.models import PlanYear, PlanYearCreate
from vitable_config.engine.run import apply_plan


class _Stop(BaseException):
    """Not an API error (nor one asyncio treats specially): it leaves apply_plan."""


class _WatchingApi(FakeApi):
    """Records the collector's state at each create."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.seen: list[tuple[bool, int]] = []
        self.fail = fail

    async def create_plan_year(self, benefit_product_id: str, body: PlanYearCreate) -> PlanYear:
        self.seen.append((gc.isenabled(), gc.get_freeze_count()))
        if self.fail:
            raise _Stop
        return await super().create_plan_year(benefit_product_id, body)


@pytest.fixture(autouse=True)
def _nothing_frozen() -> Iterator[None]:
    gc.unfreeze()
    enabled = gc.isenabled()
    gc.enable()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


async def test_objects_alive_at_the_start_are_frozen_while_writing_and_thawed_after() -> None:
    api = _WatchingApi()
    plan = plan_of(create_change("empr_a"), create_change("empr_b"))
    result = await apply_plan(plan, api, reread=False, verify=False)
    assert [r.status for r in result.results] == ["created", "created"]
    assert api.seen and all(enabled and frozen > 1_000 for enabled, frozen in api.seen)
    assert gc.get_freeze_count() == 0


async def test_thawed_when_the_apply_is_interrupted() -> None:
    api = _WatchingApi(fail=True)
    with pytest.raises(_Stop):
        await apply_plan(plan_of(create_change("empr_a")), api, reread=False, verify=False)
    assert api.seen and api.seen[0][1] > 1_000
    assert gc.get_freeze_count() == 0


async def test_a_hosts_own_freeze_is_left_alone() -> None:
    gc.freeze()
    before = gc.get_freeze_count()
    api = _WatchingApi()
    await apply_plan(plan_of(create_change("empr_a")), api, reread=False, verify=False)
    # (the count only drops, as frozen objects are freed; a freeze would add thousands)
    [(enabled, frozen)] = api.seen
    assert enabled and before - 1_000 < frozen <= before
    assert before - 1_000 < gc.get_freeze_count() <= before  # not thawed either


async def test_nothing_is_frozen_when_the_collector_is_off() -> None:
    gc.disable()
    api = _WatchingApi()
    await apply_plan(plan_of(create_change("empr_a")), api, reread=False, verify=False)
    assert api.seen == [(False, 0)]
    assert gc.get_freeze_count() == 0


async def test_blocks_nest_and_the_outermost_thaws() -> None:
    api = _WatchingApi()
    with collector.existing_objects_frozen():
        outer = gc.get_freeze_count()
        plan = plan_of(*(create_change(f"empr_{i}") for i in range(20)))
        await apply_plan(plan, api, reread=False, verify=False)
        assert api.seen and all(frozen > outer for _enabled, frozen in api.seen)
        assert gc.get_freeze_count() > 1_000  # the outer block's objects stay frozen
    assert gc.get_freeze_count() == 0


def test_what_a_pause_inside_a_frozen_block_made_joins_the_frozen_objects() -> None:
    """An apply plans (collector paused) inside its frozen block, then writes: what the
    plan made is out of the collector's reach as soon as the pause ends, so the first
    collection after it does not traverse the whole plan."""
    with collector.existing_objects_frozen():
        outer = gc.get_freeze_count()
        with collector.paused():
            made = [[i] for i in range(5_000)]
            assert not gc.isenabled()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= outer + 5_000
        assert gc.get_count()[0] < 1_000  # nothing young left to traverse
    assert gc.get_freeze_count() == 0
    assert len(made) == 5_000


def test_a_pause_outside_any_frozen_block_freezes_nothing() -> None:
    with collector.paused():
        made = [[i] for i in range(5_000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert len(made) == 5_000
