"""The field table: every plan-year and contribution-class field, defined once.

Each layer reads this table instead of naming fields: the config loader
(:mod:`vitable_config.config.layers`, ``build``) for YAML paths, parsers and
required fields; the engine for normalisation, diff order, create/update
requests, apply's "is it live" checks and export; the renderers for labels.

Adding an updatable plan-year field means: one :class:`PlanYearField` here, the
attribute on :class:`vitable_config.desired.DesiredPlanYear`, the wire models in
:mod:`vitable_config.api.models`, and the config model in
:mod:`vitable_config.config.models` (the JSON Schema is generated from it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter
from typing import Any, Literal

FieldKind = Literal["employer", "product", "date", "status"]

CLASSES = "contribution_classes"  # the path root of every contribution-class field


@dataclass(frozen=True, slots=True)
class PlanYearField:
    """One scalar field of a plan year.

    ``name`` is the canonical name: the attribute of ``DesiredPlanYear``, the key of
    the normalised shape and of a field path, and the request wire name.
    """

    name: str
    yaml_path: tuple[str, ...]  # where a user writes it, e.g. ("open_enrollment", "end")
    label: str  # how a person reads it in a plan
    kind: FieldKind  # selects the config parser and the display format
    response_name: str  # the attribute of the PlanYear response model
    in_key: bool = False  # part of the natural key (employer, product, coverage start)
    compared: bool = False  # normalised and diffed against live
    optional: bool = False  # compared only when the config sets it
    in_create: bool = False  # sent in the create request
    updatable: bool = False  # a PUT can change it (only while the plan year is draft)

    @property
    def yaml_name(self) -> str:
        return ".".join(self.yaml_path)

    @property
    def path(self) -> tuple[str, ...]:
        """The field path of this field (see :mod:`vitable_config.desired`)."""
        return (self.name,)


PLAN_YEAR_FIELDS: tuple[PlanYearField, ...] = (
    PlanYearField(
        "benefit_product",
        ("benefit_product",),
        "benefit product",
        "product",
        "benefit_product_id",
        in_key=True,
    ),
    PlanYearField(
        "coverage_start",
        ("coverage", "start"),
        "coverage start",
        "date",
        "coverage_start",
        in_key=True,
        in_create=True,
    ),
    PlanYearField(
        "coverage_end",
        ("coverage", "end"),
        "coverage end",
        "date",
        "coverage_end",
        compared=True,
        in_create=True,
    ),
    PlanYearField(
        "open_enrollment_start",
        ("open_enrollment", "start"),
        "open enrollment start",
        "date",
        "open_enrollment_start_date",
        compared=True,
        in_create=True,
        updatable=True,
    ),
    PlanYearField(
        "open_enrollment_end",
        ("open_enrollment", "end"),
        "open enrollment end",
        "date",
        "open_enrollment_end_date",
        compared=True,
        in_create=True,
        updatable=True,
    ),
    PlanYearField(
        "status",
        ("status",),
        "status",
        "status",
        "status",
        compared=True,
        optional=True,
        updatable=True,
    ),
)
BY_NAME: dict[str, PlanYearField] = {f.name: f for f in PLAN_YEAR_FIELDS}
COMPARED: tuple[PlanYearField, ...] = tuple(f for f in PLAN_YEAR_FIELDS if f.compared)
# Compared fields a config must always give (the optional ones only when set).
REQUIRED: tuple[PlanYearField, ...] = tuple(
    f for f in PLAN_YEAR_FIELDS if (f.compared and not f.optional) or f.in_key
)
UPDATABLE: tuple[PlanYearField, ...] = tuple(f for f in PLAN_YEAR_FIELDS if f.updatable)
CREATE: tuple[PlanYearField, ...] = tuple(f for f in PLAN_YEAR_FIELDS if f.in_create)
DATE_FIELDS: tuple[PlanYearField, ...] = tuple(f for f in PLAN_YEAR_FIELDS if f.kind == "date")
# Compared fields a live plan year can never be moved to (not in any update request).
IMMUTABLE: tuple[PlanYearField, ...] = tuple(f for f in COMPARED if not f.updatable)

# The order the API requires of the dates (sandbox rule 1):
# open_enrollment.start <= open_enrollment.end <= coverage.start < coverage.end.
# (first, second, strict): first must be before second (strict) or on/before it.
DATE_ORDER: tuple[tuple[str, str, bool], ...] = (
    ("open_enrollment_start", "open_enrollment_end", False),
    ("open_enrollment_end", "coverage_start", False),
    ("coverage_start", "coverage_end", True),
)


@dataclass(frozen=True, slots=True)
class ClassField:
    """One amount of a contribution class: monthly cents, by employment and tier."""

    name: str  # attribute of DesiredClass, key in the normalised class, wire name
    yaml_key: str  # how a user writes it inside a class: ``employee`` / ``employer``
    label: str


EMPLOYEE_CENTS = ClassField("employee_contribution_cents", "employee", "employee share")
EMPLOYER_CENTS = ClassField("employer_contribution_cents", "employer", "employer share")
CLASS_FIELDS: tuple[ClassField, ...] = (EMPLOYEE_CENTS, EMPLOYER_CENTS)
CLASS_FIELD_BY_NAME: dict[str, ClassField] = {f.name: f for f in CLASS_FIELDS}
CLASS_FIELD_BY_YAML: dict[str, ClassField] = {f.yaml_key: f for f in CLASS_FIELDS}
# Which amount's layer stands for a whole class added or removed (the employer share
# is what a benefits team sets per employer; the employee share follows it).
CLASS_SOURCE_ORDER: tuple[ClassField, ...] = (EMPLOYER_CENTS, EMPLOYEE_CENTS)

# The contribution-class key: employment type and coverage tier. The tier's wire name
# depends on the API dialect (the only class field whose name changed).
EMPLOYMENT = "employment"
TIER = "family_status"  # the canonical (2025-12) name, used on the desired side
TIER_WIRE_NAMES: dict[str, str] = {"2025-12": "family_status", "2026-02": "coverage_tier"}

# Display order of a plan's field changes: compared scalars in table order, then classes.
FIELD_ORDER: dict[str, int] = {f.name: i for i, f in enumerate(COMPARED)} | {CLASSES: len(COMPARED)}


def class_amounts(cls: Any) -> dict[str, int]:
    """``{employee_contribution_cents: …, employer_contribution_cents: …}`` of a class object."""
    return {f.name: getattr(cls, f.name) for f in CLASS_FIELDS}


def class_key(cls: Any) -> tuple[str, str]:
    """(employment, tier) of a class object (desired, live or request)."""
    return (getattr(cls, EMPLOYMENT), str(getattr(cls, TIER)))


_class_key_of = attrgetter(EMPLOYMENT, TIER)
_amounts_of: Any = attrgetter(*(f.name for f in CLASS_FIELDS))


def _amounts_tuple(cls: Any) -> tuple[int, ...]:
    amount: int = _amounts_of(cls)
    return (amount,)


# (employment, tier) and the amounts of a class object read in one call each (the
# attributes in the same order as class_key and CLASS_FIELDS): apply compares every
# class of every plan year it writes, in every answer and after writing.
_amounts_in_order: Any = _amounts_of if len(CLASS_FIELDS) > 1 else _amounts_tuple


def class_table(classes: Any) -> dict[tuple[str, str], tuple[int, ...]]:
    """Classes (an iterable of class objects) as {(employment, tier): amounts} to compare."""
    table: dict[tuple[str, str], tuple[int, ...]] = {}
    key_of, amounts_of = _class_key_of, _amounts_in_order
    for c in classes:
        employment, tier = key_of(c)
        key = (employment, str(tier))
        table[key] = amounts_of(c)
    return table


def desired_values(plan_year: Any, fields: tuple[PlanYearField, ...]) -> Iterator[tuple[str, Any]]:
    """(name, value) of ``fields`` read from a desired plan year (skips unset optionals)."""
    for f in fields:
        value = getattr(plan_year, f.name)
        if value is not None or not f.optional:
            yield f.name, value


def live_value(plan_year: Any, f: PlanYearField) -> Any:
    """A field read from a live (response) plan year."""
    return getattr(plan_year, f.response_name)


def live_dates(plan_year: Any) -> dict[str, date]:
    """Every date field of a live plan year by canonical name."""
    return {f.name: live_value(plan_year, f) for f in DATE_FIELDS}


def request_matches_live(request: Mapping[str, Any], plan_year: Any) -> list[str]:
    """The canonical names of the request's fields whose live value differs.

    ``request`` maps canonical names to values (a create or update body as a model
    dump or model attributes); classes compare as (employment, tier) → amounts.
    """
    differing: list[str] = []
    for name, value in request.items():
        if value is None:
            continue
        if name == CLASSES:
            if class_table(plan_year.contribution_classes) != class_table(value):
                differing.append(name)
            continue
        f = BY_NAME.get(name)
        live = live_value(plan_year, f) if f is not None else getattr(plan_year, name, value)
        if live != value:
            differing.append(name)
    return differing


def status_since(status: str, dates: Mapping[str, date]) -> date | None:
    """The first day a plan year has had ``status`` (the API's calendar rule), from its
    dates by canonical name (:func:`live_dates`, or a desired plan year's).

    ``draft`` until open enrollment starts; ``open_enrollment`` from its start;
    ``active`` from coverage start; ``expired`` from the day AFTER coverage ends
    (coverage end is still a covered, active day).
    """
    if status == "open_enrollment":
        return dates["open_enrollment_start"]
    if status == "active":
        return dates["coverage_start"]
    if status == "expired":
        return dates["coverage_end"] + timedelta(days=1)
    return None
