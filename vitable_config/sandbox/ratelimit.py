"""Token-bucket rate limit per API key (sandbox rule 7)."""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    """``rate`` requests per second per key, with a burst of ``max(1, rate)``.

    ``acquire`` returns 0 when the request may proceed, else the seconds to wait.
    """

    def __init__(self, rate: float | None) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self.rate = rate

    def configure(self, rate: float | None) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate limit must be > 0 requests per second")
        with self._lock:
            self.rate = rate
            self._buckets.clear()

    def acquire(self, key: str) -> float:
        rate = self.rate
        if rate is None:
            return 0.0
        capacity = max(1.0, rate)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate


def retry_after_seconds(wait: float) -> int:
    """The ``Retry-After`` header value: whole seconds, at least 1."""
    return max(1, math.ceil(wait))
