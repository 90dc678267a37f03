"""Knobs of the sandbox server: the clock, latency, rate limit, faults, overlap rule.

Environment variables (used as defaults when a value is not given explicitly):

* ``VITABLE_SANDBOX_TODAY=YYYY-MM-DD`` — the sandbox clock (default: the real date).
* ``VITABLE_SANDBOX_API_KEY`` — the accepted API key (default: a generated
  ``vc_test_<hex>`` key).
* ``VITABLE_SANDBOX_DIALECT`` — the API dialect served (``2025-12``, the default;
  ``2026-02``; or ``removed``: 2026-02 without benefit products and plan years).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from vitable_config.errors import UserError

TODAY_ENV = "VITABLE_SANDBOX_TODAY"
SANDBOX_API_KEY_ENV = "VITABLE_SANDBOX_API_KEY"
DIALECT_ENV = "VITABLE_SANDBOX_DIALECT"

# The API's public contract over time (REFERENCE.md, "API dialects"): the seeds'
# shapes; the Feb 2026 shapes ({"data": ...} envelopes, coverage_tier, ...); and the
# March 2026 removal of benefit products and plan years (2026-02 shapes otherwise).
DIALECT_2025_12 = "2025-12"
DIALECT_2026_02 = "2026-02"
DIALECT_REMOVED = "removed"
DIALECTS: tuple[str, ...] = (DIALECT_2025_12, DIALECT_2026_02, DIALECT_REMOVED)
DEFAULT_DIALECT = DIALECT_2025_12
DEFAULT_SEED_PATH = Path(__file__).with_name("default_seed.yaml")
DEFAULT_STATE_PATH = Path(".vitable-sandbox") / "state.db"

# Order matters: a draw maps onto these in turn (new kinds go last, so a seed's
# earlier kinds stay where they were).
FAULT_KINDS: tuple[str, ...] = (
    "error_before",
    "error_after",
    "drop_after",
    "slow",
    "throttle",
    "commit_late",
)


def generate_api_key() -> str:
    """A fresh sandbox key, ``vc_test_`` followed by 32 hex digits."""
    return f"vc_test_{secrets.token_hex(16)}"


def parse_today(text: str, source: str = TODAY_ENV) -> date:
    """Parse a ``YYYY-MM-DD`` clock value, or raise a :class:`UserError`."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"{source}: expected a date as YYYY-MM-DD (e.g. 2026-11-21), got {text!r}"
        ) from None


def today_from_env() -> date:
    """``VITABLE_SANDBOX_TODAY`` if set, else the real date."""
    value = os.environ.get(TODAY_ENV)
    return parse_today(value) if value else date.today()


def parse_dialect(text: str, source: str = DIALECT_ENV) -> str:
    """One of :data:`DIALECTS`, or raise a :class:`UserError`."""
    value = text.strip()
    if value not in DIALECTS:
        raise UserError(f"{source}: expected one of {', '.join(DIALECTS)}, got {text!r}")
    return value


def dialect_from_env() -> str:
    """``VITABLE_SANDBOX_DIALECT`` if set, else ``2025-12``."""
    value = os.environ.get(DIALECT_ENV)
    return parse_dialect(value) if value and value.strip() else DEFAULT_DIALECT


def api_key_from_env() -> str | None:
    return os.environ.get(SANDBOX_API_KEY_ENV) or None


@dataclass(frozen=True)
class FaultSettings:
    """Per-request fault probabilities (each 0..1; their sum must be ≤ 1).

    One number is drawn from ``random.Random(seed)`` per authenticated API request,
    in arrival order, and mapped onto the kinds in the order ``error_before``,
    ``error_after``, ``drop_after``, ``slow``; so a given seed and request sequence
    always yields the same faults.

    * ``error_before`` — 500 before the handler runs (nothing written);
    * ``error_after`` — the handler runs and commits, then a 500 replaces its response;
    * ``drop_after`` — the handler runs and commits, then the connection is closed
      without any response;
    * ``slow`` — the handler runs and commits, then the response waits ``slow_ms``;
    * ``throttle`` — 429 with ``Retry-After`` (1 s) and ``retry-after-ms``
      (``throttle_ms``) before the handler runs (nothing written), like rule 7 but
      drawn from the seed;
    * ``commit_late`` — the request body is read, then the server waits ``slow_ms``
      *before* the handler runs and commits (a server still working on a request
      the client has given up on): a client timeout shorter than ``slow_ms`` sees
      nothing, and the write lands afterwards.

    ``methods`` limits faults to these HTTP methods (default: all);
    ``paths`` limits them to paths matching one of these ``fnmatch`` patterns
    (e.g. ``"/v1/benefit-products/*/plan-years"``; default: all ``/v1`` paths).
    """

    error_before: float = 0.0
    error_after: float = 0.0
    drop_after: float = 0.0
    slow: float = 0.0
    slow_ms: int = 1000
    throttle: float = 0.0
    throttle_ms: int = 50
    commit_late: float = 0.0
    seed: int = 0
    methods: frozenset[str] | None = None
    paths: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for kind in FAULT_KINDS:
            p = getattr(self, kind)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"fault probability {kind} must be between 0 and 1, got {p}")
        if self.total_probability() > 1.0 + 1e-9:
            raise ValueError("fault probabilities must add up to at most 1")
        if self.slow_ms < 0:
            raise ValueError("slow_ms must be >= 0")
        if self.throttle_ms < 0:
            raise ValueError("throttle_ms must be >= 0")
        if self.methods is not None:
            object.__setattr__(self, "methods", frozenset(m.upper() for m in self.methods))

    def total_probability(self) -> float:
        return float(sum(getattr(self, kind) for kind in FAULT_KINDS))

    @property
    def enabled(self) -> bool:
        return self.total_probability() > 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "error_before": self.error_before,
            "error_after": self.error_after,
            "drop_after": self.drop_after,
            "slow": self.slow,
            "slow_ms": self.slow_ms,
            "throttle": self.throttle,
            "throttle_ms": self.throttle_ms,
            "commit_late": self.commit_late,
            "seed": self.seed,
            "methods": sorted(self.methods) if self.methods is not None else None,
            "paths": list(self.paths) if self.paths is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> FaultSettings:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = dict(data)
        if values.get("methods") is not None:
            values["methods"] = frozenset(values["methods"])
        if values.get("paths") is not None:
            values["paths"] = tuple(values["paths"])
        return cls(**values)


@dataclass
class SandboxSettings:
    """Everything needed to start a sandbox.

    ``state_path=None`` keeps the state in memory (gone when the server stops).
    ``seed_file`` is loaded only into an empty database (first use).
    ``today=None`` means ``VITABLE_SANDBOX_TODAY`` or the real date.
    ``api_key=None`` means ``VITABLE_SANDBOX_API_KEY`` or a generated key.
    ``rate_limit`` is requests per second per API key (``None``: unlimited).
    ``dialect=None`` means ``VITABLE_SANDBOX_DIALECT`` or ``2025-12`` (see :data:`DIALECTS`).
    """

    seed_file: Path | str | None = DEFAULT_SEED_PATH
    state_path: Path | str | None = None
    today: date | None = None
    latency_ms: int = 0
    rate_limit: float | None = None
    allow_overlap: bool = False
    faults: FaultSettings = field(default_factory=FaultSettings)
    api_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    dialect: str | None = None

    def __post_init__(self) -> None:
        if self.dialect is not None:
            self.dialect = parse_dialect(self.dialect, "dialect")

    def resolved_dialect(self) -> str:
        return self.dialect if self.dialect is not None else dialect_from_env()

    def resolved_today(self) -> date:
        return self.today if self.today is not None else today_from_env()

    def resolved_api_key(self) -> str:
        return self.api_key or api_key_from_env() or generate_api_key()

    def __repr__(self) -> str:  # never show the key
        key = "<set>" if self.api_key else None
        return (
            f"SandboxSettings(seed_file={self.seed_file!r}, state_path={self.state_path!r}, "
            f"today={self.today!r}, latency_ms={self.latency_ms}, rate_limit={self.rate_limit}, "
            f"allow_overlap={self.allow_overlap}, faults={self.faults!r}, api_key={key}, "
            f"host={self.host!r}, port={self.port}, dialect={self.dialect!r})"
        )
