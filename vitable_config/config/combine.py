"""Combine config documents into one set of sections: global variables, defaults,
templates, rollouts and employers, each defined once across all files (a name
defined twice is a problem naming both places)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vitable_config.config.layers import (
    Fragment,
    flatten,
)
from vitable_config.config.problems import ProblemList
from vitable_config.config.sources import Document
from vitable_config.config.yaml_loader import LocDict, key_location, value_location
from vitable_config.errors import Problem, SourceLocation


@dataclass(slots=True)
class _Template:
    name: str
    raw: LocDict
    fragment: Fragment
    location: SourceLocation | None


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
