"""Read the live state a plan needs, with the fewest requests.

* Benefit products: ONE ``list_benefit_products`` call resolves every product
  code to its ``bprd_`` id (unknown codes/ids are reported together, with the
  file:line of each plan year that uses them).
* Employers: few configured employers -> concurrent ``get_employer``; many ->
  ``list_employers`` (pages of 100). Unknown employers are reported together.
* Plan years: when the config covers a large share of the estate, one paged
  ``list_plan_years`` per product (pages of 100); when it covers few employers,
  one filtered list per managed (product, employer) pair, concurrently. Never
  one GET per plan year.

Everything is read before anything is written; errors are :class:`UserError`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, TypeVar

from vitable_config.api.errors import NotFoundError
from vitable_config.api.models import BenefitProduct, Employer, PlanYear
from vitable_config.desired import DesiredPlanYear, DesiredState
from vitable_config.engine.ports import VitableApi
from vitable_config.errors import Problem, UserError

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
PairKey = tuple[str, str]  # (employer_id, benefit_product_id)
ReadStrategy = Literal["per-product", "per-employer", "none"]

# Up to this many configured employers, employers are fetched one by one and
# plan years listed per (product, employer); also when they are < FEW_SHARE of all.
FEW_EMPLOYERS = 20
FEW_SHARE = 0.05
PAGE_LIMIT = 100
MAX_PAGE_WINDOW = 16


def page_window(expected_items: int, *, limit: int = PAGE_LIMIT) -> int:
    """How many pages to request at once, for a list expected to hold about
    ``expected_items``: the client requests pages 1..k together (then windows of k),
    and k = ceil((N + 1) / limit) pages hold N items plus the short or empty page that
    confirms the end, so a list in sync is read in one round (capped)."""
    return max(1, min(MAX_PAGE_WINDOW, expected_items // limit + 1))


def fingerprint(plan_year: PlanYear) -> str:
    """sha256 of the canonical JSON of a live plan year (every field, server-owned
    ones included), so apply can tell whether it changed since the plan."""
    payload = json.dumps(
        plan_year.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class LiveState:
    """What the planner needs from the live API, restricted to managed pairs."""

    products_by_id: dict[str, BenefitProduct]
    # Desired product reference (code or bprd_ id) -> bprd_ id.
    product_refs: dict[str, str]
    employer_names: dict[str, str]
    # Live plan years of managed (employer_id, product_id) pairs, sorted by coverage_start.
    plan_years: dict[PairKey, list[PlanYear]] = field(default_factory=dict)
    strategy: ReadStrategy = "none"

    @property
    def products_by_code(self) -> dict[str, BenefitProduct]:
        """One product per code (the one the config's code resolved to, else any)."""
        out: dict[str, BenefitProduct] = {}
        for product in self.products_by_id.values():
            out.setdefault(product.product_code, product)
        for ref, pid in self.product_refs.items():
            if not ref.startswith("bprd_") and pid in self.products_by_id:
                out[ref] = self.products_by_id[pid]
        return out

    def resolve_product(self, ref: str) -> str:
        """``MEC`` or ``bprd_...`` -> ``bprd_`` id (KeyError if it was not resolved)."""
        return self.product_refs[ref]

    def product_code(self, product_id: str) -> str | None:
        product = self.products_by_id.get(product_id)
        return product.product_code if product else None

    def all_plan_years(self) -> Iterable[PlanYear]:
        for items in self.plan_years.values():
            yield from items

    @classmethod
    def from_objects(
        cls,
        desired: DesiredState,
        products: Iterable[BenefitProduct],
        plan_years: Iterable[PlanYear],
        employer_names: dict[str, str] | None = None,
        strategy: ReadStrategy = "none",
    ) -> LiveState:
        """Build a LiveState from objects already in memory (tests, benchmarks, and
        the reader below). Raises :class:`UserError` for unknown products."""
        by_id = {p.id: p for p in products}
        refs = resolve_product_refs(desired.plan_years, by_id.values())
        pairs = managed_pairs(desired.plan_years, refs)
        grouped: dict[PairKey, list[PlanYear]] = {pair: [] for pair in pairs}
        seen: set[str] = set()
        for py in plan_years:
            bucket = grouped.get((py.employer_id, py.benefit_product_id))
            if bucket is not None and py.id not in seen:
                seen.add(py.id)
                bucket.append(py)
        for bucket in grouped.values():
            bucket.sort(key=lambda py: (py.coverage_start, py.id))
        return cls(by_id, refs, dict(employer_names or {}), grouped, strategy)


def _product_hint(products: Iterable[BenefitProduct]) -> str:
    codes = sorted({p.product_code for p in products})
    shown = ", ".join(codes) if codes else "(none)"
    return f"use a product code the account offers ({shown}) or a bprd_ id"


def resolve_product_refs(
    plan_years: Iterable[DesiredPlanYear], products: Iterable[BenefitProduct]
) -> dict[str, str]:
    """Map every product reference in the config to a ``bprd_`` id.

    A code with several products prefers the active one; two active products
    with the same code are ambiguous (use the id). All problems are raised together.
    """
    product_list = list(products)
    by_id = {p.id: p for p in product_list}
    by_code: dict[str, list[BenefitProduct]] = {}
    for product in product_list:
        by_code.setdefault(product.product_code, []).append(product)
    refs: dict[str, str] = {}
    problems: list[Problem] = []
    reported: set[tuple[str, str]] = set()
    for py in plan_years:
        ref = py.benefit_product
        if ref in refs:
            continue
        message: str | None = None
        hint: str | None = None
        if ref in by_id:
            refs[ref] = ref
            continue
        candidates = by_code.get(ref, [])
        active = [p for p in candidates if p.active]
        if len(active) == 1 or (len(candidates) == 1 and not active):
            refs[ref] = (active or candidates)[0].id
            continue
        if len(active) > 1:
            ids = ", ".join(sorted(p.id for p in active))
            message = f"benefit product code {ref!r} is ambiguous: active products {ids}"
            hint = "use the bprd_ id of the product you mean"
        else:
            kind = "id" if ref.startswith("bprd_") else "code"
            message = f"unknown benefit product {kind} {ref!r}"
            hint = _product_hint(product_list)
        where = str(py.location) if py.location else ""
        if (ref, where) in reported:
            continue
        reported.add((ref, where))
        problems.append(Problem(message, py.location, f"employer {py.employer_id}", hint))
    if problems:
        raise UserError.from_problems(problems, _count(problems, "benefit product problem"))
    return refs


def managed_pairs(plan_years: Iterable[DesiredPlanYear], refs: dict[str, str]) -> set[PairKey]:
    return {(py.employer_id, refs[py.benefit_product]) for py in plan_years}


def _count(items: list[Any], noun: str) -> str:
    return f"{len(items)} {noun}{'s' if len(items) != 1 else ''} found; nothing was changed"


def _first_locations(plan_years: Iterable[DesiredPlanYear]) -> dict[str, DesiredPlanYear]:
    first: dict[str, DesiredPlanYear] = {}
    for py in plan_years:
        first.setdefault(py.employer_id, py)
    return first


def _unknown_employers_error(
    missing: Iterable[str], first: dict[str, DesiredPlanYear]
) -> UserError:
    problems = [
        Problem(
            f"unknown employer {eid!r}: it does not exist in this account",
            first[eid].location,
            hint="check the employer id (empr_...) and the API key/base URL you are using",
        )
        for eid in sorted(missing)
    ]
    return UserError.from_problems(problems, _count(problems, "unknown employer"))


async def _run_all(calls: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run calls concurrently (the client bounds real concurrency). On the first
    failure the others are cancelled and the original exception is raised as is
    (not wrapped in an ExceptionGroup), so the CLI maps it like any API error."""
    tasks = [asyncio.ensure_future(call()) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _both(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Await two calls concurrently; on a failure the other is cancelled and the
    original exception is raised as is (like :func:`_run_all`)."""
    tasks = (asyncio.ensure_future(first), asyncio.ensure_future(second))
    try:
        return await asyncio.gather(tasks[0], tasks[1])
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _fetch_employers_one_by_one(
    client: VitableApi, employer_ids: list[str]
) -> tuple[dict[str, str], set[str]]:
    async def one(eid: str) -> tuple[str, Employer | None]:
        try:
            return eid, await client.get_employer(eid)
        except NotFoundError:
            return eid, None

    results = await _run_all([partial(one, eid) for eid in employer_ids])
    names = {eid: emp.name for eid, emp in results if emp is not None}
    missing = {eid for eid, emp in results if emp is None}
    return names, missing


async def _read_employers(
    client: VitableApi, employer_ids: list[str]
) -> tuple[dict[str, str], set[str], int | None]:
    """(names of configured employers, unknown ones, employers in the account if listed).

    Few configured employers: concurrent ``get_employer``; many: ``list_employers``."""
    if len(employer_ids) <= FEW_EMPLOYERS:
        names, missing = await _fetch_employers_one_by_one(client, employer_ids)
        return names, missing, None
    everyone = await client.list_employers(
        limit=PAGE_LIMIT, concurrent_pages=page_window(len(employer_ids))
    )
    all_names = {e.id: e.name for e in everyone}
    names = {eid: all_names[eid] for eid in employer_ids if eid in all_names}
    return names, set(employer_ids) - set(names), len(everyone)


def choose_strategy(configured: int, total_employers: int | None) -> ReadStrategy:
    """Per-employer lists when the config covers few employers, else per product."""
    if configured == 0:
        return "none"
    if configured <= FEW_EMPLOYERS:
        return "per-employer"
    if total_employers is not None and configured < FEW_SHARE * total_employers:
        return "per-employer"
    return "per-product"


async def read_live_state(
    client: VitableApi,
    desired: DesiredState,
    *,
    products_filter: Callable[[BenefitProduct], bool] | None = None,
) -> LiveState:
    """Read products, employers and the plan years of managed (employer, product) pairs.

    ``products_filter`` optionally restricts which benefit products may be
    referenced/managed (e.g. a ``--product`` scope); a product the filter
    rejects counts as unknown.

    Products and employers are read concurrently (each list in one round when it has
    about the size the config implies). With few configured employers the read
    strategy is known up front (per employer), and the plan-year lists need only the
    product ids: they are requested as soon as the products are known, while the
    employers are still being read. With many, the strategy depends on how many
    employers the account has, so the plan years wait for the employer list (a
    per-product read started early against an estate the config covers under 5% of
    would read that whole estate for nothing). Every check runs in the same order as before: read
    failures, unknown products, unknown employers (a failure of an early plan-year
    read is only reported after those).
    """
    employer_ids = sorted(desired.employer_ids)
    # choose_strategy gives this whatever the account's employer count:
    known = len(employer_ids) <= FEW_EMPLOYERS
    guess = choose_strategy(len(employer_ids), None)
    early: list[asyncio.Future[list[PlanYear]]] = []

    async def products_then_plan_years() -> list[BenefitProduct]:
        products = await client.list_benefit_products()
        if products_filter is not None:
            products = [p for p in products if products_filter(p)]
        try:
            refs = resolve_product_refs(desired.plan_years, products)
        except UserError:
            return products  # reported below, once the employers are read (as before)
        if known:
            plan_years = _read_plan_years(client, desired, refs, guess)
            early.append(asyncio.ensure_future(plan_years))
        return products

    try:
        products, (names, missing, total_employers) = await _both(
            products_then_plan_years(), _read_employers(client, employer_ids)
        )
        refs = resolve_product_refs(desired.plan_years, products)
        if missing:
            raise _unknown_employers_error(missing, _first_locations(desired.plan_years))
        strategy = choose_strategy(len(employer_ids), total_employers)
        if early and strategy == guess:
            live_items = await early.pop()
        else:
            live_items = await _read_plan_years(client, desired, refs, strategy)
    finally:
        for task in early:
            task.cancel()
        await asyncio.gather(*early, return_exceptions=True)
    return LiveState.from_objects(desired, products, live_items, names, strategy)


async def _read_plan_years(
    client: VitableApi, desired: DesiredState, refs: dict[str, str], strategy: ReadStrategy
) -> list[PlanYear]:
    """The live plan years of the managed pairs, read with ``strategy``."""
    calls: list[Callable[[], Awaitable[list[PlanYear]]]]
    if strategy == "per-employer":
        calls = [
            partial(
                client.list_plan_years, pid, employer_id=eid, limit=PAGE_LIMIT, concurrent_pages=1
            )
            for eid, pid in sorted(managed_pairs(desired.plan_years, refs))
        ]
    else:
        expected = Counter(refs[py.benefit_product] for py in desired.plan_years)
        # The longest lists first: they hold the most pages, so they start first.
        calls = [
            partial(
                client.list_plan_years,
                pid,
                limit=PAGE_LIMIT,
                concurrent_pages=page_window(expected[pid]),
            )
            for pid in sorted(expected, key=lambda pid: (-expected[pid], pid))
        ]
    live_items: list[PlanYear] = []
    for items in await _run_all(calls):
        live_items.extend(items)
    return live_items
