"""Desired state: the boundary between the config language and the engine.

The config package (``vitable_config.config``) produces a :class:`DesiredState`
from YAML; the engine (``vitable_config.engine``) compares it with live state.
Nothing here knows about YAML or HTTP.

Field paths are tuples, e.g. ``("coverage_end",)`` or
``("contribution_classes", "full_time", "EE", "employer_contribution_cents")``.
:data:`Provenance` records, per field path, which layer set the final value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from vitable_config.errors import SourceLocation

if TYPE_CHECKING:
    from vitable_config.policy.model import Allowance
    from vitable_config.policy.rules import PolicySet

LayerKind = Literal["defaults", "template", "rollout", "employer", "variable", "plan_year"]

FieldPath = tuple[str, ...]


class Source:
    """Which layer supplied a value (cf. pydantic-settings' source records).

    ``kind`` is the layer; ``name`` names it where layers have names (the
    template name, the rollout name, the employer id, the variable name);
    ``location`` is where in the YAML (or CSV) the value was written.

    Immutable and compared by value like a frozen dataclass. The loader makes one
    per value it reads (:meth:`at_mark`), keeping the YAML parser's mark and making
    the :class:`SourceLocation` only when ``location`` is first read: a plan with no
    changes never reads most of them.
    """

    __slots__ = ("_where", "file", "kind", "name", "variables")
    __match_args__ = ("kind", "name", "location", "variables")

    kind: LayerKind
    name: str | None
    # For a value computed by a Jinja expression: the variables it read (sorted), so
    # a reviewer knows the value also depends on per-employer data (CSV columns,
    # rollout/employer ``variables``, ``--var``), not only on the layer's text.
    variables: tuple[str, ...]
    # A SourceLocation or None, or (until ``location`` is read) a parser mark with
    # 0-based ``line`` and ``column`` in ``file``.
    _where: Any
    # ``location.file`` (None without a location), kept so that reading it makes no
    # location: validate reads it for every value (employment name warnings).
    file: str | None

    def __init__(
        self,
        kind: LayerKind,
        name: str | None = None,
        location: SourceLocation | None = None,
        variables: tuple[str, ...] = (),
    ) -> None:
        _set_kind(self, kind)
        _set_name(self, name)
        _set_where(self, location)
        _set_file(self, None if location is None else location.file)
        _set_variables(self, variables)

    @classmethod
    def at_mark(cls, kind: LayerKind, name: str | None, file: str, where: Any) -> Source:
        """A source whose location is ``where``: a SourceLocation, None, or a parser mark
        (0-based ``line``/``column``) in ``file``, turned into a SourceLocation on first
        use."""
        shown: str | None = file
        if where is None:
            shown = None
        elif where.__class__ is SourceLocation:
            shown = where.file
        if cls is not Source:
            self = _new(cls)
            _set_kind(self, kind)
            _set_name(self, name)
            _set_where(self, where)
            _set_file(self, shown)
            _set_variables(self, ())
            return self
        # Filled in as an _Unfrozen (plain slot assignments), then made a Source: the
        # loader makes one per value it reads, and the slots' own setters cost twice.
        new = _new(_Unfrozen)
        new.kind = kind
        new.name = name
        new._where = where
        new.file = shown
        new.variables = ()
        new.__class__ = Source  # type: ignore[assignment]
        return new  # type: ignore[return-value]

    @property
    def location(self) -> SourceLocation | None:
        where = self._where
        if where is None or where.__class__ is SourceLocation:
            return where
        if where.__class__ is int:  # packed (config/yaml_loader.py pack_where)
            located = SourceLocation.unpacked(self.file or "", where)
        else:
            located = SourceLocation(self.file, where.line + 1, where.column + 1)  # type: ignore[arg-type]
        _set_where(self, located)
        return located

    def with_variables(self, variables: tuple[str, ...]) -> Source:
        """This source, recording the variables its expression read."""
        other = _new(Source)
        _set_kind(other, self.kind)
        _set_name(other, self.name)
        _set_where(other, self._where)
        _set_file(other, self.file)
        _set_variables(other, variables)
        return other

    def _fields(self) -> tuple[Any, ...]:
        return (self.kind, self.name, self.location, self.variables)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"Source(kind={self.kind!r}, name={self.name!r}, location={self.location!r}, "
            f"variables={self.variables!r})"
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Source, self._fields())

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
        location = self.location
        if location is not None:
            where = str(location) if column else f"{location.file}:{location.line}"
            label += f" ({where})"
        return label + variables_suffix(self.variables)


class _Unfrozen:
    """Source's slots without its refusal to assign (see :meth:`Source.at_mark`): the
    same layout, so an instance can become a Source by assigning ``__class__``."""

    __slots__ = Source.__slots__
    kind: LayerKind
    name: str | None
    variables: tuple[str, ...]
    _where: Any
    file: str | None


# The slots' own setters: Source is immutable to its users (``__setattr__`` refuses).
_new = object.__new__
_set_kind: Callable[[Source, Any], None] = vars(Source)["kind"].__set__
_set_name: Callable[[Source, Any], None] = vars(Source)["name"].__set__
_set_where: Callable[[Source, Any], None] = vars(Source)["_where"].__set__
_set_file: Callable[[Source, Any], None] = vars(Source)["file"].__set__
_set_variables: Callable[[Source, Any], None] = vars(Source)["variables"].__set__


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
