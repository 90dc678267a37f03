"""Guards around apply's writes: re-read right before writing, check every write
answer, verify after writing.

The API has no idempotency key, no ETags and no delete, so these checks are the only
defence against what changed behind the plan's back and against a server whose
answer does not match what it was asked:

* :func:`reread_before_write` — after the confirmation (or after loading a saved
  plan) and before the first write, the live plan years of every (product,
  employer) pair the plan writes are re-read **in bulk** (one paged list per
  product, or one filtered list per employer when there are few) and every change
  whose key or fingerprint no longer matches what the plan saw is dropped as stale.
* :func:`response_mismatch` — the plan year in a POST/PUT answer must carry the
  requested employer, product, coverage dates and classes.
* :func:`verify_after_write` — after the last write, the touched pairs are re-read
  in bulk: exactly one live plan year per key with the applied content, else a
  problem naming every duplicate (all ids) and every mismatch.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from vitable_config.api.models import (
    MAX_JSON_CENTS,
    ContributionClassInput,
    PlanYear,
    PlanYearCreate,
    PlanYearUpdate,
)
from vitable_config.domain import fields as F
from vitable_config.domain.vocabulary import COVERAGE_TIERS
from vitable_config.engine.live import fingerprint, page_window
from vitable_config.engine.model import ActionResult, Plan, PlanYearChange
from vitable_config.engine.ports import VitableApi

# Above this many employers for one product, read the whole product list (pages
# of 100) rather than one filtered list per employer (as saved-plan checks do).
BULK_EMPLOYERS_PER_PRODUCT = 20

LiveKey = tuple[str, str, date]  # employer, product id, coverage start


@dataclass(frozen=True, slots=True)
class Stale:
    change: PlanYearChange
    reason: str

    def line(self) -> str:
        return f"{change_label(self.change)}: {self.reason}"


def change_label(change: PlanYearChange) -> str:
    key = change.key
    product = change.product_code or key.benefit_product
    return f"{key.employer_id}/{product}/{key.coverage_start.isoformat()}"


def live_key(py: PlanYear) -> LiveKey:
    return (py.employer_id, py.benefit_product_id, py.coverage_start)


def change_key(change: PlanYearChange) -> LiveKey:
    k = change.key
    return (k.employer_id, k.benefit_product, k.coverage_start)


async def read_pairs(
    client: VitableApi, pairs: Iterable[tuple[str, str]], *, live_hint: int | None = None
) -> list[PlanYear]:
    """Live plan years of every (product, employer) pair, in bulk: one paged list per
    product when it has many employers here, else one filtered list per employer.

    A product's list is expected to hold about one plan year per employer of it here,
    or fewer when ``live_hint`` (how many live plan years the plan saw in all) says
    so: the pages that many items need are requested at once (one round when the
    expectation holds; a longer list is read on in windows of that size)."""
    wanted = set(pairs)
    employers_by_product: dict[str, set[str]] = defaultdict(set)
    for product, employer in wanted:
        employers_by_product[product].add(employer)
    calls = []
    for product, employers in sorted(employers_by_product.items()):
        if len(employers) > BULK_EMPLOYERS_PER_PRODUCT:
            expected = len(employers) if live_hint is None else min(len(employers), live_hint)
            window = page_window(expected)
            calls.append(client.list_plan_years(product, concurrent_pages=window))
        else:
            calls.extend(client.list_plan_years(product, employer_id=e) for e in sorted(employers))
    pages = await asyncio.gather(*calls)
    seen: dict[str, PlanYear] = {}
    for page in pages:
        for py in page:
            if (py.benefit_product_id, py.employer_id) in wanted:
                seen[py.id] = py
    return list(seen.values())


def _pairs(changes: Iterable[PlanYearChange]) -> set[tuple[str, str]]:
    return {(c.key.benefit_product, c.key.employer_id) for c in changes}


def _by_key(items: Iterable[PlanYear]) -> dict[LiveKey, list[PlanYear]]:
    out: dict[LiveKey, list[PlanYear]] = defaultdict(list)
    for py in sorted(items, key=lambda p: (p.created_at, p.id)):
        out[live_key(py)].append(py)
    return out


def _ids(items: Sequence[PlanYear]) -> str:
    return ", ".join(p.id for p in items)


async def reread_before_write(plan: Plan, client: VitableApi) -> list[Stale]:
    """Re-read what the plan will write; one :class:`Stale` per change to drop."""
    actions = plan.actionable()
    if not actions:
        return []
    # Before any write the live state is the one the plan read (else it is stale).
    live = await read_pairs(client, _pairs(actions), live_hint=len(plan.fingerprints))
    by_id = {py.id: py for py in live}
    by_key = _by_key(live)
    stale: list[Stale] = []
    for change in actions:
        here = by_key.get(change_key(change), [])
        if change.action == "create":
            if here:
                stale.append(
                    Stale(
                        change,
                        f"a plan year for this key now exists ({_ids(here)}), created since "
                        "the plan read the live state",
                    )
                )
            continue
        current = by_id.get(change.live_id or "")
        if current is None:
            stale.append(
                Stale(
                    change,
                    f"plan year {change.live_id} is no longer a live plan year of this key",
                )
            )
        elif live_key(current) != change_key(change):
            stale.append(Stale(change, f"plan year {current.id} is not a plan year of this key"))
        elif change.live_id not in plan.fingerprints:
            stale.append(Stale(change, f"the plan has no fingerprint of plan year {current.id}"))
        elif fingerprint(current) != plan.fingerprints[current.id]:
            stale.append(Stale(change, f"plan year {current.id} changed since the plan read it"))
        elif len(here) > 1:
            stale.append(Stale(change, f"{len(here)} live plan years have this key: {_ids(here)}"))
    return stale


def _fmt_classes(table: dict[tuple[str, str], tuple[int, ...]]) -> str:
    return ", ".join(
        f"{emp}/{tier} " + "/".join(str(v) for v in amounts)
        for (emp, tier), amounts in sorted(table.items())
    )


def _field_diffs(request: dict[str, Any], got: PlanYear) -> list[str]:
    """``name live (requested value)`` for every request field the answer differs in."""
    diffs: list[str] = []
    for name in F.request_matches_live(request, got):
        wanted = request[name]
        if name == F.CLASSES:
            diffs.append(
                f"classes [{_fmt_classes(F.class_table(got.contribution_classes))}] "
                f"(requested [{_fmt_classes(F.class_table(wanted))}])"
            )
            continue
        f = F.BY_NAME.get(name)
        live = F.live_value(got, f) if f is not None else getattr(got, name, None)
        label = f.label if f is not None else name.replace("_", " ")
        diffs.append(f"{label} {live} (requested {wanted})")
    return diffs


_MODEL_FIELDS: dict[type[Any], tuple[str, ...]] = {}


def _request_fields(body: PlanYearCreate | PlanYearUpdate) -> dict[str, Any]:
    model = type(body)
    names = _MODEL_FIELDS.get(model)
    if names is None:  # one entry per request model class
        names = _MODEL_FIELDS[model] = tuple(model.model_fields)
    return {name: getattr(body, name) for name in names}


# A create body as the plan holds it (JSON: ISO date strings, class dicts) is compared
# with the answer directly only while the models have exactly these fields.
_AMOUNT_NAMES: tuple[str, ...] = tuple(f.name for f in F.CLASS_FIELDS)
_CREATE_FIELDS: tuple[str, ...] = ("employer_id", *(f.name for f in F.CREATE), F.CLASSES)
_CLASS_INPUT_FIELDS: tuple[str, ...] = (F.EMPLOYMENT, F.TIER, *_AMOUNT_NAMES)
_COMPARE_JSON = (
    tuple(PlanYearCreate.model_fields) == _CREATE_FIELDS
    and tuple(ContributionClassInput.model_fields) == _CLASS_INPUT_FIELDS
    and all(f.kind == "date" and not f.optional for f in F.CREATE)
)
_TIERS = frozenset(COVERAGE_TIERS)


def _created_as_requested(change: PlanYearChange, got: PlanYear) -> bool:
    """True only when ``change.request`` is a valid create body whose every field and
    class ``got`` carries (so :func:`create_mismatch` of its model has nothing to
    say); False decides nothing. Spares validating every body again after writing."""
    request = change.request
    if not _COMPARE_JSON or request.__class__ is not dict or len(request) != len(_CREATE_FIELDS):
        return False
    if got.benefit_product_id != change.key.benefit_product:
        return False
    employer = request.get("employer_id")
    if employer.__class__ is not str or employer != got.employer_id:
        return False
    for f in F.CREATE:
        value, live = request.get(f.name), F.live_value(got, f)
        if value.__class__ is not str or live.__class__ is not date or value != live.isoformat():
            return False
    classes = request.get(F.CLASSES)
    if classes.__class__ is not list or not classes:
        return False
    table: dict[tuple[str, str], tuple[Any, ...]] = {}
    for c in classes:
        if c.__class__ is not dict or len(c) != len(_CLASS_INPUT_FIELDS):
            return False
        employment, tier = c.get(F.EMPLOYMENT), c.get(F.TIER)
        if employment.__class__ is not str or not employment:
            return False
        if tier.__class__ is not str or tier not in _TIERS:
            return False
        amounts = tuple(c.get(name) for name in _AMOUNT_NAMES)
        for amount in amounts:
            if amount.__class__ is not int or not 0 <= amount <= MAX_JSON_CENTS:
                return False
        table[(employment, tier)] = amounts
    return table == F.class_table(got.contribution_classes)


def create_mismatch(change: PlanYearChange, body: PlanYearCreate, got: PlanYear) -> list[str]:
    """Differences between a create request and the plan year the API answered with."""
    diffs: list[str] = []
    if got.benefit_product_id != change.key.benefit_product:
        diffs.append(f"product {got.benefit_product_id} (requested {change.key.benefit_product})")
    return diffs + _field_diffs(_request_fields(body), got)


def update_mismatch(change: PlanYearChange, body: PlanYearUpdate, got: PlanYear) -> list[str]:
    """Differences between an update request and the plan year the API answered with."""
    diffs: list[str] = []
    if got.id != change.live_id:
        diffs.append(f"plan year {got.id} (requested {change.live_id})")
    if live_key(got) != change_key(change):
        diffs.append(
            f"key {got.employer_id}/{got.benefit_product_id}/{got.coverage_start} "
            f"(requested {change.key})"
        )
    return diffs + _field_diffs(_request_fields(body), got)


def response_mismatch(
    change: PlanYearChange, body: PlanYearCreate | PlanYearUpdate, got: PlanYear
) -> str | None:
    """A message for ``failed`` when the API's answer does not match the request."""
    if isinstance(body, PlanYearCreate):
        diffs = create_mismatch(change, body, got)
    else:
        diffs = update_mismatch(change, body, got)
    if not diffs:
        return None
    verb = "POST" if isinstance(body, PlanYearCreate) else "PUT"
    return (
        f"the API answered the {verb} with a plan year ({got.id}) that does not match the "
        f"request: {'; '.join(diffs)}; run plan to see what is live"
    )


def request_problem(change: PlanYearChange) -> str | None:
    """A change whose request contradicts its own key is never sent."""
    if change.action != "create" or change.request is None:
        return None
    employer = change.request.get("employer_id")
    start = change.request.get("coverage_start")
    if employer != change.key.employer_id:
        return f"its request is for employer {employer}, but its key is {change.key.employer_id}"
    if str(start) != change.key.coverage_start.isoformat():
        return (
            f"its request starts coverage on {start}, but its key starts on "
            f"{change.key.coverage_start.isoformat()}"
        )
    return None


async def verify_after_write(results: Sequence[ActionResult], client: VitableApi) -> list[str]:
    """Re-read every key the apply touched; one line per duplicate or mismatch."""
    touched = [r for r in results if r.status != "skipped" or r.live_id]
    if not touched:
        return []
    live = await read_pairs(client, _pairs(r.change for r in touched))
    by_key = _by_key(live)
    problems: list[str] = []
    for r in touched:
        change = r.change
        here = by_key.get(change_key(change), [])
        label = change_label(change)
        if len(here) > 1:
            problems.append(
                f"duplicate: {label} has {len(here)} live plan years: {_ids(here)} "
                "(the API has no delete: keep one, and ask Vitable support to remove the others)"
            )
            continue
        if r.status not in ("created", "updated") or change.request is None:
            continue
        if not here:
            problems.append(f"missing: {label} was reported {r.status} but is not live")
            continue
        py = here[0]
        if r.status == "created":
            if change.then_request is None and _created_as_requested(change, py):
                continue
            diffs = create_mismatch(change, PlanYearCreate.model_validate(change.request), py)
            if change.then_request is not None:
                follow = PlanYearUpdate.model_validate(change.then_request)
                diffs += _field_diffs(_request_fields(follow), py)
        else:
            diffs = update_mismatch(change, PlanYearUpdate.model_validate(change.request), py)
        if diffs:
            problems.append(f"mismatch: {label} ({py.id}) is live with {'; '.join(diffs)}")
    return problems
