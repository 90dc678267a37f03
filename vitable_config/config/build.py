"""Build a :class:`DesiredState` from config documents: combine, merge, render, check.

Precedence, lowest first, merged key by key: ``defaults`` → template →
rollout → employer override. Variables, lowest first: global ``variables`` →
rollout ``variables`` → per-employer target columns/variables → employer
``variables`` → variables passed by the caller (``--var``/``--var-file``).

Three steps, three modules: :mod:`.combine` (documents → sections), this module
(rollouts and employer overrides layered into pending plan years) and :mod:`.finish`
(render, parse, check).
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from vitable_config.config.combine import _combine, _Combined
from vitable_config.config.finish import (
    _FAILED,
    _KEY_PRODUCT,
    _KEY_START,
    PlanYearFinisher,
    _Pending,
)
from vitable_config.config.identity_checks import check_product_identity
from vitable_config.config.jinja import Renderer
from vitable_config.config.layers import (
    Entry,
    flatten,
    merge,
    merge_into,
)
from vitable_config.config.problems import ProblemList
from vitable_config.config.schema_errors import suggest
from vitable_config.config.sources import Document, load_documents
from vitable_config.config.targets import (
    Target,
    file_targets,
    list_targets,
    read_csv_targets,
)
from vitable_config.config.yaml_loader import LocDict, value_location
from vitable_config.desired import (
    DesiredPlanYear,
    DesiredState,
    FieldPath,
    PlanYearKey,
)
from vitable_config.errors import Problem, SourceLocation, UserError
from vitable_config.policy.load import load_policies


class _PlanYearBuilder(PlanYearFinisher):
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


# Objects made by one load (net of those freed) past which they are moved to the oldest
# GC generation when it ends; 1,000 flat files make ~180,000, 10,000 plan years ~900,000.
PROMOTE_AFTER_OBJECTS = 100_000


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
        # What a large load made (millions of objects for 10,000 plan years) is still
        # in the youngest generation: the first collections after it would scan it all,
        # up to three times over (young, middle, old). Moving it to the oldest
        # generation (freeze, then unfreeze) scans nothing. Only for a large load: the
        # move also takes whatever else was young, so in a long-lived process that
        # loads many small configs, cyclic garbage would wait for full collections.
        if gc.get_count()[0] >= PROMOTE_AFTER_OBJECTS:
            gc.freeze()
            gc.unfreeze()
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
