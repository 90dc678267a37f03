"""Scoping a run to part of an estate: employer/product globs and CI shards.

``--employer`` and ``--product`` take shell-style globs (:mod:`fnmatch`,
case-sensitive); a product glob matches either the product code (``MEC``) or the
``bprd_`` id. ``--shard K/N`` (1-based) assigns each employer to exactly one of N
shards by a stable hash (SHA-256 of the employer id, never Python's salted
``hash``), so N CI jobs split an estate deterministically and without overlap.

A scope restricts everything a run touches: which desired plan years are
planned, which live plan years are read and reported as unmanaged, and which
employers are exported.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from vitable_config.desired import DesiredState
from vitable_config.errors import Problem, UserError


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``"K/N"`` (1 ≤ K ≤ N) into ``(K, N)``; raise :class:`UserError` otherwise."""
    parts = text.strip().split("/")
    try:
        if len(parts) != 2:
            raise ValueError
        k, n = int(parts[0]), int(parts[1])
    except ValueError:
        raise UserError(
            f"invalid --shard {text!r}: expected K/N with whole numbers, e.g. --shard 2/4"
        ) from None
    if n < 1 or not 1 <= k <= n:
        raise UserError(f"invalid --shard {text!r}: K must be between 1 and N (e.g. 1/4 … 4/4)")
    return k, n


def shard_of(employer_id: str, shards: int) -> int:
    """The 1-based shard (of ``shards``) that owns ``employer_id``; stable across runs."""
    digest = hashlib.sha256(employer_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards + 1


@dataclass(frozen=True, slots=True)
class Scope:
    """Which part of the estate a run covers. The empty scope covers everything."""

    employers: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    shard: tuple[int, int] | None = None  # (K, N), 1-based

    def __post_init__(self) -> None:
        # Accept any iterable (lists from click) but store tuples: the scope is a value.
        object.__setattr__(self, "employers", tuple(self.employers))
        object.__setattr__(self, "products", tuple(self.products))
        if self.shard is not None:
            k, n = self.shard
            if n < 1 or not 1 <= k <= n:
                raise UserError(f"invalid shard {k}/{n}: K must be between 1 and N")
            object.__setattr__(self, "shard", (int(k), int(n)))

    @property
    def is_everything(self) -> bool:
        return not self.employers and not self.products and self.shard is None

    def includes_employer(self, employer_id: str) -> bool:
        if self.employers and not any(fnmatchcase(employer_id, g) for g in self.employers):
            return False
        if self.shard is not None:
            k, n = self.shard
            return shard_of(employer_id, n) == k
        return True

    def includes_product(self, *names: str | None) -> bool:
        """True if any of ``names`` (product code, ``bprd_`` id) matches a product glob."""
        if not self.products:
            return True
        return any(fnmatchcase(name, g) for name in names if name for g in self.products)

    def as_dict(self) -> dict[str, Any]:
        """For the plan's record (``Plan.scope``); empty when the scope is everything."""
        out: dict[str, Any] = {}
        if self.employers:
            out["employers"] = list(self.employers)
        if self.products:
            out["products"] = list(self.products)
        if self.shard is not None:
            out["shard"] = f"{self.shard[0]}/{self.shard[1]}"
        return out


def filter_desired(
    state: DesiredState, scope: Scope, product_codes: dict[str, str] | None = None
) -> DesiredState:
    """Keep the desired plan years inside ``scope``.

    ``product_codes`` maps ``bprd_`` ids to codes and codes to ids (from the
    benefit-products list) so a product glob matches whichever form the config
    did not use; without it only the written form is matched.
    """
    if scope.is_everything:
        return state
    codes = product_codes or {}
    _check_globs_match(state, scope, codes)
    kept = [
        py
        for py in state.plan_years
        if scope.includes_employer(py.employer_id)
        and scope.includes_product(py.benefit_product, codes.get(py.benefit_product))
    ]
    if not kept and (scope.employers or scope.products) and scope.shard is None:
        raise UserError(
            f"the scope {_flags(scope)} matches no plan year of the configuration "
            "(each glob matches something, but not together)",
            [],
        )
    return DesiredState(plan_years=kept, files=list(state.files))


def _flags(scope: Scope) -> str:
    parts = [f"--employer {g!r}" for g in scope.employers]
    parts += [f"--product {g!r}" for g in scope.products]
    return " ".join(parts)


def _check_globs_match(state: DesiredState, scope: Scope, codes: dict[str, str]) -> None:
    """Every --employer / --product glob must match something in the configuration: a
    typo must not turn into "No changes" (a run that silently checks nothing)."""
    employers = sorted(state.employer_ids)
    products = sorted(
        {
            name
            for py in state.plan_years
            for name in (py.benefit_product, codes.get(py.benefit_product))
            if name
        }
    )
    problems: list[Problem] = []
    for flag, globs, names, what in (
        ("--employer", scope.employers, employers, "employer"),
        ("--product", scope.products, products, "product (code or bprd_ id)"),
    ):
        for glob in globs:
            if not any(fnmatchcase(name, glob) for name in names):
                shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
                problems.append(
                    Problem(
                        f"{flag} {glob!r} matches no {what} in the configuration",
                        hint=f"globs are case-sensitive shell patterns; the configuration has: "
                        f"{shown or 'none'}",
                    )
                )
    if problems:
        raise UserError.from_problems(problems, "the scope matches nothing; nothing was planned")
