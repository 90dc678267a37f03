"""Reach of template and rollout changes: "one line per template change".

For every (template or rollout, field path) that changes at least one plan
year, count the plan years (and employers) it changes, those it would change
but cannot (blocked), and those the same layer reaches whose employer overrides
that field, so the change does not affect them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from vitable_config.desired import DesiredPlanYear, FieldPath, Source
from vitable_config.engine.diff import path_sort_key, source_for
from vitable_config.engine.model import PlanYearChange, Reach

LAYER_KINDS = ("template", "rollout")
OVERRIDE_KINDS = ("employer", "plan_year")

LayerKey = tuple[str, str]  # (kind, name)


@dataclass(slots=True)
class _Tally:
    layer: Source
    changed: set[int] = field(default_factory=set)
    changed_employers: set[str] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)


def _layer_members(plan_years: Iterable[DesiredPlanYear]) -> dict[LayerKey, list[DesiredPlanYear]]:
    members: dict[LayerKey, list[DesiredPlanYear]] = {}
    for py in plan_years:
        if py.template:
            members.setdefault(("template", py.template), []).append(py)
        if py.rollout:
            members.setdefault(("rollout", py.rollout), []).append(py)
    return members


def compute_reach(changes: Iterable[PlanYearChange]) -> list[Reach]:
    """Reach lines for the layer-level field changes of update/blocked plan years."""
    items = list(changes)
    tallies: dict[tuple[LayerKey, FieldPath], _Tally] = {}
    for index, change in enumerate(items):
        if change.action not in ("update", "blocked"):
            continue
        for fc in change.changes:
            src = fc.source
            if src is None or src.kind not in LAYER_KINDS or src.name is None:
                continue
            tally = tallies.setdefault(((src.kind, src.name), fc.path), _Tally(src))
            if change.action == "update":
                tally.changed.add(index)
                tally.changed_employers.add(change.key.employer_id)
            else:
                tally.blocked.add(index)
    if not tallies:
        return []
    members = _layer_members(c.desired for c in items if c.desired is not None)
    reach: list[Reach] = []
    for (layer_key, path), tally in tallies.items():
        overriding = [
            py
            for py in members.get(layer_key, [])
            if (src := source_for(py, path)) is not None and src.kind in OVERRIDE_KINDS
        ]
        reach.append(
            Reach(
                layer=tally.layer,
                path=path,
                changed=len(tally.changed),
                overridden=len(overriding),
                changed_employers=len(tally.changed_employers),
                overridden_employers=len({py.employer_id for py in overriding}),
                blocked=len(tally.blocked),
            )
        )
    reach.sort(key=lambda r: (r.layer.kind, r.layer.name or "", path_sort_key(r.path)))
    return reach
