"""What the client records about each HTTP attempt: log lines, callbacks, counters.

Nothing here ever holds a header: a record has the method, the path with its
query string, the status and the timing. :func:`redact` is applied to every
text derived from the server or the transport as a second line of defence.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from vitable_config.api.redaction import REDACTED, redact

__all__ = ["HTTP_LOGGER_NAME", "REDACTED", "ClientStats", "OnRequest", "RequestRecord", "redact"]

HTTP_LOGGER_NAME = "vitable_config.http"
http_logger = logging.getLogger(HTTP_LOGGER_NAME)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP attempt. ``status`` is None when no response arrived."""

    method: str
    path: str
    status: int | None
    elapsed_ms: float
    attempt: int
    error: str | None = None

    def format(self) -> str:
        outcome = str(self.status) if self.status is not None else f"error ({self.error})"
        return (
            f"{self.method} {self.path} -> {outcome} {self.elapsed_ms:.1f}ms attempt={self.attempt}"
        )


OnRequest = Callable[[RequestRecord], None]


@dataclass
class ClientStats:
    """Counters a benchmark or a test can read after a run."""

    requests: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0
    transport_errors: int = 0
    outcome_unknown: int = 0

    def record(self, rec: RequestRecord) -> None:
        self.requests += 1
        self.by_method[rec.method] += 1
        if rec.status is None:
            self.transport_errors += 1
        else:
            self.by_status[rec.status] += 1
            if rec.status == 429:
                self.rate_limited += 1
        if rec.attempt > 1:
            self.retries += 1

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "by_method": dict(self.by_method),
            "by_status": dict(self.by_status),
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "transport_errors": self.transport_errors,
            "outcome_unknown": self.outcome_unknown,
        }
