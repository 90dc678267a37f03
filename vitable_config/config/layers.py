"""Layers as flat fragments, merged key by key with provenance.

A layer's plan-year fields (``coverage``, ``open_enrollment``, ``status``,
``benefit_product``, ``contribution_classes``) are flattened into a
:class:`Fragment`: field path → :class:`Entry` (raw value + :class:`Source`).
Merging is ``dict.update`` in precedence order, so the final entry for each
path says which layer set it. ``null`` for a class or an employment type
removes what lower layers set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vitable_config.config.yaml_loader import LocDict, value_location
from vitable_config.desired import FieldPath, LayerKind, Source

_UNSET: Any = object()

EMPLOYEE = "employee_contribution_cents"
EMPLOYER = "employer_contribution_cents"
_PERIOD_PATHS = {
    "coverage": (("coverage_start",), ("coverage_end",)),
    "open_enrollment": (("open_enrollment_start",), ("open_enrollment_end",)),
}
_CLASS_FIELDS = {"employee": EMPLOYEE, "employer": EMPLOYER}

# Field path -> how a user writes it (for messages).
_YAML_NAMES: dict[FieldPath, str] = {
    ("benefit_product",): "benefit_product",
    ("coverage_start",): "coverage.start",
    ("coverage_end",): "coverage.end",
    ("open_enrollment_start",): "open_enrollment.start",
    ("open_enrollment_end",): "open_enrollment.end",
    ("status",): "status",
}


def yaml_name(path: FieldPath) -> str:
    if path in _YAML_NAMES:
        return _YAML_NAMES[path]
    if path[0] == "contribution_classes" and len(path) == 4:
        short = "employee" if path[3] == EMPLOYEE else "employer"
        return f"contribution_classes.{path[1]}.{path[2]}.{short}"
    return ".".join(path)


@dataclass(slots=True)
class Entry:
    """One leaf value as written in one layer; ``parsed`` caches its conversion
    when it holds no Jinja (entries of a template are shared by all employers)."""

    value: Any
    source: Source
    parsed: Any = _UNSET


@dataclass(slots=True)
class Fragment:
    values: dict[FieldPath, Entry] = field(default_factory=dict)
    removals: list[FieldPath] = field(default_factory=list)

    def get(self, path: FieldPath) -> Entry | None:
        return self.values.get(path)


def flatten(raw: LocDict | None, kind: LayerKind, name: str | None) -> Fragment:
    """Flatten a validated plan-year-fields mapping of one layer."""
    frag = Fragment()
    if not raw:
        return frag
    values = frag.values

    def put(path: FieldPath, container: Any, key: str) -> None:
        values[path] = Entry(container[key], Source(kind, name, value_location(container, key)))

    if raw.get("benefit_product") is not None:
        put(("benefit_product",), raw, "benefit_product")
    if raw.get("status") is not None:
        put(("status",), raw, "status")
    for section, (start_path, end_path) in _PERIOD_PATHS.items():
        period = raw.get(section)
        if period:
            if period.get("start") is not None:
                put(start_path, period, "start")
            if period.get("end") is not None:
                put(end_path, period, "end")
    classes = raw.get("contribution_classes")
    if classes:
        for employment, tiers in classes.items():
            if tiers is None:
                frag.removals.append(("contribution_classes", employment))
                continue
            for tier, amounts in tiers.items():
                if amounts is None:
                    frag.removals.append(("contribution_classes", employment, tier))
                    continue
                for short, long in _CLASS_FIELDS.items():
                    if amounts.get(short) is not None:
                        put(("contribution_classes", employment, tier, long), amounts, short)
    return frag


def merge(*fragments: Fragment) -> dict[FieldPath, Entry]:
    """Merge fragments, later ones winning key by key."""
    merged: dict[FieldPath, Entry] = {}
    for frag in fragments:
        for prefix in frag.removals:
            n = len(prefix)
            for path in [p for p in merged if p[:n] == prefix]:
                del merged[path]
        merged.update(frag.values)
    return merged


def merge_into(merged: dict[FieldPath, Entry], frag: Fragment) -> dict[FieldPath, Entry]:
    """A copy of ``merged`` with ``frag`` applied on top."""
    out = dict(merged)
    for prefix in frag.removals:
        n = len(prefix)
        for path in [p for p in out if p[:n] == prefix]:
            del out[path]
    out.update(frag.values)
    return out
