"""The client learns the server's rate from 429s and paces itself (issue 6).

Logic tests drive :class:`AdaptiveRate` / :class:`RequestGate` with a fake clock;
the contract test runs the real client against a rate-limited sandbox over
loopback HTTP and counts the 429s the sandbox itself answered.
"""

from __future__ import annotations

import asyncio
import time

from vitable_config.api.client import CONNECTIONS_PER_POOL
from vitable_config.api.ratelimit import AdaptiveRate, RequestGate
from vitable_config.sandbox import SandboxHandle

from .conftest import ClientFactory, MakeContractSandbox
from .seed_data import LOCKABLE


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_no_rate_until_a_429() -> None:
    clock = FakeClock()
    rate = AdaptiveRate(clock)
    for _ in range(500):
        rate.answered()
    assert rate.rate is None


def test_first_429_learns_the_answers_of_the_last_second() -> None:
    clock = FakeClock()
    rate = AdaptiveRate(clock)
    for _ in range(30):  # older than the one-second window: not counted
        rate.answered()
    clock.now += 1.5
    for _ in range(80):
        rate.answered()
        clock.now += 0.005
    rate.rate_limited(admitted_at=clock.now - 0.01)
    assert rate.rate == 80


def test_429_with_too_few_answers_learns_nothing() -> None:
    clock = FakeClock()
    rate = AdaptiveRate(clock)
    rate.answered()
    rate.rate_limited(admitted_at=clock.now)
    assert rate.rate is None


def test_one_cut_per_episode_then_slow_increase() -> None:
    clock = FakeClock()
    rate = AdaptiveRate(clock)
    for _ in range(100):
        rate.answered()
    sent_before_cut = clock.now
    clock.now += 0.001
    rate.rate_limited(admitted_at=sent_before_cut)
    assert rate.rate == 100
    rate.rate_limited(admitted_at=sent_before_cut)  # in flight before the cut: same episode
    assert rate.rate == 100
    clock.now += 0.01
    rate.rate_limited(admitted_at=clock.now)  # admitted after the cut: a new episode
    learned = rate.rate
    assert learned is not None and abs(learned - 100 * 1.0001 * 0.9) < 1e-6
    clock.now += 10  # ten quiet seconds: +1 % of the learned rate each
    assert abs((rate.rate or 0) - learned * 1.10) < 1e-6


async def test_gate_paces_at_the_learned_rate_and_pauses_for_retry_after() -> None:
    gate = RequestGate(max_concurrency=4)
    for _ in range(20):
        gate.answered()
    loop = asyncio.get_running_loop()
    gate.rate_limited(admitted_at=loop.time(), retry_after=0.2)
    started = loop.time()
    async with gate.admit():
        pass
    assert loop.time() - started >= 0.19  # the Retry-After pause holds everyone
    assert gate.learned_rate is not None and 19.5 <= gate.learned_rate <= 21
    started = loop.time()
    for _ in range(6):
        async with gate.admit():
            pass
    # paced at ~20/s: six admissions need at least ~5 intervals of 50 ms
    assert loop.time() - started >= 0.2


async def test_a_cut_re_spaces_requests_already_waiting() -> None:
    rate = AdaptiveRate()
    for _ in range(100):
        rate.answered()
    rate.rate_limited(admitted_at=time.monotonic())  # learned: 100/s
    loop = asyncio.get_running_loop()
    started = loop.time()
    waiters = [asyncio.ensure_future(rate.wait()) for _ in range(10)]  # slots up to ~0.1 s
    await asyncio.sleep(0.015)
    while (rate.rate or 0) > 20:
        rate.rate_limited(admitted_at=time.monotonic() + 1)
    await asyncio.gather(*waiters)
    # Kept at 100/s the ten slots end by ~0.1 s; re-spaced at <= 20/s they need >= 0.35 s.
    assert loop.time() - started >= 0.3


def test_adaptive_can_be_turned_off() -> None:
    gate = RequestGate(adaptive=False)
    for _ in range(50):
        gate.answered()
    gate.rate_limited(admitted_at=0.0, retry_after=None)
    assert gate.learned_rate is None


async def test_client_keeps_429s_rare_against_a_rate_limited_sandbox(
    contract_sandbox: MakeContractSandbox, client_for: ClientFactory
) -> None:
    sbx: SandboxHandle = contract_sandbox(rate_limit=50, latency_ms=20)
    client = client_for(sbx, max_concurrency=8)
    results = await asyncio.gather(*(client.get_plan_year(LOCKABLE) for _ in range(150)))
    assert len(results) == 150
    statuses = [r.status for r in sbx.request_log]
    answered_429 = statuses.count(429)
    # Unpaced, 8 workers at ~20 ms each ask ~400 req/s of a 50 req/s server: about
    # 7 of every 8 requests would be refused (~130 of 150). Learned and paced: a
    # handful. The bound is 10% of the requests: in the full suite on 2 cores the
    # count was 9 once (≤ 8 in every run alone), and this is a timing test, not a
    # benchmark; the paced-vs-unpaced difference it proves is an order of magnitude.
    assert answered_429 <= 15, statuses
    assert statuses.count(200) == 150
    assert client.learned_rate is not None and 25 <= client.learned_rate <= 70


async def test_connections_are_spread_over_pools_of_at_most_4(
    contract_sandbox: MakeContractSandbox, client_for: ClientFactory
) -> None:
    sbx: SandboxHandle = contract_sandbox(latency_ms=30)
    client = client_for(sbx, max_concurrency=40)
    pools = client._pools
    assert CONNECTIONS_PER_POOL == 4
    assert len(pools) == 10
    results = await asyncio.gather(*(client.get_plan_year(LOCKABLE) for _ in range(40)))
    assert len(results) == 40
    assert client._in_flight == [0] * 10
    opened = [len(http._transport._pool.connections) for http in pools]  # type: ignore[attr-defined]
    assert all(n <= 4 for n in opened), opened  # ceil(40 / 10) connections per pool
    assert sum(1 for n in opened if n) >= 2, opened  # the load was spread
