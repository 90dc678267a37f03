"""The Plan: a plain value object that every output format renders and apply executes.

Built by ``vitable_config.engine.planner`` from desired state and live state;
rendered by ``vitable_config.engine.render`` (text, JSON, Markdown); saved and
re-loaded by ``vitable_config.engine.saved``; executed by ``vitable_config.engine.apply``.
Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, get_args

from vitable_config.desired import DesiredPlanYear, FieldPath, PlanYearKey, Source
from vitable_config.policy.model import CostReport, Violation

FORMAT_VERSION = 1

Action = Literal["create", "update", "blocked", "unchanged", "unmanaged"]
ACTIONS: tuple[Action, ...] = ("create", "update", "blocked", "unchanged", "unmanaged")
ChangeKind = Literal["add", "remove", "change"]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs between live (``before``) and desired (``after``).

    ``path`` is a FieldPath, e.g.
    ``("contribution_classes", "full_time", "EE", <class field name>)`` (see
    :mod:`vitable_config.domain.fields`);
    a whole class added or removed has path ``("contribution_classes", employment, tier)``
    and a dict ``after``/``before``. Cents stay integers here; renderers show dollars.
    ``source`` is the layer that set the desired value (None for removals).
    """

    path: FieldPath
    kind: ChangeKind
    before: Any
    after: Any
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class Reach:
    """How far one template/rollout-level change reaches (shown once per plan).

    ``layer`` is the template or rollout source; ``path`` the field (with the
    employment/tier kept, e.g. ``contribution_classes.full_time.EE.<employer cents field>``).
    ``changed`` counts plan years whose value changes through this layer;
    ``overridden`` counts plan years the layer reaches whose employer overrides
    that field (so the change does not affect them).
    """

    layer: Source
    path: FieldPath
    changed: int
    overridden: int
    # Distinct employers behind ``changed``/``overridden``, and plan years the layer
    # would change but cannot because they are blocked (locked / immutable field).
    changed_employers: int = 0
    overridden_employers: int = 0
    blocked: int = 0


@dataclass(slots=True)
class PlanYearChange:
    """What the plan will do (or cannot do) for one plan year."""

    action: Action
    key: PlanYearKey  # benefit_product is the resolved bprd_ id
    product_code: str | None = None
    employer_name: str | None = None
    live_id: str | None = None
    live_status: str | None = None
    # Normalised declared fields (same shape for both; None when absent).
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    changes: list[FieldChange] = field(default_factory=list)
    blocked_reason: str | None = None
    blocked_since: date | None = None
    warnings: list[str] = field(default_factory=list)
    # The API request apply will send: a JSON-ready dict of PlanYearCreate (create) or
    # PlanYearUpdate (update, only changed fields); None otherwise.
    request: dict[str, Any] | None = None
    # A create's follow-up PUT (PlanYearUpdate JSON), sent to the new plan year right
    # after the create: the fields a create cannot carry (``status``). None otherwise.
    then_request: dict[str, Any] | None = None
    # Not serialised: the desired object this change came from (None for unmanaged).
    desired: DesiredPlanYear | None = field(default=None, repr=False, compare=False)


class Fingerprints(Mapping[str, str]):
    """The fingerprints of live plan years by id, computed all at once on first use:
    the JSON plan, a saved plan and apply read them; a text or Markdown plan does not.
    (Live plan years are never modified after they are read.)"""

    __slots__ = ("_fingerprint", "_pending", "_values")

    def __init__(self, plan_years: Iterable[Any], fingerprint: Callable[[Any], str]) -> None:
        self._pending: list[Any] | None = list(plan_years)
        self._fingerprint = fingerprint
        self._values: dict[str, str] = {}

    def _all(self) -> dict[str, str]:
        if self._pending is not None:
            fingerprint = self._fingerprint
            self._values = {py.id: fingerprint(py) for py in self._pending}
            self._pending = None
        return self._values

    def __getitem__(self, live_id: str) -> str:
        return self._all()[live_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __contains__(self, live_id: object) -> bool:
        return live_id in self._all()

    def get(self, live_id: str, default: Any = None) -> Any:
        return self._all().get(live_id, default)

    def keys(self) -> KeysView[str]:
        return self._all().keys()

    def items(self) -> ItemsView[str, str]:
        return self._all().items()

    def values(self) -> ValuesView[str]:
        return self._all().values()

    def __repr__(self) -> str:
        return repr(self._all())


@dataclass(slots=True)
class Plan:
    changes: list[PlanYearChange]  # sorted by (employer_id, product, coverage_start)
    created_at: datetime
    base_url: str
    # Fingerprint (sha256 of canonical JSON) of every live plan year read, by live id;
    # plus the natural keys that were absent (creates), so apply can refuse a stale plan.
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    absent_keys: list[PlanYearKey] = field(default_factory=list)
    reach: list[Reach] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # What the run was scoped to (employers/products globs, shard "K/N"), for the record.
    scope: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    # The API dialect the live state was read in ("2025-12" / "2026-02"; None: unknown).
    api_dialect: str | None = None
    # Policy violations (failing denials first) and the cost impact from a headcount
    # file (None without one): see vitable_config.policy.
    violations: list[Violation] = field(default_factory=list)
    cost: CostReport | None = None
    # The config declares policies (the text output then says when totals need a
    # headcount file; the Markdown comment always does). Not serialised.
    policies_checked: bool = False
    # The config inputs the plan was made from (paths as given, files read, variables,
    # their digest) and the plan digest (see ``engine.digest``); empty/None for a plan
    # made from a DesiredState without files.
    inputs: dict[str, Any] = field(default_factory=dict)
    digest: str | None = None
    # Natural keys with more than one live plan year (an error: apply cannot tell
    # which one is meant), as (key, [ids in creation order]).
    duplicates: list[tuple[PlanYearKey, list[str]]] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def summary(self) -> dict[str, int]:
        return {a: self.count(a) for a in ACTIONS}

    @property
    def has_changes(self) -> bool:
        return any(c.action in ("create", "update") for c in self.changes)

    @property
    def has_blocked(self) -> bool:
        return any(c.action == "blocked" for c in self.changes)

    @property
    def denied(self) -> list[Violation]:
        """Violations of ``deny`` rules without an exception: the run must fail."""
        return [v for v in self.violations if v.denies]

    def actionable(self) -> list[PlanYearChange]:
        return [c for c in self.changes if c.action in ("create", "update")]


# "unknown": a request was sent and its outcome could not be learned (a timeout whose
# create never showed up in the re-reads, an in-flight request abandoned by a second
# interrupt). Never re-sent blind; a re-run converges.
ResultStatus = Literal["created", "updated", "failed", "skipped", "unknown"]
RESULT_STATUSES: tuple[str, ...] = get_args(ResultStatus)


@dataclass(slots=True)
class ActionResult:
    change: PlanYearChange
    status: ResultStatus
    live_id: str | None = None
    message: str | None = None  # error text for failed, reason for skipped
    # True when an unknown-outcome create was resolved by re-reading (found committed).
    recovered: bool = False


@dataclass(slots=True)
class ApplyResult:
    results: list[ActionResult]
    # Changes dropped by the re-read right before writing (never sent), one line each.
    stale: list[str] = field(default_factory=list)
    # Problems found by the verification after writing (duplicates, mismatches).
    verification: list[str] = field(default_factory=list)
    verified: bool = False
    # Stopped by SIGINT/SIGTERM: ``not_started`` actions were never sent.
    interrupted: bool = False
    not_started: int = 0

    def count(self, status: ResultStatus) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        return (
            self.count("failed") == 0
            and self.count("unknown") == 0
            and not self.stale
            and not self.verification
            and not self.interrupted
        )

    def summary_line(self) -> str:
        head = "Apply interrupted" if self.interrupted else "Apply"
        line = (
            f"{head}: {self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('failed')} failed, {self.count('skipped')} skipped"
        )
        if self.count("unknown"):
            line += f", {self.count('unknown')} outcome unknown"
        if self.stale:
            line += f", {len(self.stale)} stale (not sent)"
        if self.interrupted:
            line += f", {self.not_started} not started"
        return line
