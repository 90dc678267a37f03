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

from vitable_config.desired import DesiredPlanYear, FieldPath, Source
from vitable_config.domain.fields import CLASS_SOURCE_ORDER, CLASSES, FIELD_ORDER
from vitable_config.domain.vocabulary import tier_rank
from vitable_config.engine.model import ChangeKind, FieldChange
from vitable_config.engine.normalize import Normalized

# view="tree" for structured paths; threshold_to_diff_deeper=0 so dicts whose keys
# all differ are still reported key by key (not as one replaced dict); no
# progress logging or cache purging (small trees, called many times).
_DEEPDIFF_OPTIONS: dict[str, Any] = {
    "view": "tree",
    "threshold_to_diff_deeper": 0,
    "log_frequency_in_sec": 0,
    "cache_purge_level": 0,
}

SourceLookup = Callable[[FieldPath], Source | None]


class _NotPresent:
    """A value absent on one side (deepdiff's own marker is mapped to this one, so
    deepdiff is imported only when a contribution class actually differs)."""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "not present"


notpresent: Any = _NotPresent()

_REPORT_KINDS: dict[str, ChangeKind] = {
    "values_changed": "change",
    "type_changes": "change",
    "dictionary_item_added": "add",
    "dictionary_item_removed": "remove",
}


_CLASS_SOURCE_LEAVES: tuple[str, ...] = tuple(leaf.name for leaf in CLASS_SOURCE_ORDER)
_CLASSES_PATH: FieldPath = (CLASSES,)


def source_for(plan_year: DesiredPlanYear | None, path: FieldPath) -> Source | None:
    """The layer that set ``path`` on the desired side.

    Provenance is recorded per leaf; a whole class (``contribution_classes.E.T``)
    takes the source of its amounts in ``CLASS_SOURCE_ORDER`` (employer share first).
    """
    if plan_year is None:
        return None
    if len(path) == 3 and path[0] == CLASSES and plan_year.__class__ is DesiredPlanYear:
        # DesiredPlanYear.source_of (walk up the path) inlined: every create asks this
        # for each of its classes.
        provenance = plan_year.provenance
        found = provenance.get(path)
        if found is None:
            found = provenance.get(path[:2])
            if found is None:
                found = provenance.get(path[:1])
                if found is None:
                    for leaf_name in _CLASS_SOURCE_LEAVES:
                        found = provenance.get((*path, leaf_name))
                        if found is not None:
                            return found
        return found
    found = plan_year.source_of(path)
    if found is not None or not path or path[0] != CLASSES or len(path) != 3:
        return found
    for leaf in CLASS_SOURCE_ORDER:
        found = plan_year.provenance.get((*path, leaf.name))
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


def _missing(value: Any, absent: Any) -> Any:
    return None if value is absent else value


def _no_source(_path: FieldPath) -> Source | None:
    return None


def additions(after: Normalized, source: SourceLookup | None = None) -> list[FieldChange]:
    """Every declared field as an ``add`` (what a create sets), one entry per class."""
    lookup: SourceLookup = source or _no_source
    keyed: list[tuple[tuple[int, str, int, FieldPath], int, FieldChange]] = []
    for name, value in after.items():
        for path, item in _expand((name,), "add", value):
            change = FieldChange(path, "add", None, item, lookup(path))
            keyed.append((_path_key(path), len(keyed), change))
    # In display order (the position breaks ties: a stable sort, as by the key alone).
    keyed.sort()
    return [change for _key, _i, change in keyed]


def _compile_field_change() -> Callable[[FieldPath, ChangeKind, Any, Any, Any], FieldChange]:
    """``FieldChange(path, kind, before, after, source)`` without the frozen dataclass's
    ``__init__`` (five ``object.__setattr__`` calls): the slots are filled directly, as
    that ``__init__`` does. Only while FieldChange has exactly these fields and nothing
    runs after ``__init__``; otherwise the class itself."""
    names = ("path", "kind", "before", "after", "source")
    fields = getattr(FieldChange, "__dataclass_fields__", {})
    if tuple(fields) != names or hasattr(FieldChange, "__post_init__"):
        return FieldChange
    new = object.__new__
    set_path, set_kind, set_before, set_after, set_source = (
        vars(FieldChange)[name].__set__ for name in names
    )

    def field_change(
        path: FieldPath, kind: ChangeKind, before: Any, after: Any, source: Any
    ) -> FieldChange:
        change: FieldChange = new(FieldChange)
        set_path(change, path)
        set_kind(change, kind)
        set_before(change, before)
        set_after(change, after)
        set_source(change, source)
        return change

    return field_change


_field_change = _compile_field_change()


def create_additions(after: Normalized, plan_year: DesiredPlanYear) -> list[FieldChange]:
    """``additions(after, lambda path: source_for(plan_year, path))`` for a create,
    with the provenance lookups inlined (each create has one per field and class)."""
    if plan_year.__class__ is not DesiredPlanYear:
        return additions(after, lambda path: source_for(plan_year, path))
    get = plan_year.provenance.get
    keyed: list[tuple[tuple[int, str, int, FieldPath], int, FieldChange]] = []
    for name, value in after.items():
        if name == CLASSES and value.__class__ is dict:
            # _expand's classes, each with source_for's walk up its path: the class,
            # its employment, all classes (the last two looked up once), its amounts.
            whole = get(_CLASSES_PATH)
            for employment in sorted(value):
                group = value[employment]
                by_employment = get((CLASSES, employment))
                if by_employment is None:
                    by_employment = whole
                for tier in sorted(group):
                    path: FieldPath = (CLASSES, employment, tier)
                    found = get(path)
                    if found is None:
                        found = by_employment
                        if found is None:
                            for leaf_name in _CLASS_SOURCE_LEAVES:
                                found = get((*path, leaf_name))
                                if found is not None:
                                    break
                    change = _field_change(path, "add", None, group[tier], found)
                    keyed.append((_path_key(path), len(keyed), change))
            continue
        for path, item in _expand((name,), "add", value):
            if len(path) == 3 and path[0] == CLASSES:
                found = get(path)
                if found is None:
                    found = get(path[:2])
                    if found is None:
                        found = get(path[:1])
                        if found is None:
                            for leaf_name in _CLASS_SOURCE_LEAVES:
                                found = get((*path, leaf_name))
                                if found is not None:
                                    break
            else:
                found = plan_year.source_of(path)
            change = _field_change(path, "add", None, item, found)
            keyed.append((_path_key(path), len(keyed), change))
    keyed.sort()
    return [change for _key, _i, change in keyed]


def _leaf_changes(
    path: FieldPath, before: Any, after: Any, lookup: SourceLookup
) -> list[FieldChange]:
    """A value present on one side only or a scalar that differs (no deepdiff needed)."""
    if before is notpresent:
        return [FieldChange(p, "add", None, v, lookup(p)) for p, v in _expand(path, "add", after)]
    if after is notpresent:
        return [
            FieldChange(p, "remove", v, None, lookup(p)) for p, v in _expand(path, "remove", before)
        ]
    return [FieldChange(path, "change", before, after, lookup(path))]


def _deep_changes(
    prefix: FieldPath, before: Any, after: Any, lookup: SourceLookup
) -> list[FieldChange]:
    """deepdiff one small subtree (one contribution class) into FieldChanges."""
    from deepdiff import DeepDiff
    from deepdiff.helper import notpresent as absent

    changes: list[FieldChange] = []
    tree = DeepDiff(before, after, **_DEEPDIFF_OPTIONS)
    for report_type, levels in tree.items():
        kind = _REPORT_KINDS.get(report_type)
        if kind is None:  # pragma: no cover - other report types cannot arise from our shape
            raise ValueError(f"unexpected deepdiff report {report_type!r}")
        for level in levels:
            path: FieldPath = (*prefix, *(str(p) for p in level.path(output_format="list")))
            if kind == "add":
                changes.extend(_leaf_changes(path, notpresent, level.t2, lookup))
            elif kind == "remove":
                changes.extend(_leaf_changes(path, level.t1, notpresent, lookup))
            else:
                changes.append(
                    FieldChange(
                        path,
                        "change",
                        _missing(level.t1, absent),
                        _missing(level.t2, absent),
                        lookup(path),
                    )
                )
    return changes


def _class_changes(
    before: dict[str, Any], after: dict[str, Any], lookup: SourceLookup
) -> list[FieldChange]:
    """Classes matched by (employment, tier); deepdiff only on a class that differs."""
    changes: list[FieldChange] = []
    for employment in (*before, *(k for k in after if k not in before)):
        old_e, new_e = before.get(employment, notpresent), after.get(employment, notpresent)
        if old_e == new_e:
            continue
        if old_e is notpresent or new_e is notpresent:
            changes.extend(_leaf_changes((CLASSES, employment), old_e, new_e, lookup))
            continue
        for tier in (*old_e, *(k for k in new_e if k not in old_e)):
            old_c, new_c = old_e.get(tier, notpresent), new_e.get(tier, notpresent)
            if old_c == new_c:
                continue
            path = (CLASSES, employment, tier)
            if old_c is notpresent or new_c is notpresent:
                changes.extend(_leaf_changes(path, old_c, new_c, lookup))
            else:
                changes.extend(_deep_changes(path, old_c, new_c, lookup))
    return changes


def diff_normalized(
    before: Normalized,
    after: Normalized,
    source: SourceLookup | None = None,
) -> list[FieldChange]:
    """Field changes turning ``before`` (live) into ``after`` (desired), in display order.

    ``==`` decides at every level first, so deepdiff only ever sees a contribution
    class that actually differs (tiny trees, called once per differing class: the
    engine stays fast at 10,000 plan years).
    """
    if before == after:
        return []
    lookup: SourceLookup = source or (lambda _path: None)
    changes: list[FieldChange] = []
    for name in (*before, *(k for k in after if k not in before)):
        old, new = before.get(name, notpresent), after.get(name, notpresent)
        if old == new:
            continue
        if name == CLASSES and isinstance(old, dict) and isinstance(new, dict):
            changes.extend(_class_changes(old, new, lookup))
        else:
            changes.extend(_leaf_changes((name,), old, new, lookup))
    changes.sort(key=lambda c: path_sort_key(c.path))
    return changes


def path_sort_key(path: FieldPath) -> tuple[int, str, int, FieldPath]:
    """Display order: dates, status, then classes by employment and tier (EE, ES, EC, EF)."""
    rank = FIELD_ORDER.get(path[0], 9) if path else 9
    employment = path[1] if len(path) > 1 else ""
    tier = tier_rank(path[2]) if len(path) > 2 else -1
    return (rank, employment, tier, path)


# path_sort_key of the paths seen (a plan has few distinct ones: its fields and the
# classes' employment x tier); bounded.
_PATH_KEYS: dict[FieldPath, tuple[int, str, int, FieldPath]] = {}
_PATH_KEYS_MAX = 4096


def _path_key(path: FieldPath) -> tuple[int, str, int, FieldPath]:
    key = _PATH_KEYS.get(path)
    if key is None:
        if len(_PATH_KEYS) >= _PATH_KEYS_MAX:
            _PATH_KEYS.clear()
        key = _PATH_KEYS[path] = path_sort_key(path)
    return key
