"""Finish a merged plan year: render its Jinja values, parse every field with the field
table's parser, check what is required and the date order, and build the desired
plan year (with the variables each value read, for provenance)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from vitable_config.config import money
from vitable_config.config.jinja import Renderer, TemplateFailure
from vitable_config.config.layers import (
    _UNSET,
    Entry,
    yaml_name,
)
from vitable_config.config.models import check_product, check_status
from vitable_config.config.money import known_cents
from vitable_config.config.problems import ProblemList
from vitable_config.config.values import MAX_CENTS, is_template, parse_cents, parse_date
from vitable_config.desired import (
    DesiredClass,
    DesiredPlanYear,
    FieldPath,
    Source,
)
from vitable_config.domain import fields as F
from vitable_config.errors import Problem, SourceLocation
from vitable_config.policy.model import ALLOW, Allowance

_FAILED: Any = object()
_KEY_PRODUCT, _KEY_START = (f for f in F.PLAN_YEAR_FIELDS if f.in_key)


@dataclass(slots=True)
class _Pending:
    """A plan year whose layers are merged but not yet rendered."""

    employer_id: str
    entries: dict[FieldPath, Entry]
    variables: dict[str, Any]
    location: SourceLocation | None
    context: str
    employer_name: str | None = None
    template: str | None = None
    rollout: str | None = None
    overridden_at: SourceLocation | None = None
    hint: str | None = None  # shown when fields are missing
    # Where a variable's value was written when that is a CSV cell (file:ROW:COL), so a
    # bad cell is reported at the cell rather than at the expression that used it.
    variable_cells: dict[str, SourceLocation] = field(default_factory=dict)
    # Missing fields here follow from an earlier root cause (the rollout this plan year
    # overrides has an unknown template): not reported again.
    incomplete_is_secondary: bool = False


def _convert_product(value: Any, rendered: bool) -> str:
    text = check_product(value)
    if rendered and is_template(text):
        raise ValueError(f"rendered value still contains a template: {text!r}")
    return text


def _convert_status(value: Any, rendered: bool) -> str:
    return check_status(value)


def _convert_date(value: Any, rendered: bool) -> date:
    return parse_date(value)


def _convert_cents(value: Any, rendered: bool) -> int:
    return parse_cents(value, rendered=rendered)


# The parser of each kind of field in the field table (literal and Jinja-rendered values
# alike); every contribution-class field is cents.
_PARSERS: dict[str, Callable[[Any, bool], Any]] = {
    "product": _convert_product,
    "date": _convert_date,
    "status": _convert_status,
}
_PARSER_BY_FIELD: dict[str, Callable[[Any, bool], Any]] = {
    f.name: _PARSERS[f.kind] for f in F.PLAN_YEAR_FIELDS if f.kind in _PARSERS
}


_REQUIRED_NOT_KEY: tuple[tuple[FieldPath, str], ...] = tuple(
    (f.path, f.yaml_name) for f in F.REQUIRED if not f.in_key
)
_DATE_FIELDS = frozenset(f.name for f in F.PLAN_YEAR_FIELDS if f.kind == "date")


def _converter(path: FieldPath) -> Callable[[Any, bool], Any]:
    if path[0] == F.CLASSES:
        return _convert_cents
    return _PARSER_BY_FIELD[path[0]]


# Contribution classes already built, by (employment, tier, amounts): immutable, and
# the same few are in every plan year of a template or a generated estate. Bounded:
# past _CLASSES_MAX of them, new ones are built each time.
_CLASSES: dict[tuple[Any, ...], DesiredClass] = {}
_CLASSES_MAX = 100_000
_EMPLOYEE, _EMPLOYER = (f.name for f in F.CLASS_FIELDS)


def _desired_class(employment: str, tier: str, amounts: dict[str, Any]) -> DesiredClass:
    employee, employer = amounts[_EMPLOYEE], amounts[_EMPLOYER]
    key = (employment, tier, employee.__class__, employee, employer.__class__, employer)
    known = _CLASSES.get(key)
    if known is None:
        known = DesiredClass(employment, tier, **amounts)
        if employee.__class__ is int and employer.__class__ is int and len(_CLASSES) < _CLASSES_MAX:
            _CLASSES[key] = known
    return known


class PlanYearFinisher:
    """Rendering, parsing and the checks of one merged plan year (the last step of
    building desired state; :class:`~vitable_config.config.build._PlanYearBuilder`
    does the layering before it)."""

    problems: ProblemList
    renderer: Renderer

    # -- values -------------------------------------------------------------

    def value(
        self,
        path: FieldPath,
        entry: Entry,
        variables: dict[str, Any],
        context: str,
        cells: dict[str, SourceLocation] | None = None,
    ) -> Any:
        if entry.parsed is not _UNSET:
            return entry.parsed
        raw = entry.value
        # The literals the schema pass has read already: whole cents and YAML dates as
        # they are (the field's parser would return them unchanged), dollars as the
        # schema pass read them (parse_cents's memo).
        kind = raw.__class__
        literal: Any = _UNSET
        if path[0] == F.CLASSES:
            if kind is int and 0 <= raw <= MAX_CENTS:
                literal = raw
            elif kind is str:
                cents = known_cents(raw)
                if cents is not None:
                    literal = cents
        elif kind is date and path[0] in _DATE_FIELDS:
            literal = raw
        if literal is not _UNSET:
            entry.parsed = literal
            entry.described = entry.source
            return literal
        convert = _converter(path)
        if is_template(raw):
            try:
                rendered = self.renderer.render(raw, variables)
            except TemplateFailure as exc:
                where = entry.source.location
                self.problems.add(
                    Problem(f"{yaml_name(path)}: {exc.message}", where, context, exc.hint)
                )
                return _FAILED
            try:
                return convert(rendered, True)
            except ValueError as exc:
                where = entry.source.location
                names = self.renderer.variables_of(raw)
                cell = cells.get(names[0]) if cells and len(names) == 1 else None
                if cell is not None:  # the value is one CSV cell: report it there
                    self.problems.add(
                        Problem(
                            f"{names[0]}: {exc} (used for {yaml_name(path)} at {where})",
                            cell,
                            context,
                            "fix the cell in the CSV file",
                        )
                    )
                    return _FAILED
                self.problems.add(
                    Problem(
                        f"{yaml_name(path)}: {exc} (rendered from {raw!r})",
                        where,
                        context,
                        "check the expression and the variables it uses",
                    )
                )
                return _FAILED
        entry.described = entry.source  # a literal reads no variables
        try:
            entry.parsed = convert(raw, False)
        except ValueError as exc:  # already caught by the schema; kept as a safety net
            self.problems.add(Problem(f"{yaml_name(path)}: {exc}", entry.source.location, context))
            entry.parsed = _FAILED
        return entry.parsed

    # -- finish ---------------------------------------------------------------

    def finish(self, pending: _Pending) -> DesiredPlanYear | None:
        values: dict[str, Any] = {}
        classes: dict[FieldPath, dict[str, Any]] = {}
        failed = False
        variables, context = pending.variables, pending.context
        cells = pending.variable_cells
        cents_read = money._CENTS_MEMO.get  # known_cents, without a call per amount
        allow: dict[str, Allowance] = {}
        for path, entry in pending.entries.items():
            root = path[0]
            if root == ALLOW:
                allow[path[1]] = Allowance(path[1], entry.value, entry.source)
                continue
            value = entry.parsed  # the fast path: a literal already converted
            if root == F.CLASSES:
                if value is _UNSET:
                    # A literal amount as value() reads it (whole cents as they are,
                    # dollars the schema pass has read), without the call.
                    raw = entry.value
                    kind = raw.__class__
                    if kind is str:
                        value = cents_read(raw, _UNSET)
                    elif kind is int and 0 <= raw <= MAX_CENTS:
                        value = raw
                    if value is _UNSET:
                        value = self.value(path, entry, variables, context, cells)
                    else:
                        entry.parsed = value
                        entry.described = entry.source
                if value is _FAILED:
                    failed = True
                amounts = classes.get(path[1:3])
                if amounts is None:
                    classes[path[1:3]] = {path[3]: value}
                else:
                    amounts[path[3]] = value
                continue
            if value is _UNSET:
                value = self.value(path, entry, variables, context, cells)
            if value is _FAILED:
                failed = True
            values[root] = value
        missing = [name for path, name in _REQUIRED_NOT_KEY if path not in pending.entries]
        if pending.incomplete_is_secondary and (
            missing or any(len(a) < len(F.CLASS_FIELDS) for a in classes.values())
        ):
            return None  # follows from the rollout's unknown template, reported once there
        if missing:
            self.problems.add(
                Problem(
                    f"plan year has no {', '.join(missing)}",
                    pending.location,
                    pending.context,
                    pending.hint or "set it in the plan year, its template or `defaults:`",
                )
            )
            failed = True
        if not classes and not failed:
            self.problems.add(
                Problem(
                    "plan year has no contribution classes",
                    pending.location,
                    pending.context,
                    "add contribution_classes: {full_time: {EE: {employee: ..., employer: ...}}}",
                )
            )
            failed = True
        # Keyed by (employment, tier): the keys of classes (slices of the field paths).
        built: dict[FieldPath, DesiredClass] = {}
        for class_key, amounts in classes.items():
            employment, tier = class_key
            if len(amounts) == len(F.CLASS_FIELDS):  # every field (amounts has no other)
                built[class_key] = _desired_class(employment, tier, amounts)
                continue
            absent = [f for f in F.CLASS_FIELDS if f.name not in amounts]
            present = next(f for f in F.CLASS_FIELDS if f.name in amounts)
            entry = pending.entries[(F.CLASSES, employment, tier, present.name)]
            self.problems.add(
                Problem(
                    f"contribution class {employment}/{tier} has no "
                    f"{absent[0].yaml_key} contribution",
                    entry.source.location,
                    pending.context,
                    f"set {F.CLASSES}.{employment}.{tier}.{absent[0].yaml_key}",
                )
            )
            failed = True
        if failed:
            return None
        if not self._dates_ok(pending, values):
            return None
        return DesiredPlanYear(
            employer_id=pending.employer_id,
            **values,
            contribution_classes=cast(dict[tuple[str, str], DesiredClass], built),
            provenance={
                path: entry.described or self.source_of(entry)
                for path, entry in pending.entries.items()
                if path[0] != ALLOW
            },
            location=pending.location,
            template=pending.template,
            rollout=pending.rollout,
            employer_name=pending.employer_name,
            allow=allow,
        )

    def source_of(self, entry: Entry) -> Source:
        """The entry's layer, plus the variables its expression read (if it is one);
        computed once per entry."""
        described = entry.described
        if described is not None:
            return described
        described = entry.source
        if is_template(entry.value):
            names = self.renderer.variables_of(entry.value)
            if names:
                described = entry.source.with_variables(names)
        entry.described = described
        return described

    def _dates_ok(self, pending: _Pending, v: dict[str, Any]) -> bool:
        ok = True
        for first, second, strict in F.DATE_ORDER:
            words = "before" if strict else "on or before"
            a, b = v[first], v[second]
            if a > b or (strict and a == b):
                blame = pending.entries[(second,)].source
                self.problems.add(
                    Problem(
                        f"{yaml_name((first,))} ({a}) must be {words} {yaml_name((second,))} ({b})",
                        blame.location,
                        pending.context,
                        "dates must satisfy open_enrollment.start ≤ open_enrollment.end ≤ "
                        "coverage.start < coverage.end",
                    )
                )
                ok = False
        return ok

    def check_overlaps(self, plan_years: list[DesiredPlanYear]) -> None:
        by_product: dict[tuple[str, str], list[DesiredPlanYear]] = {}
        for py in plan_years:
            by_product.setdefault((py.employer_id, py.benefit_product), []).append(py)
        for (employer_id, product), items in by_product.items():
            items.sort(key=lambda p: p.coverage_start)
            prev = items[0]
            for nxt in items[1:]:
                if nxt.coverage_start <= prev.coverage_end:
                    self.problems.add(
                        Problem(
                            f"coverage {nxt.coverage_start}..{nxt.coverage_end} overlaps "
                            f"{prev.coverage_start}..{prev.coverage_end} (declared at "
                            f"{prev.location}) for the same employer and product",
                            nxt.location,
                            f"employer {employer_id}, product {product}",
                            "coverage periods of one product must not overlap; end the earlier "
                            "one before the later one starts",
                        )
                    )
                if nxt.coverage_end > prev.coverage_end:
                    prev = nxt
