"""Desired state: the boundary between the config language and the engine.

The config package (``vitable_config.config``) produces a :class:`DesiredState`
from YAML; the engine (``vitable_config.engine``) compares it with live state.
Nothing here knows about YAML or HTTP.

Field paths are tuples, e.g. ``("coverage_end",)`` or
``("contribution_classes", "full_time", "EE", "employer_contribution_cents")``.
:data:`Provenance` records, per field path, which layer set the final value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

from vitable_config.errors import SourceLocation

if TYPE_CHECKING:
    from vitable_config.policy.model import Allowance
    from vitable_config.policy.rules import PolicySet

LayerKind = Literal["defaults", "template", "rollout", "employer", "variable", "plan_year"]

FieldPath = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Source:
    """Which layer supplied a value (cf. pydantic-settings' source records).

    ``kind`` is the layer; ``name`` names it where layers have names (the
    template name, the rollout name, the employer id, the variable name);
    ``location`` is where in the YAML (or CSV) the value was written.
    """

    kind: LayerKind
    name: str | None = None
    location: SourceLocation | None = None
    # For a value computed by a Jinja expression: the variables it read (sorted), so
    # a reviewer knows the value also depends on per-employer data (CSV columns,
    # rollout/employer ``variables``, ``--var``), not only on the layer's text.
    variables: tuple[str, ...] = ()

    def describe(self, *, column: bool = True) -> str:
        """``template standard-2027 (examples/rollout/vitable.yaml:22:9) using variable x``.

        The one description of provenance: ``render --sources`` shows it with the
        column, plans (text, Markdown) without (``column=False``)."""
        label = {
            "defaults": "defaults",
            "template": f"template {self.name}",
            "rollout": f"rollout {self.name}",
            "employer": "employer override",
            "variable": f"variable {self.name}",
            "plan_year": "the employer's own plan year",
        }.get(self.kind, self.kind)
        if self.location is not None:
            where = str(self.location) if column else f"{self.location.file}:{self.location.line}"
            label += f" ({where})"
        return label + variables_suffix(self.variables)


def variables_suffix(names: tuple[str, ...]) -> str:
    """`` using variable x`` / `` using variables x, y`` (empty for none)."""
    if not names:
        return ""
    return f" using variable{'s' if len(names) > 1 else ''} {', '.join(names)}"


@dataclass(frozen=True, slots=True)
class DesiredClass:
    employment: str
    family_status: str  # a CoverageTier
    employee_contribution_cents: int
    employer_contribution_cents: int

    @property
    def key(self) -> tuple[str, str]:
        return (self.employment, self.family_status)


@dataclass(frozen=True, slots=True)
class PlanYearKey:
    """Natural key of a plan year. ``benefit_product`` is a ``bprd_`` id or a
    product code (``MEC``); the engine resolves codes to ids."""

    employer_id: str
    benefit_product: str
    coverage_start: date

    def __str__(self) -> str:
        return f"{self.employer_id}/{self.benefit_product}/{self.coverage_start.isoformat()}"


@dataclass(slots=True)
class DesiredPlanYear:
    employer_id: str
    benefit_product: str
    coverage_start: date
    coverage_end: date
    open_enrollment_start: date
    open_enrollment_end: date
    # Keyed by (employment, family_status).
    contribution_classes: dict[tuple[str, str], DesiredClass]
    status: str | None = None  # a PlanYearStatus, only when the config sets it
    # Which layer set each field; keys are FieldPaths.
    provenance: dict[FieldPath, Source] = field(default_factory=dict)
    # Where the plan year was declared (the employer entry or the rollout target).
    location: SourceLocation | None = None
    template: str | None = None  # template name if one contributed
    rollout: str | None = None  # rollout name if it came through one
    employer_name: str | None = None  # optional human label from the config
    # Policy exceptions (``allow:``) by rule name, merged across layers like values.
    allow: dict[str, Allowance] = field(default_factory=dict)

    @property
    def key(self) -> PlanYearKey:
        return PlanYearKey(self.employer_id, self.benefit_product, self.coverage_start)

    def source_of(self, path: FieldPath) -> Source | None:
        """The most specific recorded source for ``path`` (walks up the path)."""
        for n in range(len(path), 0, -1):
            src = self.provenance.get(path[:n])
            if src is not None:
                return src
        return None


@dataclass(slots=True)
class DesiredState:
    plan_years: list[DesiredPlanYear]
    files: list[str] = field(default_factory=list)
    # The ``policies:`` rules of the config (None: the config declares none).
    policies: PolicySet | None = None

    @property
    def employer_ids(self) -> set[str]:
        return {py.employer_id for py in self.plan_years}
