"""Client-side throttling: a bound on concurrency, an optional fixed rate, and a rate
learned from the server's 429s.

* ``max_concurrency`` bounds requests in flight (a semaphore).
* ``rate_limit`` (requests per second, ``None`` for none) is a token bucket
  (:class:`aiolimiter.AsyncLimiter`) holding one second's worth of requests.
* Adaptive (on by default): the first 429 sets a learned rate — the number of
  requests the server answered (not 429) in the last second, if at least 2 —
  and from then on requests are *paced* (evenly spaced, no burst) at that rate.
  Each later 429 of a request admitted after the previous cut multiplies it by
  0.9; every second without a cut raises it by 1 % of the learned rate
  (additive increase, multiplicative decrease, as TCP does). A rate learned in
  the first second of a run may be low; it then climbs back 1 % a second. A 429's
  ``Retry-After`` pauses every new admission until it has passed, not only the
  retry of that request. Against a 100 req/s sandbox this keeps 429s well under
  1 % of requests (``benchmarks/perf.py``, scenario ``apply-rate-limited``).
* Writes are spaced: once a write's exchange time is known (an average of the last
  ones), writes are admitted at least ``WRITE_SPACING`` x (that time / requests in
  flight) apart. With many writes in flight against a server that does one thing at
  a time, requests otherwise bunch (one that waits behind another is answered later,
  its successor goes out later, and the waits grow into a stable bunch). Half the
  spacing of evenly spread writes: the pace never limits the throughput, it only
  keeps bunches from forming. Against the sandbox at 50 ms latency, 16 in flight, a
  lone create took 52.4 ms and each of 2,000 creates 56-57.6 ms; spaced, 51.4 ms.
  Reads are never held (they go out in windows on purpose).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter

WINDOW_SECONDS = 1.0
DECREASE = 0.9
INCREASE_PER_SECOND = 0.01
MIN_RATE = 1.0
MIN_SAMPLE = 2  # answers in the window needed before a first rate is learned
WRITE_SPACING = 0.5  # of the spacing of evenly spread writes (see the module text)
WRITE_TIME_WEIGHT = 0.2  # of each answered write in the average exchange time


class AdaptiveRate:
    """A request rate learned from 429s (AIMD); ``rate`` is None until the first 429."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._learned: float | None = None
        self._cut_at = float("-inf")  # when the learned rate was last set
        self._next_slot = float("-inf")
        self._answered: deque[float] = deque()  # times of recent non-429 answers

    @property
    def rate(self) -> float | None:
        """The current paced rate (requests/second), or None when not limited."""
        if self._learned is None:
            return None
        quiet = max(0.0, self._clock() - self._cut_at)
        return self._learned * (1.0 + INCREASE_PER_SECOND * quiet)

    async def wait(self) -> None:
        """Wait for this request's slot (no wait while no rate is learned). A cut
        while waiting re-spaces the waiter at the new rate: slots reserved at the
        old rate would otherwise keep the old pace for a moment and cause more
        429s, and more cuts, than the server asked for."""
        while (rate := self.rate) is not None:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / rate
            if slot <= now:
                return
            epoch = self._cut_at
            await asyncio.sleep(slot - now)
            if self._cut_at == epoch:
                return

    def answered(self) -> None:
        """Record a response that was not a 429."""
        now = self._clock()
        self._answered.append(now)
        self._trim(now)

    def rate_limited(self, admitted_at: float) -> None:
        """A 429 for a request admitted at ``admitted_at``: cut the rate, once per
        episode (429s of requests sent before the last cut do not cut again)."""
        if admitted_at < self._cut_at:
            return
        now = self._clock()
        current = self.rate
        if current is None:
            self._trim(now)
            if len(self._answered) < MIN_SAMPLE:
                return  # nothing to learn from yet: the Retry-After pause only
            learned = float(len(self._answered))
        else:
            learned = current * DECREASE
        self._learned = max(MIN_RATE, learned)
        self._cut_at = now
        self._next_slot = now + 1.0 / self._learned  # waiters re-reserve from here

    def _trim(self, now: float) -> None:
        while self._answered and self._answered[0] < now - WINDOW_SECONDS:
            self._answered.popleft()


class RequestGate:
    """Admits one HTTP attempt at a time: semaphore, Retry-After pause, fixed rate,
    learned rate. ``admit()`` yields the admission time, which the caller passes
    back to :meth:`rate_limited` on a 429."""

    def __init__(
        self,
        *,
        max_concurrency: int = 16,
        rate_limit: float | None = None,
        adaptive: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if rate_limit is not None and rate_limit <= 0:
            raise ValueError(f"rate_limit must be positive requests/second, got {rate_limit}")
        self.max_concurrency = max_concurrency
        self.rate_limit = rate_limit
        self._clock = clock
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._limiter = _make_limiter(rate_limit)
        self.adaptive = AdaptiveRate(clock) if adaptive else None
        self._paused_until = float("-inf")
        self._write_time: float | None = None  # average exchange time of answered writes
        self._next_write = float("-inf")  # the earliest admission of the next write

    @property
    def learned_rate(self) -> float | None:
        """The rate learned from 429s (None: no 429 seen, or adaptive is off)."""
        return self.adaptive.rate if self.adaptive is not None else None

    def write_spacing(self) -> float:
        """The least time between two write admissions (0 until a write was answered)."""
        if self._write_time is None:
            return 0.0
        return WRITE_SPACING * self._write_time / self.max_concurrency

    @asynccontextmanager
    async def admit(self, *, write: bool = False) -> AsyncIterator[float]:
        """Admit one attempt; ``write``: a request that changes something (spaced).
        The exchange inside the block is timed (for writes that end without an
        exception: a timeout says nothing of the server's pace)."""
        async with self._semaphore:
            while (pause := self._paused_until - self._clock()) > 0:
                await asyncio.sleep(pause)
            if self._limiter is not None:
                await self._limiter.acquire()
            if self.adaptive is not None:
                await self.adaptive.wait()
            if write and (spacing := self.write_spacing()) > 0:
                now = self._clock()
                slot = max(now, self._next_write)
                self._next_write = slot + spacing
                if slot > now:
                    await asyncio.sleep(slot - now)
            admitted_at = self._clock()
            yield admitted_at
            if write:
                took = self._clock() - admitted_at
                known = self._write_time
                self._write_time = (
                    took if known is None else known + WRITE_TIME_WEIGHT * (took - known)
                )

    def answered(self) -> None:
        """The server answered (anything but 429)."""
        if self.adaptive is not None:
            self.adaptive.answered()

    def rate_limited(self, admitted_at: float, retry_after: float | None) -> None:
        """The server answered 429: pause new admissions for ``retry_after`` seconds
        and (adaptive) lower the learned rate."""
        if retry_after is not None and retry_after > 0:
            self._paused_until = max(self._paused_until, self._clock() + retry_after)
        if self.adaptive is not None:
            self.adaptive.rate_limited(admitted_at)


def _make_limiter(rate_limit: float | None) -> AsyncLimiter | None:
    if rate_limit is None:
        return None
    # Imported only for a fixed rate (--rate-limit): it imports importlib.metadata,
    # ~10 ms of every run's start-up.
    from aiolimiter import AsyncLimiter

    if rate_limit >= 1:
        return AsyncLimiter(max_rate=rate_limit, time_period=1.0)
    # Slower than one request a second: a bucket of one, refilled every 1/rate seconds.
    return AsyncLimiter(max_rate=1, time_period=1.0 / rate_limit)
