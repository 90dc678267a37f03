"""Writing desired state out: ``render`` output and config documents for ``export``."""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml

from vitable_config.api.models import COVERAGE_TIERS
from vitable_config.config.layers import yaml_name
from vitable_config.config.values import format_dollars
from vitable_config.desired import DesiredPlanYear, DesiredState

DEFAULT_SCHEMA_REF = "schemas/config.schema.json"


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _sorted(plan_years: list[DesiredPlanYear]) -> list[DesiredPlanYear]:
    return sorted(plan_years, key=lambda p: (p.employer_id, p.benefit_product, p.coverage_start))


def _classes(py: DesiredPlanYear, dollars: bool) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    order = {tier: i for i, tier in enumerate(COVERAGE_TIERS)}
    items = sorted(py.contribution_classes.items(), key=lambda kv: (kv[0][0], order[kv[0][1]]))
    for (employment, tier), cls in items:
        ee, er = cls.employee_contribution_cents, cls.employer_contribution_cents
        out.setdefault(employment, {})[tier] = (
            {"employee": format_dollars(ee), "employer": format_dollars(er)}
            if dollars
            else {"employee_contribution_cents": ee, "employer_contribution_cents": er}
        )
    return out


def plan_year_view(py: DesiredPlanYear, sources: bool = False) -> dict[str, Any]:
    """The fully merged plan year as plain data (what ``render`` prints)."""
    view: dict[str, Any] = {"employer_id": py.employer_id}
    if py.employer_name:
        view["employer_name"] = py.employer_name
    view["benefit_product"] = py.benefit_product
    view["coverage"] = {"start": py.coverage_start.isoformat(), "end": py.coverage_end.isoformat()}
    view["open_enrollment"] = {
        "start": py.open_enrollment_start.isoformat(),
        "end": py.open_enrollment_end.isoformat(),
    }
    if py.status is not None:
        view["status"] = py.status
    view["contribution_classes"] = _classes(py, dollars=False)
    if py.template:
        view["template"] = py.template
    if py.rollout:
        view["rollout"] = py.rollout
    if py.location:
        view["declared_at"] = str(py.location)
    if sources:
        view["sources"] = {
            yaml_name(path): src.describe() for path, src in sorted(py.provenance.items())
        }
    return view


def render_state(
    state: DesiredState,
    fmt: Literal["yaml", "json"] | str = "yaml",
    employer_globs: list[str] | None = None,
    sources: bool = False,
) -> str:
    """All plan years, fully merged, sorted by employer / product / coverage start.

    ``sources`` adds, per plan year, which layer set each field (file:line:col)."""
    from fnmatch import fnmatchcase

    items = [
        plan_year_view(py, sources)
        for py in _sorted(state.plan_years)
        if not employer_globs or any(fnmatchcase(py.employer_id, g) for g in employer_globs)
    ]
    doc = {"plan_years": items}
    if fmt == "json":
        return json.dumps(doc, indent=2) + "\n"
    if fmt != "yaml":
        raise ValueError(f"unknown format {fmt!r}; expected yaml or json")
    return yaml.dump(doc, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, width=100)


def dump_plan_years(plan_years: list[DesiredPlanYear], schema_ref: str = DEFAULT_SCHEMA_REF) -> str:
    """A config document (``employers:`` section, dollar amounts, schema modeline)
    that :func:`load_config` reads back to the same plan years."""
    employers: dict[str, dict[str, Any]] = {}
    for py in _sorted(plan_years):
        employer = employers.setdefault(py.employer_id, {})
        if py.employer_name and "name" not in employer:
            employer["name"] = py.employer_name
        entry: dict[str, Any] = {
            "benefit_product": py.benefit_product,
            "coverage": {"start": py.coverage_start, "end": py.coverage_end},
            "open_enrollment": {"start": py.open_enrollment_start, "end": py.open_enrollment_end},
        }
        if py.status is not None:
            entry["status"] = py.status
        entry["contribution_classes"] = _classes(py, dollars=True)
        employer.setdefault("plan_years", []).append(entry)
    body = yaml.dump(
        {"version": 1, "employers": employers},
        Dumper=_NoAliasDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return f"# yaml-language-server: $schema={schema_ref}\n{body}"
