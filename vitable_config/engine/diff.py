"""Field-level diff of two normalised plan years (see :mod:`.normalize`).

A plain ``==`` decides first; deepdiff runs only for plan years that differ, on
one small tree per plan year (never one giant tree), and its report is turned
into :class:`~vitable_config.engine.model.FieldChange` values:

* a changed leaf (a date, a status, one cents value) -> ``change`` at the leaf path;
* a contribution class added or removed -> ``add``/``remove`` at
  ``("contribution_classes", employment, tier)`` with the whole class dict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import notpresent

from vitable_config.api.models import COVERAGE_TIERS
from vitable_config.desired import DesiredPlanYear, FieldPath, Source
from vitable_config.engine.model import ChangeKind, FieldChange
from vitable_config.engine.normalize import CLASSES, EMPLOYER_CENTS, Normalized

SourceLookup = Callable[[FieldPath], Source | None]

_REPORT_KINDS: dict[str, ChangeKind] = {
    "values_changed": "change",
    "type_changes": "change",
    "dictionary_item_added": "add",
    "dictionary_item_removed": "remove",
}


def source_for(plan_year: DesiredPlanYear | None, path: FieldPath) -> Source | None:
    """The layer that set ``path`` on the desired side.

    Provenance is recorded per leaf; a whole class (``contribution_classes.E.T``)
    takes the source of its employer share, and failing that its employee share.
    """
    if plan_year is None:
        return None
    found = plan_year.source_of(path)
    if found is not None or not path or path[0] != CLASSES or len(path) != 3:
        return found
    for leaf in (EMPLOYER_CENTS, "employee_contribution_cents"):
        found = plan_year.provenance.get((*path, leaf))
        if found is not None:
            return found
    return None


def _expand(path: FieldPath, kind: ChangeKind, value: Any) -> list[tuple[FieldPath, Any]]:
    """Split a whole class list (``contribution_classes``) or a whole employment
    (``contribution_classes.E``) that was added/removed into one entry per class."""
    if kind == "change" or not path or path[0] != CLASSES or not isinstance(value, dict):
        return [(path, value)]
    if len(path) == 1:
        return [
            ((CLASSES, employment, tier), value[employment][tier])
            for employment in sorted(value)
            for tier in sorted(value[employment])
        ]
    if len(path) == 2:
        return [((*path, tier), value[tier]) for tier in sorted(value)]
    return [(path, value)]


def _missing(value: Any) -> Any:
    return None if value is notpresent else value


def additions(after: Normalized, source: SourceLookup | None = None) -> list[FieldChange]:
    """Every declared field as an ``add`` (what a create sets), one entry per class."""
    lookup: SourceLookup = source or (lambda _path: None)
    changes: list[FieldChange] = []
    for name, value in after.items():
        for path, item in _expand((name,), "add", value):
            changes.append(FieldChange(path, "add", None, item, lookup(path)))
    changes.sort(key=lambda c: path_sort_key(c.path))
    return changes


def diff_normalized(
    before: Normalized,
    after: Normalized,
    source: SourceLookup | None = None,
) -> list[FieldChange]:
    """Field changes turning ``before`` (live) into ``after`` (desired), sorted by path."""
    if before == after:
        return []
    lookup: SourceLookup = source or (lambda _path: None)
    changes: list[FieldChange] = []
    tree = DeepDiff(before, after, view="tree")
    for report_type, levels in tree.items():
        kind = _REPORT_KINDS.get(report_type)
        if kind is None:  # pragma: no cover - other report types cannot arise from our shape
            raise ValueError(f"unexpected deepdiff report {report_type!r}")
        for level in levels:
            path: FieldPath = tuple(str(p) for p in level.path(output_format="list"))
            if kind == "add":
                for sub, value in _expand(path, kind, level.t2):
                    changes.append(FieldChange(sub, "add", None, value, lookup(sub)))
            elif kind == "remove":
                for sub, value in _expand(path, kind, level.t1):
                    changes.append(FieldChange(sub, "remove", value, None, lookup(sub)))
            else:
                changes.append(
                    FieldChange(
                        path, "change", _missing(level.t1), _missing(level.t2), lookup(path)
                    )
                )
    changes.sort(key=lambda c: path_sort_key(c.path))
    return changes


_TIER_ORDER = {tier: i for i, tier in enumerate(COVERAGE_TIERS)}
_FIELD_ORDER = {
    "coverage_end": 0,
    "open_enrollment_start": 1,
    "open_enrollment_end": 2,
    "status": 3,
    CLASSES: 4,
}


def path_sort_key(path: FieldPath) -> tuple[int, str, int, FieldPath]:
    """Display order: dates, status, then classes by employment and tier (EE, ES, EC, EF)."""
    rank = _FIELD_ORDER.get(path[0], 9) if path else 9
    employment = path[1] if len(path) > 1 else ""
    tier = _TIER_ORDER.get(path[2], 99) if len(path) > 2 else -1
    return (rank, employment, tier, path)
