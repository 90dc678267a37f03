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

from vitable_config.config.yaml_loader import LocDict, value_mark
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


# (field path, the YAML keys above it, its own YAML key) of each plan-year field.
_FIELD_SPECS: tuple[tuple[FieldPath, tuple[str, ...], str], ...] = tuple(
    (f.path, f.yaml_path[:-1], f.yaml_path[-1]) for f in F.PLAN_YEAR_FIELDS
)
_CLASS_SPECS: tuple[tuple[str, str], ...] = tuple((cf.yaml_key, cf.name) for cf in F.CLASS_FIELDS)
# flatten reads a class's two amounts (the schema allows no other keys) by position.
assert len(F.CLASS_FIELDS) == 2
_FIRST_KEY = _CLASS_SPECS[0][0]
# employment -> tier -> the field path of each amount (in _CLASS_SPECS order): one set
# of tuples for every plan year, rather than new ones per plan year. Bounded: past
# _CLASS_PATHS_MAX employment names, new names get new tuples each time.
_CLASS_PATHS: dict[str, dict[str, tuple[FieldPath, ...]]] = {}
_CLASS_PATHS_MAX = 1_000


def class_paths(employment: str, tier: str) -> tuple[FieldPath, ...]:
    """``(contribution_classes, employment, tier, field)`` for each class field."""
    by_tier = _CLASS_PATHS.get(employment)
    if by_tier is not None:
        paths = by_tier.get(tier)
        if paths is not None:
            return paths
    paths = tuple((F.CLASSES, employment, tier, field_name) for _, field_name in _CLASS_SPECS)
    if by_tier is None:
        if len(_CLASS_PATHS) >= _CLASS_PATHS_MAX:
            return paths
        by_tier = _CLASS_PATHS[employment] = {}
    by_tier[tier] = paths
    return paths


def flatten(raw: LocDict | None, kind: LayerKind, name: str | None) -> Fragment:
    """Flatten a validated plan-year-fields mapping of one layer.

    Each entry's source keeps the parser's mark of the value (see
    :meth:`Source.at_mark`): its location is made when something reads it."""
    frag = Fragment()
    if not raw:
        return frag
    values = frag.values
    at = Source.at_mark

    seen: Any = None  # the container whose keys are listed in keys
    keys: list[Any] = []
    for path, parents, last in _FIELD_SPECS:
        container: Any = raw
        for part in parents:
            container = container.get(part) if container else None
        if not container:
            continue
        value = container.get(last)
        if value is None:
            continue
        if container.__class__ is LocDict and len(container._marks) == 2 * len(container):
            # As loaded: the value's mark by the key's position (the keys of a checked
            # mapping are texts, so the list finds the key the dict finds).
            if container is not seen:
                seen, keys = container, list(container)
            i = keys.index(last)
            if keys[i].__class__ is str:
                where = container._marks[2 * i + 1]
                values[path] = Entry(value, at(kind, name, container.file, where))
                continue
        values[path] = Entry(value, at(kind, name, *value_mark(container, last)))
    classes = raw.get(F.CLASSES)
    if classes:
        removals = frag.removals
        for employment, tiers in classes.items():
            if tiers is None:
                removals.append((F.CLASSES, employment))
                continue
            for tier, amounts in tiers.items():
                if amounts is None:
                    removals.append((F.CLASSES, employment, tier))
                    continue
                first_path, second_path = class_paths(employment, tier)
                if amounts.__class__ is LocDict and len(amounts) == 2 and len(amounts._marks) == 4:
                    # As loaded, with both amounts (as most are): their values and the
                    # marks of the values by position, entered in field order.
                    marks = amounts._marks
                    first_key, _ = amounts
                    first, second = amounts.values()
                    if first_key != _FIRST_KEY:  # written the other way round
                        first, second = second, first
                        first_mark, second_mark = marks[3], marks[1]
                    else:
                        first_mark, second_mark = marks[1], marks[3]
                    file = amounts.file
                    if first is not None:
                        values[first_path] = Entry(first, at(kind, name, file, first_mark))
                    if second is not None:
                        values[second_path] = Entry(second, at(kind, name, file, second_mark))
                    continue
                for (yaml_key, _), path in zip(
                    _CLASS_SPECS, (first_path, second_path), strict=True
                ):
                    amount = amounts.get(yaml_key)
                    if amount is not None:
                        values[path] = Entry(amount, at(kind, name, *value_mark(amounts, yaml_key)))
    # Policy exceptions merge like values: (allow, rule) -> the reason, where it was written.
    for index, item in enumerate(raw.get(ALLOW) or ()):
        values[(ALLOW, item["rule"])] = Entry(
            item["reason"], at(kind, name, *value_mark(raw[ALLOW], index))
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
