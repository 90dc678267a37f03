"""Human labels shared by the text and Markdown renderers (no I/O, no styling)."""

from __future__ import annotations

from typing import Any

from vitable_config.desired import FieldPath, Source, variables_suffix
from vitable_config.domain import fields as F
from vitable_config.engine.model import PlanYearChange, Reach
from vitable_config.engine.render.money import dollars, format_class

SYMBOLS = {"create": "+", "update": "~", "blocked": "!", "unchanged": "=", "unmanaged": "?"}
_SHARE = {f.name: f.label for f in F.CLASS_FIELDS}
_FIELD = {f.name: f.label for f in F.PLAN_YEAR_FIELDS}


def summary_line(summary: dict[str, int]) -> str:
    """``Plan: 2 to create, 1 to update, 1 blocked, 40 unchanged, 3 unmanaged``."""
    return (
        f"Plan: {summary.get('create', 0)} to create, {summary.get('update', 0)} to update, "
        f"{summary.get('blocked', 0)} blocked, {summary.get('unchanged', 0)} unchanged, "
        f"{summary.get('unmanaged', 0)} unmanaged"
    )


def path_label(path: FieldPath) -> str:
    """``full_time/EE employer share``, ``class full_time/EE``, ``open enrollment start``."""
    if path and path[0] == F.CLASSES:
        if len(path) == 4:
            return f"{path[1]}/{path[2]} {_SHARE.get(path[3], path[3])}"
        if len(path) == 3:
            return f"class {path[1]}/{path[2]}"
        return "contribution classes"
    return _FIELD.get(path[0], ".".join(path)) if path else "(plan year)"


def value_label(path: FieldPath, value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict):
        return format_class(value)
    if path and path[-1] in _SHARE and isinstance(value, int):
        return dollars(value)
    return str(value)


# Source.describe(column=False), spelled out for plain Source objects: a plan shows
# one per field change (tests/engine/test_create_path_labels.py holds the two equal).
_LAYER_LABELS = {
    "defaults": "defaults",
    "employer": "employer override",
    "plan_year": "the employer's own plan year",
}
_NAMED_LAYERS = {"template": "template ", "rollout": "rollout ", "variable": "variable "}


def source_label(source: Source | None) -> str | None:
    """``template standard-2027 (examples/rollout/templates.yaml:12)``."""
    if source is None:
        return None
    if source.__class__ is not Source:
        return source.describe(column=False)
    kind = source.kind
    label = _LAYER_LABELS.get(kind)
    if label is None:
        prefix = _NAMED_LAYERS.get(kind)
        label = kind if prefix is None else f"{prefix}{source.name}"
    location = source.location
    if location is not None:
        label += f" ({location.file}:{location.line})"
    variables = source.variables
    return label + variables_suffix(variables) if variables else label


def employer_label(change: PlanYearChange) -> str:
    eid = change.key.employer_id
    return f"{change.employer_name} ({eid})" if change.employer_name else eid


def product_label(change: PlanYearChange) -> str:
    return change.product_code or change.key.benefit_product


def coverage_label(change: PlanYearChange) -> str:
    start = change.key.coverage_start.isoformat()
    for side in (change.after, change.before):
        if side and side.get("coverage_end"):
            return f"{start} → {side['coverage_end']}"
    return start


def reach_line(reach: Reach) -> str:
    """``template standard-2027 changes full_time/EE employer share for 25 employers
    (25 plan years); 3 unaffected (override it)``."""
    # A value computed from variables may change because the expression changed or
    # because each employer's variables did: say which variables it reads.
    layer = f"{reach.layer.kind} {reach.layer.name}{variables_suffix(reach.layer.variables)}"
    label = path_label(reach.path)
    overridden = reach.overridden_employers or reach.overridden
    unaffected = f"{overridden:,} unaffected (override it)"
    if not reach.changed:
        return (
            f"{layer} would change {label} for {_plural(reach.blocked, 'plan year')}, "
            f"all blocked (cannot change); {unaffected}"
        )
    employers = reach.changed_employers or reach.changed
    text = f"{layer} changes {label} for {_plural(employers, 'employer')}"
    if reach.changed != employers:
        text += f" ({_plural(reach.changed, 'plan year')})"
    if reach.blocked:
        text += f"; {reach.blocked:,} more blocked (cannot change)"
    return f"{text}; {unaffected}"


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' if n != 1 else ''}"
