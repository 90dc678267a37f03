"""Policy violations and cost impact as plain data (carried by the engine's Plan).

Nothing here does I/O or knows about YAML, HTTP or click: the policy evaluator
(:mod:`vitable_config.policy.evaluate`) and the cost calculator
(:mod:`vitable_config.policy.cost`) produce these values; the renderers show them
and :mod:`vitable_config.engine.serialize` writes them into the plan document.
All amounts are monthly cents, as the API defines contribution classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from vitable_config.desired import FieldPath, PlanYearKey, Source
from vitable_config.errors import SourceLocation

# The config key of a deliberate exception, next to the values it excepts:
# ``allow: [{rule: NAME, reason: "..."}]`` on defaults, a template, a rollout or a plan year.
ALLOW = "allow"
# The config section that declares the rules.
POLICIES = "policies"

Level = Literal["deny", "warn"]
LEVELS: tuple[Level, ...] = ("deny", "warn")
MONTHS_PER_YEAR = 12


def dollars(cents: int) -> str:
    """Cents as US dollars (``-123450`` -> ``-$1,234.50``), as the renderers show them
    (kept here so loading the rules does not import the renderers)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}${whole:,}.{rest:02d}"


@dataclass(frozen=True, slots=True)
class Allowance:
    """``allow: [{rule, reason}]`` as declared: the reason and where it was written."""

    rule: str
    reason: str
    source: Source


@dataclass(frozen=True, slots=True)
class Violation:
    """One rule broken by one plan year (or, for cost guardrails, an employer or the total).

    ``path``/``value``/``source`` name the value that breaks the rule and the layer
    (file:line) that set it, when there is one value to blame.
    """

    rule: str
    level: Level
    message: str  # the rule's message (or its kind's default)
    detail: str  # what was found, with the figures
    key: PlanYearKey | None = None  # None for employer-wide and overall rules
    product_code: str | None = None
    employer_id: str | None = None
    path: FieldPath | None = None
    value: Any = None
    source: Source | None = None
    rule_location: SourceLocation | None = None
    # A deliberate exception declared next to the value: shown, never fails the run.
    allowed: Allowance | None = None

    @property
    def denies(self) -> bool:
        return self.level == "deny" and self.allowed is None


@dataclass(frozen=True, slots=True)
class Totals:
    """Monthly contribution totals in cents (headcount x per-enrollee amounts)."""

    employee: int = 0
    employer: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.employee + other.employee, self.employer + other.employer)


@dataclass(frozen=True, slots=True)
class CostLine:
    """Monthly totals before -> after for one plan year, one employer or everything."""

    before: Totals
    after: Totals
    key: PlanYearKey | None = None
    product_code: str | None = None
    employer_id: str | None = None
    action: str | None = None


@dataclass(slots=True)
class CostReport:
    """The cost impact of a plan, from a headcount file.

    ``overall`` and ``employers`` count only what apply can do (blocked plan years
    keep their live totals); ``blocked`` sums what blocked changes would cost.
    ``plan_years`` lists the changed ones (create, update, blocked).
    """

    headcount_file: str
    overall: CostLine
    employers: list[CostLine] = field(default_factory=list)
    plan_years: list[CostLine] = field(default_factory=list)
    blocked: CostLine | None = None
    # Contribution classes of managed plan years that no headcount row matched (counted 0).
    unmatched_classes: int = 0
