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
from vitable_config.domain import fields as F
from vitable_config.policy.model import ALLOW

_UNSET: Any = object()

# Field path -> how a user writes it (for messages), from the field table.
_YAML_NAMES: dict[FieldPath, str] = {f.path: f.yaml_name for f in F.PLAN_YEAR_FIELDS}


def yaml_name(path: FieldPath) -> str:
    if path in _YAML_NAMES:
        return _YAML_NAMES[path]
    if path[0] == F.CLASSES and len(path) == 4 and path[3] in F.CLASS_FIELD_BY_NAME:
        return f"{F.CLASSES}.{path[1]}.{path[2]}.{F.CLASS_FIELD_BY_NAME[path[3]].yaml_key}"
    return ".".join(path)


@dataclass(slots=True)
class Entry:
    """One leaf value as written in one layer; ``parsed`` caches its conversion
    when it holds no Jinja (entries of a template are shared by all employers)."""

    value: Any
    source: Source
    parsed: Any = _UNSET
    # The source with the variables its expression reads (computed once per entry:
    # a template's entries are shared by every employer it reaches).
    described: Source | None = None


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

    for f in F.PLAN_YEAR_FIELDS:
        container: Any = raw
        for part in f.yaml_path[:-1]:
            container = container.get(part) if container else None
        if container and container.get(f.yaml_path[-1]) is not None:
            put(f.path, container, f.yaml_path[-1])
    classes = raw.get(F.CLASSES)
    if classes:
        for employment, tiers in classes.items():
            if tiers is None:
                frag.removals.append((F.CLASSES, employment))
                continue
            for tier, amounts in tiers.items():
                if amounts is None:
                    frag.removals.append((F.CLASSES, employment, tier))
                    continue
                for cf in F.CLASS_FIELDS:
                    if amounts.get(cf.yaml_key) is not None:
                        put((F.CLASSES, employment, tier, cf.name), amounts, cf.yaml_key)
    # Policy exceptions merge like values: (allow, rule) -> the reason, where it was written.
    for index, item in enumerate(raw.get(ALLOW) or ()):
        values[(ALLOW, item["rule"])] = Entry(
            item["reason"], Source(kind, name, value_location(raw[ALLOW], index))
        )
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
