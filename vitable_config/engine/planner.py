"""Build a :class:`~vitable_config.engine.model.Plan` from desired and live state.

Pure: no I/O. Plan years are matched by natural key (employer, resolved product
id, coverage_start) through a dict, so matching is linear; contribution classes
are matched by (employment, family_status) inside the normalised shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from itertools import pairwise
from typing import Any

from pydantic import ValidationError

from vitable_config.api.models import (
    ContributionClassInput,
    PlanYear,
    PlanYearCreate,
    PlanYearUpdate,
)
from vitable_config.desired import DesiredClass, DesiredPlanYear, DesiredState, PlanYearKey
from vitable_config.domain import fields as F
from vitable_config.domain.similar import near_misses
from vitable_config.domain.vocabulary import (
    EDITABLE_STATUS,
    STATUS_RANK,
    class_sort_key,
)
from vitable_config.engine.diff import create_additions, diff_normalized, source_for
from vitable_config.engine.live import LiveState, fingerprint
from vitable_config.engine.model import ACTIONS, FieldChange, Fingerprints, Plan, PlanYearChange
from vitable_config.engine.normalize import normalize_desired, normalize_live
from vitable_config.engine.reach import compute_reach
from vitable_config.errors import Problem, UserError

LOCK_WARNING_DAYS = 7
LiveKey = tuple[str, str, date]  # (employer_id, product_id, coverage_start)
_ACTION_ORDER = {action: i for i, action in enumerate(ACTIONS)}


def live_status_since(live: PlanYear) -> date | None:
    """When the live plan year reached its current status (the calendar rule)."""
    return F.status_since(live.status, F.live_dates(live))


def _lock_warning(open_enrollment_start: date, today: date, *, creating: bool) -> str | None:
    days = (open_enrollment_start - today).days
    start = open_enrollment_start.isoformat()
    if 0 < days <= LOCK_WARNING_DAYS:
        plural = "s" if days != 1 else ""
        return (
            f"open enrollment starts on {start} (in {days} day{plural}): this plan year locks then"
        )
    if days == 0:
        return f"open enrollment starts on {start} (today): this plan year locks then"
    if days < 0 and creating:
        return (
            f"open enrollment started on {start} ({-days} days ago): the plan year will be "
            "locked as soon as it is created"
        )
    return None


def _class_inputs(plan_year: DesiredPlanYear) -> list[ContributionClassInput]:
    classes = sorted(plan_year.contribution_classes.values(), key=lambda c: class_sort_key(*c.key))
    return [
        ContributionClassInput.model_validate(
            {F.EMPLOYMENT: c.employment, F.TIER: c.family_status, **F.class_amounts(c)}
        )
        for c in classes
    ]


def _request_problem(plan_year: DesiredPlanYear, exc: ValidationError) -> Problem:
    detail = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
    )
    return Problem(
        f"plan year {plan_year.key} is not a valid API request: {detail}",
        plan_year.location,
        hint="fix the value in the config; see docs/config-format.md",
    )


def _create_request_slow(plan_year: DesiredPlanYear) -> dict[str, Any]:
    return PlanYearCreate(
        employer_id=plan_year.employer_id,
        **dict(F.desired_values(plan_year, F.CREATE)),
        contribution_classes=_class_inputs(plan_year),
    ).model_dump(mode="json")


# The create body's fields in PlanYearCreate's (= model_dump's) order: the employer,
# each create field of the table, the classes. Bodies are put together here, not
# by pydantic, only while this holds and every create field is a date.
_CREATE_ORDER: tuple[str, ...] = tuple(PlanYearCreate.model_fields)
_CREATE_DATES: tuple[str, ...] = tuple(f.name for f in F.CREATE)
_FAST_CREATE = ("employer_id", *_CREATE_DATES, F.CLASSES) == _CREATE_ORDER and all(
    f.kind == "date" and not f.optional for f in F.CREATE
)
# The JSON class list of a create, by the identities of a plan year's DesiredClass
# objects in dict order (the loader shares equal classes between plan years). Each
# entry keeps its class objects alive, so their ids cannot be reused while cached;
# a class list is cached only once pydantic has validated and dumped it. Bounded.
_ClassBodies = tuple[tuple[tuple[str, Any], ...], ...]
_CLASS_BODIES: dict[tuple[int, ...], tuple[tuple[DesiredClass, ...], _ClassBodies]] = {}
_CLASS_BODIES_MAX = 1024


def _class_bodies(plan_year: DesiredPlanYear) -> list[dict[str, Any]]:
    """The JSON-ready ``contribution_classes`` of a create body (validated by
    ContributionClassInput on first sight of these class objects; raises as before)."""
    objects = tuple(plan_year.contribution_classes.values())
    key = tuple(map(id, objects))
    cached = _CLASS_BODIES.get(key)
    if cached is None:
        dumped = tuple(tuple(c.model_dump(mode="json").items()) for c in _class_inputs(plan_year))
        if len(_CLASS_BODIES) >= _CLASS_BODIES_MAX:
            _CLASS_BODIES.clear()
        cached = _CLASS_BODIES[key] = (objects, dumped)
    return [dict(items) for items in cached[1]]


def create_request(plan_year: DesiredPlanYear) -> dict[str, Any]:
    """The PlanYearCreate body (JSON-ready) for a desired plan year."""
    employer_id = plan_year.employer_id
    if not _FAST_CREATE or type(employer_id) is not str or not plan_year.contribution_classes:
        return _create_request_slow(plan_year)
    body: dict[str, Any] = {"employer_id": employer_id}
    for name in _CREATE_DATES:
        value = getattr(plan_year, name)
        # exactly a date (not a datetime) with a four-digit year: what pydantic accepts
        # as it is and dumps as its ISO form
        if type(value) is not date or value.year < 1000:
            return _create_request_slow(plan_year)
        body[name] = value.isoformat()
    body[F.CLASSES] = _class_bodies(plan_year)
    return body


def follow_up_request(plan_year: DesiredPlanYear) -> dict[str, Any] | None:
    """The PUT sent right after a create for the updatable fields a create cannot
    carry (``status`` beyond ``draft``); None when there are none."""
    extra = {
        f.name: getattr(plan_year, f.name)
        for f in F.UPDATABLE
        if not f.in_create and f.optional and getattr(plan_year, f.name, None) is not None
    }
    if extra.get("status") == "draft":  # every new plan year starts as draft
        del extra["status"]
    if not extra:
        return None
    return PlanYearUpdate(**extra).model_dump(mode="json", exclude_none=True)


def update_request(plan_year: DesiredPlanYear, changes: Iterable[FieldChange]) -> dict[str, Any]:
    """The PlanYearUpdate body with only the changed fields. A PUT replaces the
    whole class list, so any class change sends every desired class."""
    changed = {fc.path[0] for fc in changes}
    fields: dict[str, Any] = {}
    if F.CLASSES in changed:
        fields[F.CLASSES] = _class_inputs(plan_year)
    for f in F.UPDATABLE:
        if f.name in changed:
            fields[f.name] = getattr(plan_year, f.name)
    return PlanYearUpdate(**fields).model_dump(mode="json", exclude_none=True)


def _near_miss_warnings(changes: list[FieldChange]) -> list[str]:
    """A live employment type removed while a near-identical one is added
    (``fulltime`` vs ``full_time``): probably a typo in the config, not a new class."""
    removed = {fc.path[1] for fc in changes if fc.path[0] == F.CLASSES and fc.kind == "remove"}
    added = {fc.path[1] for fc in changes if fc.path[0] == F.CLASSES and fc.kind == "add"}
    return [
        f"classes {new}/* are added and {old}/* removed: did you mean {old!r}? "
        f"(a new employment name creates new classes; the live {old} classes are deleted)"
        for new, old in sorted(near_misses(removed, added).items())
    ]


def _overlapping(plan_year: DesiredPlanYear, candidates: Iterable[PlanYear]) -> PlanYear | None:
    for live in candidates:
        if (
            live.coverage_start <= plan_year.coverage_end
            and plan_year.coverage_start <= live.coverage_end
        ):
            return live
    return None


def _blocked(
    plan_year: DesiredPlanYear, live: PlanYear, changes: list[FieldChange]
) -> tuple[str, date | None] | None:
    """Why the differing live plan year cannot be brought to the desired state."""
    reasons: list[tuple[str, date | None]] = []
    changed = {fc.path for fc in changes}
    for f in F.IMMUTABLE:
        if f.path in changed:
            reasons.append(
                (
                    f"{f.name} cannot be changed after creation (live {F.live_value(live, f)}, "
                    f"desired {getattr(plan_year, f.name)}): the API cannot change coverage dates",
                    live.created_at.date(),
                )
            )
    desired_status = plan_year.status
    if desired_status is not None and STATUS_RANK.get(desired_status, 0) < STATUS_RANK[live.status]:
        reasons.append(
            (
                f"status cannot move backwards from {live.status} to {desired_status}",
                live_status_since(live),
            )
        )
    if live.status != EDITABLE_STATUS:
        since = live_status_since(live)
        reasons.append(
            (
                f"plan year is locked: it is {live.status} since {since} and plan years "
                "can only be edited until open enrollment starts",
                since,
            )
        )
    if not reasons:
        return None
    return "; ".join(r for r, _ in reasons), reasons[0][1]


class _PlanBuilder:
    def __init__(self, live: LiveState, today: date) -> None:
        self.live = live
        self.today = today
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.matched: set[str] = set()
        self.named: set[str] = set()  # employers whose name mismatch was reported
        self.index: dict[LiveKey, PlanYear] = {}
        # Keys with more than one live plan year, oldest first.
        self.dups: dict[LiveKey, list[PlanYear]] = {}
        for py in sorted(live.all_plan_years(), key=lambda p: (p.created_at, p.id)):
            key = (py.employer_id, py.benefit_product_id, py.coverage_start)
            first = self.index.setdefault(key, py)
            if first is not py:
                self.dups.setdefault(key, [first]).append(py)

    def duplicates(self, managed: set[LiveKey]) -> list[tuple[PlanYearKey, list[str]]]:
        """Managed keys with several live plan years (an error); others only warn."""
        out: list[tuple[PlanYearKey, list[str]]] = []
        for key, items in sorted(self.dups.items()):
            ids = [p.id for p in items]
            if key in managed:
                out.append((PlanYearKey(*key), ids))
            else:
                self.warnings.append(
                    f"employer {key[0]} has {len(ids)} live plan years of product {key[1]} "
                    f"starting {key[2]} ({', '.join(ids)}); {ids[0]} is matched and the "
                    "others are reported as unmanaged"
                )
        return out

    def _check_name(self, plan_year: DesiredPlanYear) -> None:
        """Warn once per employer whose configured ``name`` is not its live name."""
        configured = plan_year.employer_name
        live_name = self.live.employer_names.get(plan_year.employer_id)
        if not configured or not live_name or configured == live_name:
            return
        if plan_year.employer_id in self.named:
            return
        self.named.add(plan_year.employer_id)
        where = f" ({plan_year.location})" if plan_year.location else ""
        self.warnings.append(
            f"employer {plan_year.employer_id} is named {configured!r} in the config{where} "
            f"but {live_name!r} in the API; the plan shows the live name — fix the config's "
            "name (it is only a label, never written)"
        )

    def change_for(self, plan_year: DesiredPlanYear, key: PlanYearKey) -> PlanYearChange:
        self._check_name(plan_year)
        live_py = self.index.get((key.employer_id, key.benefit_product, key.coverage_start))
        change = PlanYearChange(
            action="unchanged",
            key=key,
            product_code=self.live.product_code(key.benefit_product),
            employer_name=self.live.employer_names.get(key.employer_id) or plan_year.employer_name,
            after=normalize_desired(plan_year),
            desired=plan_year,
        )
        if live_py is None:
            return self._create(plan_year, key, change)
        self.matched.add(live_py.id)
        change.live_id = live_py.id
        change.live_status = live_py.status
        change.before = normalize_live(live_py, include_status=plan_year.status is not None)
        change.changes = diff_normalized(
            change.before, change.after or {}, lambda path: source_for(plan_year, path)
        )
        if not change.changes:
            change.before = change.after  # equal: share one dict (memory at 10,000 plan years)
            return change
        blocked = _blocked(plan_year, live_py, change.changes)
        if blocked is not None:
            change.action = "blocked"
            change.blocked_reason, change.blocked_since = blocked
            return change
        change.action = "update"
        change.warnings.extend(_near_miss_warnings(change.changes))
        try:
            change.request = update_request(plan_year, change.changes)
        except ValidationError as exc:
            self.problems.append(_request_problem(plan_year, exc))
        self._warn_lock(plan_year, change, creating=False)
        return change

    def _create(
        self, plan_year: DesiredPlanYear, key: PlanYearKey, change: PlanYearChange
    ) -> PlanYearChange:
        pair = self.live.plan_years.get((key.employer_id, key.benefit_product), [])
        overlap = _overlapping(plan_year, pair)
        if overlap is not None:
            change.action = "blocked"
            change.blocked_reason = (
                f"coverage {plan_year.coverage_start}..{plan_year.coverage_end} overlaps live plan "
                f"year {overlap.id} ({overlap.coverage_start}..{overlap.coverage_end}); coverage "
                "dates cannot be changed after creation, so a new plan year must not overlap it"
            )
            change.blocked_since = overlap.created_at.date()
            return change
        product = self.live.products_by_id.get(key.benefit_product)
        if product is not None and not product.active:
            self.problems.append(
                Problem(
                    f"benefit product {plan_year.benefit_product!r} ({product.id}) is inactive "
                    "and refuses new plan years",
                    plan_year.location,
                    f"employer {plan_year.employer_id}",
                    "use an active product, or remove this plan year from the config",
                )
            )
        change.action = "create"
        # Every declared field is an addition (with the layer that set it).
        change.changes = create_additions(change.after or {}, plan_year)
        try:
            change.request = create_request(plan_year)
            change.then_request = follow_up_request(plan_year)
        except ValidationError as exc:
            self.problems.append(_request_problem(plan_year, exc))
        self._warn_lock(plan_year, change, creating=True)
        return change

    def _warn_lock(
        self, plan_year: DesiredPlanYear, change: PlanYearChange, *, creating: bool
    ) -> None:
        warning = _lock_warning(plan_year.open_enrollment_start, self.today, creating=creating)
        if warning is not None:
            change.warnings.append(warning)

    def unmanaged(self) -> list[PlanYearChange]:
        out: list[PlanYearChange] = []
        for py in self.live.all_plan_years():
            if py.id in self.matched:
                continue
            out.append(
                PlanYearChange(
                    action="unmanaged",
                    key=PlanYearKey(py.employer_id, py.benefit_product_id, py.coverage_start),
                    product_code=self.live.product_code(py.benefit_product_id),
                    employer_name=self.live.employer_names.get(py.employer_id),
                    live_id=py.id,
                    live_status=py.status,
                    before=normalize_live(py, include_status=True),
                )
            )
        return out


def _sort_key(change: PlanYearChange) -> tuple[str, str, date, int, str]:
    key = change.key
    return (
        key.employer_id,
        key.benefit_product,
        key.coverage_start,
        _ACTION_ORDER[change.action],
        change.live_id or "",
    )


def _resolve_keys(desired: DesiredState, live: LiveState) -> list[PlanYearKey]:
    keys: list[PlanYearKey] = []
    problems: list[Problem] = []
    first_at: dict[PlanYearKey, DesiredPlanYear] = {}
    for py in desired.plan_years:
        try:
            pid = live.resolve_product(py.benefit_product)
        except KeyError:
            problems.append(
                Problem(
                    f"benefit product {py.benefit_product!r} was not resolved from live state",
                    py.location,
                    hint="read live state for this configuration before planning",
                )
            )
            pid = py.benefit_product
        key = PlanYearKey(py.employer_id, pid, py.coverage_start)
        other = first_at.setdefault(key, py)
        if other is not py:
            problems.append(
                Problem(
                    f"plan year {key} is declared twice (also at {other.location or 'unknown'})",
                    py.location,
                    hint="an employer can have one plan year per product and coverage start",
                )
            )
        keys.append(key)
    problems.extend(_desired_overlaps(desired.plan_years, keys))
    if problems:
        raise UserError.from_problems(problems)
    return keys


def _desired_overlaps(plan_years: list[DesiredPlanYear], keys: list[PlanYearKey]) -> list[Problem]:
    """Two desired plan years of one employer and one RESOLVED product whose coverage
    overlaps (the config may name a product by code in one place and by id in another)."""
    by_pair: dict[tuple[str, str], list[DesiredPlanYear]] = {}
    for py, key in zip(plan_years, keys, strict=True):
        by_pair.setdefault((key.employer_id, key.benefit_product), []).append(py)
    problems: list[Problem] = []
    for (employer_id, product_id), items in by_pair.items():
        items.sort(key=lambda p: p.coverage_start)
        for prev, nxt in pairwise(items):
            if (
                nxt.coverage_start != prev.coverage_start
                and nxt.coverage_start <= prev.coverage_end
            ):
                problems.append(
                    Problem(
                        f"coverage {nxt.coverage_start}..{nxt.coverage_end} overlaps "
                        f"{prev.coverage_start}..{prev.coverage_end} (declared at {prev.location}) "
                        f"for employer {employer_id} and product {product_id} "
                        f"(written {prev.benefit_product!r} and {nxt.benefit_product!r})",
                        nxt.location,
                        hint="coverage periods of one product must not overlap",
                    )
                )
    return problems


def build_plan(
    desired: DesiredState,
    live: LiveState,
    *,
    today: date,
    base_url: str,
    scope: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> Plan:
    """Compare desired with live; raise :class:`UserError` for problems found on the way
    (inactive product for a create, duplicate keys, invalid requests) — all at once."""
    keys = _resolve_keys(desired, live)
    builder = _PlanBuilder(live, today)
    changes = [
        builder.change_for(py, key) for py, key in zip(desired.plan_years, keys, strict=True)
    ]
    if builder.problems:
        raise UserError.from_problems(builder.problems)
    duplicates = builder.duplicates(
        {(k.employer_id, k.benefit_product, k.coverage_start) for k in keys}
    )
    changes.extend(builder.unmanaged())
    changes.sort(key=_sort_key)
    return Plan(
        duplicates=duplicates,
        changes=changes,
        created_at=created_at or datetime.now(UTC),
        base_url=base_url,
        fingerprints=Fingerprints(live.all_plan_years(), fingerprint),
        absent_keys=[c.key for c in changes if c.action == "create"],
        reach=compute_reach(changes),
        warnings=builder.warnings,
        scope=dict(scope or {}),
    )
