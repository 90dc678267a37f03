"""An answered request leaves no cyclic garbage behind (issue 15).

Each request used to leave ~80 objects in reference cycles: httpx's response and the
stream bound to it (and, hanging off them, httpcore's pool request and streams), and
tenacity's retry loop with its state. Only the cyclic collector frees those; in an
apply of 2,000 creates it then ran every ~0.6 s for 7-26 ms each time, holding up the
16 requests in flight. Now refcounting frees everything a request made."""

from __future__ import annotations

import gc

from vitable_config.api import VitableClient

REQUESTS = 20


async def _unreachable_after(client: VitableClient, calls: int) -> int:
    gc.collect()
    gc.disable()
    try:
        for _ in range(calls):
            await client.list_benefit_products()
            await client.list_employers()
        return gc.collect()
    finally:
        gc.enable()


async def test_answered_requests_leave_no_cyclic_garbage(client: VitableClient) -> None:
    await client.list_benefit_products()  # warm-up: dialect, connections, caches
    await client.list_employers()
    unreachable = await _unreachable_after(client, REQUESTS)
    # Per-request cycles gave ~40-80 objects per request (1,600+ here).
    assert unreachable < REQUESTS, unreachable
