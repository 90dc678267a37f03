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
from datetime import date, datetime
from functools import partial
from types import UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter

from vitable_config.api.errors import NotFoundError
from vitable_config.api.models import (
    BenefitProduct,
    CarrierPlan,
    ContributionClass,
    Employer,
    PlanYear,
)
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
    ones included), so apply can tell whether it changed since the plan.

    The canonical JSON is ``json.dumps(plan_year.model_dump(mode="json"),
    sort_keys=True, separators=(",", ":"), default=str)`` (saved plans carry these
    fingerprints, so it never changes). A plan year as read (exact model types, no
    extra fields, every value of its field's type) is written straight to that text
    by :func:`_canonical_json`; anything else takes the formula itself."""
    try:
        payload = _canonical_json(plan_year)
    except Exception:  # any other object: the formula decides (and raises) as always
        payload = json.dumps(
            plan_year.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), default=str
        )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class _Unusual(Exception):
    """Not a plan year as read: the canonical JSON is left to the formula."""


def _field_kind(annotation: Any, writers: dict[type[BaseModel], str]) -> tuple[str, Any] | None:
    """How the fast path writes a field of this annotation (None: it does not)."""
    origin = get_origin(annotation)
    if annotation in (str, int, date, datetime):
        return annotation.__name__, None
    if origin is Literal and all(type(value) is str for value in get_args(annotation)):
        return "literal", frozenset(get_args(annotation))
    if origin is list and get_args(annotation)[0] in writers:
        return "list", writers[get_args(annotation)[0]]
    if origin in (Union, UnionType) and type(None) in get_args(annotation):
        rest = [arg for arg in get_args(annotation) if arg is not type(None)]
        inner = _field_kind(rest[0], writers) if len(rest) == 1 else None
        if inner is not None and inner[0] in ("str", "int", "literal"):
            return f"optional {inner[0]}", inner[1]
    return None


# Model settings that do not change what model_dump(mode="json") writes for fields.
_PLAIN_CONFIG = {"extra", "frozen", "strict", "defer_build"}


def _compile_canonical_json() -> Callable[[Any], str]:
    """``plan_year -> its canonical JSON`` for plan years as read, compiled once from
    the models' fields (as normalize compiles its readers): the keys sorted, each value
    written as ``json.dumps`` writes what ``model_dump(mode="json")`` gives for it
    (strings ASCII-escaped by the json module's own function, integers in decimal,
    dates ISO, timestamps by pydantic's own serializer). Raises for anything else: a
    subclass, an extra field, a value not of its field's type, a missing field, a model
    or field setting that could change the dump (then no model is compiled at all)."""
    namespace: dict[str, Any] = {
        "_Unusual": _Unusual,
        "esc": json.encoder.encode_basestring_ascii,
        "stamp": partial(TypeAdapter(datetime).serializer.to_python, mode="json"),
        "date": date,
        "datetime": datetime,
    }
    writers: dict[type[BaseModel], str] = {}
    sources: list[str] = []
    for model in (ContributionClass, CarrierPlan, PlanYear):
        name = f"write_{model.__name__}"
        decorators = model.__pydantic_decorators__
        if (
            set(model.model_config) - _PLAIN_CONFIG
            or model.model_computed_fields
            or decorators.field_serializers
            or decorators.model_serializers
        ):
            return _always_unusual
        namespace[model.__name__] = model
        lines = [
            f"def {name}(obj):",
            f"    if type(obj) is not {model.__name__} or obj.__pydantic_extra__:",
            "        raise _Unusual",
            "    d = obj.__dict__",
            f"    if len(d) != {len(model.model_fields)}:",
            "        raise _Unusual",
        ]
        template: list[str] = []  # '"name":%s' of each field
        pieces: list[str] = []  # what fills each %s
        for index, field_name in enumerate(sorted(model.model_fields)):
            info = model.model_fields[field_name]
            kind = _field_kind(info.annotation, writers)
            if kind is None or info.exclude or info.serialization_alias or info.alias:
                return _always_unusual
            what, extra = kind
            value = f"v{index}"
            lines.append(f"    {value} = d[{field_name!r}]")
            allowed = f"allowed_{model.__name__}_{index}"
            if extra is not None and what != "list":
                namespace[allowed] = extra  # the values of a Literal
            fill = "%s"
            if what == "str":
                lines.append(f"    if type({value}) is not str: raise _Unusual")
                piece = f"esc({value})"
            elif what == "int":
                lines.append(f"    if type({value}) is not int: raise _Unusual")
                piece, fill = value, "%d"  # = int.__repr__ (what json writes)
            elif what == "literal":
                lines.append(
                    f"    if type({value}) is not str or {value} not in {allowed}: raise _Unusual"
                )
                piece = f"esc({value})"
            elif what == "date":
                lines.append(f"    if type({value}) is not date: raise _Unusual")
                piece, fill = f"{value}.isoformat()", '"%s"'  # digits and '-' only
            elif what == "datetime":
                lines.append(f"    if type({value}) is not datetime: raise _Unusual")
                piece = f"esc(stamp({value}))"
            elif what == "list":
                lines.append(f"    if type({value}) is not list: raise _Unusual")
                piece, fill = f"','.join([{extra}(x) for x in {value}])", "[%s]"
            else:  # optional str / int / literal
                inner = what.removeprefix("optional ")
                check = {
                    "str": f"type({value}) is not str",
                    "int": f"type({value}) is not int",
                    "literal": f"(type({value}) is not str or {value} not in {allowed})",
                }[inner]
                lines.append(f"    if {value} is not None and {check}: raise _Unusual")
                written = f"int.__repr__({value})" if inner == "int" else f"esc({value})"
                piece = f"('null' if {value} is None else {written})"
            template.append(f"{json.dumps(field_name)}:{fill}")
            pieces.append(piece)
        text = "{" + ",".join(template) + "}"
        lines.append(f"    return {text!r} % ({', '.join(pieces)},)")
        sources.append("\n".join(lines))
        writers[model] = name
    exec("\n\n".join(sources), namespace)
    compiled: Callable[[Any], str] = namespace[writers[PlanYear]]
    return compiled


def _always_unusual(obj: Any) -> str:
    raise _Unusual


_canonical_json = _compile_canonical_json()


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
