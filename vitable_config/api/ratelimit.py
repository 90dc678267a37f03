"""Client-side throttling: a token bucket on request rate and a bound on concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiolimiter import AsyncLimiter


class RequestGate:
    """Admits one HTTP attempt at a time through a semaphore, then a rate limiter.

    ``max_concurrency`` bounds requests in flight; ``rate_limit`` (requests per
    second, ``None`` for unlimited) is enforced with :class:`aiolimiter.AsyncLimiter`,
    whose bucket holds one second's worth of requests.
    """

    def __init__(self, *, max_concurrency: int = 16, rate_limit: float | None = None) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if rate_limit is not None and rate_limit <= 0:
            raise ValueError(f"rate_limit must be positive requests/second, got {rate_limit}")
        self.max_concurrency = max_concurrency
        self.rate_limit = rate_limit
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._limiter = _make_limiter(rate_limit)

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        async with self._semaphore:
            if self._limiter is not None:
                await self._limiter.acquire()
            yield


def _make_limiter(rate_limit: float | None) -> AsyncLimiter | None:
    if rate_limit is None:
        return None
    if rate_limit >= 1:
        return AsyncLimiter(max_rate=rate_limit, time_period=1.0)
    # Slower than one request a second: a bucket of one, refilled every 1/rate seconds.
    return AsyncLimiter(max_rate=1, time_period=1.0 / rate_limit)
