"""The live state of one sandbox: database, clock, knobs, request log and counters.

Shared by the HTTP app, the admin endpoints and the in-process handle.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from vitable_config.sandbox.catalog import CatalogRepo
from vitable_config.sandbox.enrollments import EnrollmentRepo
from vitable_config.sandbox.faults import FaultInjector
from vitable_config.sandbox.plan_years import PlanYearRepo
from vitable_config.sandbox.ratelimit import RateLimiter
from vitable_config.sandbox.seed import load_seed, read_seed
from vitable_config.sandbox.settings import FaultSettings, SandboxSettings
from vitable_config.sandbox.store import Store


@dataclass(frozen=True, slots=True)
class ServedRequest:
    """One request as the sandbox saw it. ``status`` is ``None`` when the
    connection was dropped without a response; ``fault`` names the injected fault."""

    method: str
    path: str
    status: int | None
    fault: str | None


class SandboxRuntime:
    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.api_key = settings.resolved_api_key()
        self.dialect = settings.resolved_dialect()
        self._today = settings.resolved_today()
        self.latency_ms = settings.latency_ms
        self.allow_overlap = settings.allow_overlap
        self.faults = FaultInjector(settings.faults)
        self.rate_limiter = RateLimiter(None)
        self.rate_limiter.configure(settings.rate_limit)
        self.store = Store(settings.state_path)
        self.plan_years = PlanYearRepo(self.store)
        self.catalog = CatalogRepo(self.store)
        self.enrollments = EnrollmentRepo(self.store)
        self._log_lock = threading.Lock()
        self.request_log: list[ServedRequest] = []
        try:
            self.seeded = self._seed_if_empty()
        except BaseException:
            self.store.close()
            raise

    def __repr__(self) -> str:
        return (
            f"SandboxRuntime(state_path={self.settings.state_path!r}, today={self._today}, "
            f"dialect={self.dialect})"
        )

    # --- clock and knobs ----------------------------------------------------------

    @property
    def today(self) -> date:
        return self._today

    def set_today(self, today: date) -> None:
        self._today = today

    def set_faults(self, faults: FaultSettings) -> None:
        self.faults.configure(faults)

    def set_latency_ms(self, latency_ms: int) -> None:
        if latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        self.latency_ms = latency_ms

    def set_rate_limit(self, rate: float | None) -> None:
        self.rate_limiter.configure(rate)

    # --- seed and reset -----------------------------------------------------------

    def _seed_if_empty(self) -> bool:
        seed_file = self.settings.seed_file
        if seed_file is None or not self.store.is_empty():
            return False
        load_seed(self.store, read_seed(Path(seed_file)), self._today, source=str(seed_file))
        return True

    def reset(self) -> None:
        """Delete all data, reload the seed, clear the request log and counters."""
        self.store.clear()
        self._seed_if_empty()
        self.clear_request_log()

    # --- log and counters ---------------------------------------------------------

    def record(self, method: str, path: str, status: int | None, fault: str | None) -> None:
        with self._log_lock:
            self.request_log.append(ServedRequest(method, path, status, fault))

    def clear_request_log(self) -> None:
        with self._log_lock:
            self.request_log.clear()

    def write_count(self) -> int:
        return self.store.write_count

    def stats(self) -> dict[str, Any]:
        with self._log_lock:
            log = list(self.request_log)
        return {
            "requests": len(log),
            "writes": self.write_count(),
            "by_status": {str(k): v for k, v in Counter(r.status for r in log).items()},
            "faults": dict(Counter(r.fault for r in log if r.fault)),
            "today": self._today.isoformat(),
            "latency_ms": self.latency_ms,
            "rate_limit": self.rate_limiter.rate,
            "fault_settings": self.faults.settings.to_dict(),
        }

    def request_log_dicts(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return [asdict(r) for r in self.request_log]

    def close(self) -> None:
        self.store.close()
