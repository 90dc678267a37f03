"""Writing desired state out: ``render`` output and config documents for ``export``."""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml

from vitable_config.config.layers import yaml_name
from vitable_config.config.values import format_dollars
from vitable_config.desired import DesiredPlanYear, DesiredState
from vitable_config.domain import fields as F
from vitable_config.domain.vocabulary import class_sort_key

DEFAULT_SCHEMA_REF = "schemas/config.schema.json"


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


class Quoted(str):
    """A string written double-quoted (dollar amounts, expressions), so that no YAML
    resolver can read it as anything but text."""

    __slots__ = ()


class Flow(dict[str, Any]):
    """A mapping written on one line (``{start: 2027-01-01, end: 2027-12-31}``)."""


class _CompactDumper(_NoAliasDumper):
    """Block style for sections (sequences indented), :class:`Flow` mappings on one line."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_quoted(dumper: yaml.SafeDumper, data: Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"')


def _represent_flow(dumper: yaml.SafeDumper, data: Flow) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


_CompactDumper.add_representer(Quoted, _represent_quoted)
_CompactDumper.add_representer(Flow, _represent_flow)


def _sorted(plan_years: list[DesiredPlanYear]) -> list[DesiredPlanYear]:
    return sorted(plan_years, key=lambda p: (p.employer_id, p.benefit_product, p.coverage_start))


def _classes(py: DesiredPlanYear, dollars: bool) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    items = sorted(py.contribution_classes.items(), key=lambda kv: class_sort_key(*kv[0]))
    for (employment, tier), cls in items:
        amounts = F.class_amounts(cls)
        out.setdefault(employment, {})[tier] = (
            {f.yaml_key: format_dollars(amounts[f.name]) for f in F.CLASS_FIELDS}
            if dollars
            else amounts
        )
    return out


def _fields(py: DesiredPlanYear, as_text: bool) -> dict[str, Any]:
    """The plan year's fields nested by YAML path (``coverage: {start, end}``, …),
    in table order; unset optional fields left out."""
    out: dict[str, Any] = {}
    for name, value in F.desired_values(py, F.PLAN_YEAR_FIELDS):
        f = F.BY_NAME[name]
        node = out
        for part in f.yaml_path[:-1]:
            node = node.setdefault(part, {})
        node[f.yaml_path[-1]] = value.isoformat() if as_text and f.kind == "date" else value
    return out


def plan_year_view(py: DesiredPlanYear, sources: bool = False) -> dict[str, Any]:
    """The fully merged plan year as plain data (what ``render`` prints)."""
    view: dict[str, Any] = {"employer_id": py.employer_id}
    if py.employer_name:
        view["employer_name"] = py.employer_name
    view.update(_fields(py, as_text=True))
    view[F.CLASSES] = _classes(py, dollars=False)
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
        entry = _fields(py, as_text=False)
        entry[F.CLASSES] = _classes(py, dollars=True)
        employer.setdefault("plan_years", []).append(entry)
    body = yaml.dump(
        {"version": 1, "employers": employers},
        Dumper=_NoAliasDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return f"# yaml-language-server: $schema={schema_ref}\n{body}"


def dump_document(document: dict[str, Any], schema_ref: str | None = DEFAULT_SCHEMA_REF) -> str:
    """A config document as YAML: sections in block style, :class:`Flow` mappings
    (periods, classes) one per line, :class:`Quoted` strings (dollar amounts,
    expressions) double-quoted, with the schema modeline first when ``schema_ref``
    is given."""
    body = yaml.dump(
        document,
        Dumper=_CompactDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1000,
    )
    return f"# yaml-language-server: $schema={schema_ref}\n{body}" if schema_ref else body


def dollars(cents: int) -> Quoted:
    """``45000`` → ``"$450.00"``, written double-quoted."""
    return Quoted(format_dollars(cents))
