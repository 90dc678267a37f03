"""Checks over the built plan years that only the whole config can answer offline.

A benefit product can be written as a product code (``MEC``) or as a product id
(``bprd_mec``). Offline, ``validate`` cannot know which id a code stands for, so
an employer whose plan years use both spellings might be describing the *same*
product twice (two creates, both made). :func:`check_product_identity` refuses
the mix for each employer, naming one plan year of each spelling and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable

from vitable_config.desired import DesiredPlanYear
from vitable_config.domain.vocabulary import PRODUCT_CODES
from vitable_config.errors import Problem, SourceLocation


def _where(py: DesiredPlanYear) -> SourceLocation | None:
    source = py.provenance.get(("benefit_product",))
    return (source.location if source else None) or py.location


def check_product_identity(plan_years: Iterable[DesiredPlanYear]) -> list[Problem]:
    """One problem per employer whose plan years name products both by code and by
    ``bprd_`` id."""
    by_employer: dict[str, tuple[list[DesiredPlanYear], list[DesiredPlanYear]]] = {}
    for py in plan_years:
        codes, ids = by_employer.setdefault(py.employer_id, ([], []))
        (codes if py.benefit_product in PRODUCT_CODES else ids).append(py)
    problems: list[Problem] = []
    for employer_id, (codes, ids) in by_employer.items():
        if not codes or not ids:
            continue
        code_py = min(codes, key=lambda p: (p.coverage_start, p.benefit_product))
        id_py = min(ids, key=lambda p: (p.coverage_start, p.benefit_product))
        code_names = ", ".join(sorted({p.benefit_product for p in codes}))
        id_names = ", ".join(sorted({p.benefit_product for p in ids}))
        problems.append(
            Problem(
                f"employer {employer_id} names benefit products both by code ({code_names}; "
                f"{code_py.benefit_product} {code_py.coverage_start} at {_where(code_py)}) "
                f"and by id ({id_names}; {id_py.benefit_product} {id_py.coverage_start} "
                f"at {_where(id_py)}); offline, a code and an id may be the same product, "
                "which would be created twice",
                _where(id_py),
                f"employer {employer_id}",
                "write every benefit_product of this employer the same way: all product "
                f"codes (e.g. {code_py.benefit_product}) or all bprd_ ids (e.g. "
                f"{id_py.benefit_product})",
            )
        )
    return problems
