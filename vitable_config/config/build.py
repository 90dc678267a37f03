"""Build a :class:`DesiredState` from config documents: combine, merge, render, check.

Precedence, lowest first, merged key by key: ``defaults`` → template →
rollout → employer override. Variables, lowest first: global ``variables`` →
rollout ``variables`` → per-employer target columns/variables → employer
``variables`` → variables passed by the caller (``--var``/``--var-file``).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from vitable_config.config.identity_checks import check_product_identity
from vitable_config.config.jinja import Renderer, TemplateFailure
from vitable_config.config.layers import (
    _UNSET,
    Entry,
    Fragment,
    flatten,
    merge,
    merge_into,
    yaml_name,
)
from vitable_config.config.models import check_product, check_status
from vitable_config.config.problems import ProblemList
from vitable_config.config.schema_errors import suggest
from vitable_config.config.sources import Document, load_documents
from vitable_config.config.targets import (
    Target,
    file_targets,
    list_targets,
    read_csv_targets,
)
from vitable_config.config.values import is_template, parse_cents, parse_date
from vitable_config.config.yaml_loader import LocDict, key_location, value_location
from vitable_config.desired import (
    DesiredClass,
    DesiredPlanYear,
    DesiredState,
    FieldPath,
    PlanYearKey,
    Source,
)
from vitable_config.domain import fields as F
from vitable_config.errors import Problem, SourceLocation, UserError
from vitable_config.policy.load import load_policies
from vitable_config.policy.model import ALLOW, Allowance

_FAILED: Any = object()
_KEY_PRODUCT, _KEY_START = (f for f in F.PLAN_YEAR_FIELDS if f.in_key)


@dataclass(slots=True)
class _Template:
    name: str
    raw: LocDict
    fragment: Fragment
    location: SourceLocation | None


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


@dataclass(slots=True)
class _Combined:
    variables: dict[str, Any] = field(default_factory=dict)
    variable_locs: dict[str, SourceLocation | None] = field(default_factory=dict)
    defaults: LocDict | None = None
    defaults_loc: SourceLocation | None = None
    templates: dict[str, _Template] = field(default_factory=dict)
    rollouts: list[tuple[LocDict, Document]] = field(default_factory=list)
    employers: dict[str, tuple[LocDict, SourceLocation | None]] = field(default_factory=dict)


def _combine(docs: list[Document], problems: ProblemList) -> _Combined:
    out = _Combined()
    rollout_names: dict[str, SourceLocation | None] = {}

    def duplicate(what: str, name: str, here: SourceLocation | None, first: Any) -> None:
        problems.add(
            Problem(
                f"{what} {name!r} is defined twice (also at {first})",
                here,
                hint=f"each {what} may be defined once across all files; rename or remove one",
            )
        )

    for doc in docs:
        data = doc.data
        variables = data.get("variables") or {}
        for name, value in variables.items():
            here = key_location(variables, name)
            if name in out.variables:
                duplicate("variable", name, here, out.variable_locs[name])
            out.variables[name] = value
            out.variable_locs[name] = here
        if data.get("defaults") is not None:
            here = key_location(data, "defaults")
            if out.defaults is not None:
                duplicate("section", "defaults", here, out.defaults_loc)
            else:
                out.defaults, out.defaults_loc = data["defaults"], here
        templates = data.get("templates") or {}
        for name, raw in templates.items():
            here = key_location(templates, name)
            if name in out.templates:
                duplicate("template", name, here, out.templates[name].location)
                continue
            out.templates[name] = _Template(name, raw, flatten(raw, "template", name), here)
        for index, raw in enumerate(data.get("rollouts") or []):
            here = value_location(data["rollouts"], index)
            name = raw["name"]
            if name in rollout_names:
                duplicate("rollout", name, here, rollout_names[name])
                continue
            rollout_names[name] = here
            out.rollouts.append((raw, doc))
        employers = data.get("employers") or {}
        for employer_id, raw in employers.items():
            here = key_location(employers, employer_id)
            if employer_id in out.employers:
                duplicate("employer", employer_id, here, out.employers[employer_id][1])
                continue
            out.employers[employer_id] = (raw or LocDict(here), here)
    return out


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


def _converter(path: FieldPath) -> Callable[[Any, bool], Any]:
    if path[0] == F.CLASSES:
        return _convert_cents
    return _PARSER_BY_FIELD[path[0]]


class _PlanYearBuilder:
    def __init__(self, combined: _Combined, cli_vars: dict[str, Any], problems: ProblemList):
        self.c = combined
        self.cli_vars = cli_vars
        self.problems = problems
        self.renderer = Renderer()
        self.defaults = flatten(combined.defaults, "defaults", None)
        self.planned: dict[PlanYearKey, _Pending] = {}
        # The keys rollouts planned, per employer (for an override's hint; a scan of
        # every planned key per employer plan year was quadratic in a flat config).
        self.rollout_keys: dict[str, list[PlanYearKey]] = {}
        # Employers of rollouts whose template is unknown (see add_rollout).
        self.orphaned: set[str] = set()
        self.extra_files: list[str] = []

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
        convert = _converter(path)
        where = entry.source.location
        if is_template(raw):
            try:
                rendered = self.renderer.render(raw, variables)
            except TemplateFailure as exc:
                self.problems.add(
                    Problem(f"{yaml_name(path)}: {exc.message}", where, context, exc.hint)
                )
                return _FAILED
            try:
                return convert(rendered, True)
            except ValueError as exc:
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
        try:
            entry.parsed = convert(raw, False)
        except ValueError as exc:  # already caught by the schema; kept as a safety net
            self.problems.add(Problem(f"{yaml_name(path)}: {exc}", where, context))
            entry.parsed = _FAILED
        return entry.parsed

    def key_of(
        self,
        entries: dict[FieldPath, Entry],
        employer_id: str,
        variables: dict[str, Any],
        context: str,
        location: SourceLocation | None,
    ) -> PlanYearKey | None:
        product_entry = entries.get(_KEY_PRODUCT.path)
        start_entry = entries.get(_KEY_START.path)
        missing = [
            f.yaml_name
            for f, e in ((_KEY_PRODUCT, product_entry), (_KEY_START, start_entry))
            if e is None
        ]
        if missing:
            self.problems.add(
                Problem(
                    f"plan year has no {' and no '.join(missing)}",
                    location,
                    context,
                    "set it in the plan year, its template, or (coverage only) defaults",
                )
            )
            return None
        assert product_entry is not None and start_entry is not None
        product = self.value(_KEY_PRODUCT.path, product_entry, variables, context)
        start = self.value(_KEY_START.path, start_entry, variables, context)
        if product is _FAILED or start is _FAILED:
            return None
        return PlanYearKey(employer_id, product, start)

    # -- variables ----------------------------------------------------------

    def employer_variables(self, employer_id: str) -> tuple[dict[str, Any], str | None]:
        raw = self.c.employers.get(employer_id)
        if raw is None:
            return {}, None
        return dict(raw[0].get("variables") or {}), raw[0].get("name")

    def context_vars(
        self, employer_id: str, name: str | None, *layers: dict[str, Any]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"employer_id": employer_id, "employer_name": name or employer_id}
        out.update(self.c.variables)
        for layer in layers:
            out.update(layer)
        out.update(self.cli_vars)
        return out

    # -- rollouts -------------------------------------------------------------

    def targets(self, raw: LocDict, doc: Document) -> list[Target]:
        spec = raw["employers"]
        base = Path(doc.display).parent
        problems: list[Problem] = []
        if spec.get("csv") is not None:
            path = base / spec["csv"]
            self.extra_files.append(str(path))
            if not path.is_file():
                self.problems.add(
                    Problem(
                        f"CSV file not found: {path}",
                        value_location(spec, "csv"),
                        hint="the csv path is relative to the directory of this config file",
                    )
                )
                return []
            targets = read_csv_targets(path, str(path), problems)
        elif spec.get("list") is not None:
            targets = list_targets(spec["list"])
        else:
            targets, shown = file_targets(
                base, spec["files"], value_location(spec, "files"), problems
            )
            self.extra_files.extend(shown)
        self.problems.extend(problems)
        return targets

    def add_rollout(self, raw: LocDict, doc: Document) -> None:
        name = raw["name"]
        template = self.c.templates.get(raw["template"])
        if template is None:
            self.problems.add(
                Problem(
                    f"rollout {name!r} uses unknown template {raw['template']!r}",
                    value_location(raw, "template"),
                    hint=suggest(raw["template"], list(self.c.templates))
                    or f"defined templates: {', '.join(sorted(self.c.templates)) or 'none'}",
                )
            )
            # Its targets are still read (a bad CSV is a problem of its own), and the
            # overrides of its employers are not reported as incomplete plan years.
            self.orphaned.update(t.employer_id for t in self.targets(raw, doc))
            return
        base = merge(self.defaults, template.fragment, flatten(raw, "rollout", name))
        rollout_vars = dict(raw.get("variables") or {})
        seen: dict[str, SourceLocation] = {}
        for target in self.targets(raw, doc):
            if target.employer_id in seen:
                self.problems.add(
                    Problem(
                        f"employer {target.employer_id} is listed twice in rollout {name!r} "
                        f"(also at {seen[target.employer_id]})",
                        target.location,
                        hint="remove one of the entries",
                    )
                )
                continue
            seen[target.employer_id] = target.location
            employer_vars, employer_name = self.employer_variables(target.employer_id)
            label = employer_name or target.name
            variables = self.context_vars(
                target.employer_id, label, rollout_vars, target.variables, employer_vars
            )
            context = f"employer {target.employer_id} via rollout {name} (template {template.name})"
            key = self.key_of(base, target.employer_id, variables, context, target.location)
            if key is None:
                continue
            other = self.planned.get(key)
            if other is not None:
                self.problems.add(
                    Problem(
                        f"employer {target.employer_id} is reached by rollouts {other.rollout!r} "
                        f"and {name!r} for the same product {key.benefit_product} and coverage "
                        f"start {key.coverage_start} (the other is at {other.location})",
                        target.location,
                        context,
                        "remove the employer from one of the rollouts",
                    )
                )
                continue
            overridden = set(employer_vars) | set(self.cli_vars)
            self.rollout_keys.setdefault(target.employer_id, []).append(key)
            self.planned[key] = _Pending(
                target.employer_id,
                base,
                variables,
                target.location,
                context,
                label,
                template.name,
                name,
                variable_cells={k: loc for k, loc in target.cells.items() if k not in overridden},
            )

    # -- employers ------------------------------------------------------------

    def add_employer(self, employer_id: str, raw: LocDict) -> None:
        employer_vars, label = self.employer_variables(employer_id)
        variables = self.context_vars(employer_id, label, employer_vars)
        plan_years = raw.get("plan_years") or []
        for index, entry in enumerate(plan_years):
            where = value_location(plan_years, index)
            template_name = entry.get("template")
            template = None
            if template_name is not None:
                template = self.c.templates.get(template_name)
                if template is None:
                    self.problems.add(
                        Problem(
                            f"unknown template {template_name!r}",
                            value_location(entry, "template"),
                            f"employer {employer_id}",
                            suggest(template_name, list(self.c.templates)),
                        )
                    )
                    continue
            context = f"employer {employer_id}" + (
                f" (template {template_name})" if template_name else ""
            )
            layers = [self.defaults]
            if template is not None:
                layers.append(template.fragment)
            layers.append(flatten(entry, "plan_year", employer_id))
            own = merge(*layers)
            key = self.key_of(own, employer_id, variables, context, where)
            if key is None:
                continue
            existing = self.planned.get(key)
            if existing is not None and existing.rollout and existing.overridden_at is None:
                if template_name is not None:
                    self.problems.add(
                        Problem(
                            f"this plan year overrides rollout {existing.rollout!r}'s plan year "
                            "and cannot name its own template",
                            value_location(entry, "template"),
                            existing.context,
                            "remove `template:` (the rollout's template applies)",
                        )
                    )
                    continue
                override = flatten(entry, "employer", employer_id)
                # The key fields only name the plan year being overridden.
                override.values.pop(_KEY_PRODUCT.path, None)
                override.values.pop(_KEY_START.path, None)
                existing.entries = merge_into(existing.entries, override)
                existing.overridden_at = where
                existing.context = f"{existing.context} with override at {where}"
                continue
            if existing is not None:
                self.problems.add(
                    Problem(
                        f"two plan years for {key} (the other is at "
                        f"{existing.overridden_at or existing.location})",
                        where,
                        context,
                        "an employer may have one plan year per product and coverage start",
                    )
                )
                continue
            pending = _Pending(
                employer_id, own, variables, where, context, label, template_name, None
            )
            pending.incomplete_is_secondary = employer_id in self.orphaned
            from_rollouts = [
                f"{k.benefit_product} {k.coverage_start} (rollout {p.rollout})"
                for k in self.rollout_keys.get(employer_id, ())
                if (p := self.planned[k]).rollout
            ]
            if from_rollouts:
                pending.hint = (
                    "to override a rollout's plan year, use its benefit_product and "
                    f"coverage.start exactly; {employer_id} has: {', '.join(from_rollouts)}"
                )
            self.planned[key] = pending

    # -- finish ---------------------------------------------------------------

    def finish(self, pending: _Pending) -> DesiredPlanYear | None:
        values: dict[str, Any] = {}
        classes: dict[tuple[str, str], dict[str, Any]] = {}
        failed = False
        variables, context = pending.variables, pending.context
        allow: dict[str, Allowance] = {}
        for path, entry in pending.entries.items():
            if path[0] == ALLOW:
                allow[path[1]] = Allowance(path[1], entry.value, entry.source)
                continue
            value = entry.parsed  # the fast path: a literal already converted
            if value is _UNSET:
                value = self.value(path, entry, variables, context, pending.variable_cells)
            if value is _FAILED:
                failed = True
            if path[0] == F.CLASSES:
                classes.setdefault((path[1], path[2]), {})[path[3]] = value
            else:
                values[path[0]] = value
        missing = [
            f.yaml_name for f in F.REQUIRED if not f.in_key and f.path not in pending.entries
        ]
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
        built: dict[tuple[str, str], DesiredClass] = {}
        for (employment, tier), amounts in classes.items():
            absent = [f for f in F.CLASS_FIELDS if f.name not in amounts]
            if not absent:
                built[(employment, tier)] = DesiredClass(employment, tier, **amounts)
                continue
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
            contribution_classes=built,
            provenance={
                path: self.source_of(entry)
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
        """The entry's layer, plus the variables its expression read (if it is one)."""
        if not is_template(entry.value):
            return entry.source
        names = self.renderer.variables_of(entry.value)
        return replace(entry.source, variables=names) if names else entry.source

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


def load_config(
    paths: list[str] | list[Path] | list[str | Path],
    variables: dict[str, object] | None = None,
) -> DesiredState:
    """Load, merge, render and check config files; raise :class:`UserError` listing
    every problem found."""
    # Loading allocates many small, acyclic objects; pausing the cyclic garbage
    # collector meanwhile avoids repeated full scans (measured by
    # benchmarks/validate_large.py).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(paths, variables)
    finally:
        if was_enabled:
            gc.enable()


def _load(
    paths: list[str] | list[Path] | list[str | Path],
    variables: dict[str, object] | None,
) -> DesiredState:
    if isinstance(paths, str | Path):
        paths = [paths]
    problems = ProblemList()
    raw_problems: list[Problem] = []
    if not paths:
        raise UserError("no config path given", [Problem("give a config file or directory")])
    docs, _targets = load_documents(list(paths), raw_problems)
    problems.extend(raw_problems)
    problems.raise_if_any()
    combined = _combine(docs, problems)
    builder = _PlanYearBuilder(combined, dict(variables or {}), problems)
    for raw, doc in combined.rollouts:
        builder.add_rollout(raw, doc)
    for employer_id, (raw, _loc) in combined.employers.items():
        builder.add_employer(employer_id, raw)
    plan_years: list[DesiredPlanYear] = []
    for pending in builder.planned.values():
        built = builder.finish(pending)
        if built is not None:
            plan_years.append(built)
    builder.check_overlaps(plan_years)
    problems.extend(check_product_identity(plan_years))
    variables_seen = {**combined.variables, **builder.cli_vars}
    policies = load_policies(docs, variables_seen, plan_years, problems)
    problems.raise_if_any()
    plan_years.sort(key=lambda p: (p.employer_id, p.benefit_product, p.coverage_start))
    files = [d.display for d in docs] + builder.extra_files
    return DesiredState(plan_years=plan_years, files=files, policies=policies)
