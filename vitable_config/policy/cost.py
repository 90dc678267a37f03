"""The headcount file and the cost impact of a plan.

A headcount file is a CSV telling the tool how many people are enrolled in each
contribution class (what the config cannot know, like Infracost's usage file)::

    employer,benefit_product,employment,tier,count
    *,MEC,full_time,EE,10          # every employer: 10 employee-only enrollees
    empr_r00*,MEC,full_time,EF,4   # globs allowed for employer and benefit_product
    empr_r003,MEC,full_time,EE,25  # the most specific row wins

For each class the most specific matching row counts: an exact employer beats an
employer glob, then an exact product beats a product glob; among rows equally
specific, the last in the file wins. Two rows with the same employer, product,
employment and tier are an error. Classes no row matches
count zero (and are counted in the report). Totals are headcount x monthly cents.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from vitable_config.config.yaml_loader import MAX_CSV_BYTES, read_text
from vitable_config.domain import fields as F
from vitable_config.domain.vocabulary import COVERAGE_TIERS
from vitable_config.engine.model import Plan, PlanYearChange
from vitable_config.errors import Problem, SourceLocation, UserError
from vitable_config.policy.model import CostLine, CostReport, Totals

COLUMNS: tuple[str, ...] = ("employer", "benefit_product", "employment", "tier", "count")
MAX_COUNT = 10_000_000
_GLOB = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class HeadcountRow:
    employer: str
    product: str
    employment: str
    tier: str
    count: int
    location: SourceLocation

    @property
    def specificity(self) -> tuple[int, int]:
        return (int(not _GLOB & set(self.employer)), int(not _GLOB & set(self.product)))


class Headcount:
    """The rows of a headcount file, indexed for lookups by class."""

    def __init__(self, display: str, rows: list[HeadcountRow]) -> None:
        self.display = display
        self.rows = rows
        # By (employment, tier): rows of an exact employer by employer id, and the
        # employer-glob rows; exact products before product globs in each.
        self._exact: dict[tuple[str, str], dict[str, list[HeadcountRow]]] = {}
        self._globs: dict[tuple[str, str], list[HeadcountRow]] = {}
        for row in rows:
            key = (row.employment, row.tier)
            if row.specificity[0]:
                self._exact.setdefault(key, {}).setdefault(row.employer, []).append(row)
            else:
                self._globs.setdefault(key, []).append(row)
        for group in [*self._globs.values()] + [
            r for by_employer in self._exact.values() for r in by_employer.values()
        ]:
            group.sort(key=lambda r: (r.specificity, r.location.line), reverse=True)
        self._cache: dict[tuple[str, str, str], dict[Any, int | None]] = {}

    def counts(self, employer: str, product_code: str, product_id: str) -> dict[Any, int | None]:
        """A lazy (employment, tier) -> enrollees map for one employer and product
        (None where no row matches); one per employer and product, cached."""
        key = (employer, product_code, product_id)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = _Counts(self, employer, product_code, product_id)
        return cached

    def count(
        self, employer: str, product_code: str, product_id: str, employment: str, tier: str
    ) -> int | None:
        """Enrollees of one class (None when no row matches): the most specific row."""
        key = (employment, tier)
        exact: list[HeadcountRow] = self._exact.get(key, {}).get(employer, [])
        row: HeadcountRow
        for row in (*exact, *self._globs.get(key, ())):
            if (row.employer == employer or fnmatchcase(employer, row.employer)) and (
                fnmatchcase(product_code, row.product) or fnmatchcase(product_id, row.product)
            ):
                return row.count
        return None


class _Counts(dict[Any, "int | None"]):
    def __init__(self, headcount: Headcount, employer: str, code: str, pid: str) -> None:
        super().__init__()
        self._args = (headcount, employer, code, pid)

    def __missing__(self, key: tuple[str, str]) -> int | None:
        headcount, employer, code, pid = self._args
        value = self[key] = headcount.count(employer, code, pid, key[0], key[1])
        return value


def read_headcount(path: str | Path) -> Headcount:
    """Parse a headcount CSV; every problem names file:line:column (UserError)."""
    display = str(path)
    text = read_text(Path(path), display, MAX_CSV_BYTES)
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[HeadcountRow] = []
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise UserError.from_problems(
            [Problem("headcount file is empty", SourceLocation(display, 1))]
        ) from None
    except csv.Error as exc:
        raise UserError.from_problems(
            [Problem(f"invalid CSV: {exc}", SourceLocation(display, 1))]
        ) from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise UserError.from_problems(
            [
                Problem(
                    f"headcount file has no {', '.join(missing)} column"
                    f"{'s' if len(missing) > 1 else ''}",
                    SourceLocation(display, 1),
                    hint=f"the header must be: {','.join(COLUMNS)}",
                )
            ]
        )
    index = {c: header.index(c) for c in COLUMNS}
    seen: dict[tuple[str, str, str, str], SourceLocation] = {}
    tiers = set(COVERAGE_TIERS)
    try:
        for cells in reader:
            line = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                problems.append(
                    Problem(
                        f"expected {len(header)} cells, found {len(cells)}",
                        SourceLocation(display, line),
                    )
                )
                continue
            value = {c: cells[i].strip() for c, i in index.items()}
            ok = True
            for c in ("employer", "benefit_product", "employment"):
                if not value[c]:
                    problems.append(
                        Problem(f"empty {c}", SourceLocation(display, line, index[c] + 1))
                    )
                    ok = False
            if value["tier"] not in tiers:
                problems.append(
                    Problem(
                        f"tier {value['tier']!r} is not one of {', '.join(COVERAGE_TIERS)}",
                        SourceLocation(display, line, index["tier"] + 1),
                    )
                )
                ok = False
            raw = value["count"]
            if not raw.isdigit() or int(raw) > MAX_COUNT:
                problems.append(
                    Problem(
                        f"count {raw!r} is not a whole number from 0 to {MAX_COUNT:,}",
                        SourceLocation(display, line, index["count"] + 1),
                    )
                )
                ok = False
            if not ok:
                continue
            where = SourceLocation(display, line)
            key = (value["employer"], value["benefit_product"], value["employment"], value["tier"])
            if key in seen:
                problems.append(
                    Problem(
                        f"duplicate row for {'/'.join(key)} (also at {seen[key]})",
                        where,
                        hint="keep one row per employer, product, employment and tier",
                    )
                )
                continue
            seen[key] = where
            rows.append(HeadcountRow(*key, count=int(raw), location=where))
    except csv.Error as exc:
        problems.append(Problem(f"invalid CSV: {exc}", SourceLocation(display, reader.line_num)))
    if problems:
        raise UserError.from_problems(problems)
    return Headcount(display, rows)


def _totals(
    normalized: dict[str, object] | None,
    headcount: Headcount,
    employer: str,
    product_code: str,
    product_id: str,
    unmatched: list[int],
) -> Totals:
    if not normalized:
        return Totals()
    classes = normalized.get(F.CLASSES) or {}
    employee = employer_total = 0
    assert isinstance(classes, dict)
    counts = headcount.counts(employer, product_code, product_id)
    for employment, tiers in classes.items():
        for tier, amounts in tiers.items():
            n = counts[(employment, tier)]
            if n is None:
                unmatched[0] += 1
                continue
            employee += n * amounts[F.EMPLOYEE_CENTS.name]
            employer_total += n * amounts[F.EMPLOYER_CENTS.name]
    return Totals(employee, employer_total)


def cost_report(plan: Plan, headcount: Headcount) -> CostReport:
    """Monthly totals before -> after per changed plan year, per employer and overall.

    Managed plan years count (create, update, unchanged, blocked); creates start
    from zero; a blocked plan year keeps its live totals in the overall and
    per-employer figures, and what it would cost is summed in ``blocked``.
    """
    unmatched = [0]
    plan_years: list[CostLine] = []
    employers: dict[str, tuple[Totals, Totals]] = {}
    changed_employers: set[str] = set()
    overall_before = overall_after = Totals()
    blocked_before = blocked_after = Totals()
    any_blocked = False
    for change in plan.changes:
        if change.action == "unmanaged":
            continue
        line = _line(change, headcount, unmatched)
        before, after = line.before, line.after
        if change.action == "blocked":
            any_blocked = True
            blocked_before, blocked_after = blocked_before + before, blocked_after + after
            after = before  # cannot be applied: live stays as it is
        if change.action in ("create", "update", "blocked"):
            plan_years.append(line)
            changed_employers.add(change.key.employer_id)
        eb, ea = employers.get(change.key.employer_id, (Totals(), Totals()))
        employers[change.key.employer_id] = (eb + before, ea + after)
        overall_before, overall_after = overall_before + before, overall_after + after
    return CostReport(
        headcount_file=headcount.display,
        overall=CostLine(overall_before, overall_after),
        employers=[
            CostLine(b, a, employer_id=e)
            for e, (b, a) in sorted(employers.items())
            if e in changed_employers
        ],
        plan_years=plan_years,
        blocked=CostLine(blocked_before, blocked_after) if any_blocked else None,
        unmatched_classes=unmatched[0],
    )


def _line(change: PlanYearChange, headcount: Headcount, unmatched: list[int]) -> CostLine:
    employer = change.key.employer_id
    code = change.product_code or change.key.benefit_product
    pid = change.key.benefit_product
    after = _totals(change.after, headcount, employer, code, pid, unmatched)
    if change.before is change.after:
        before = after  # unchanged: one shared dict
    else:
        before = _totals(change.before, headcount, employer, code, pid, [0])
    return CostLine(
        before, after, key=change.key, product_code=code, employer_id=employer,
        action=change.action,
    )  # fmt: skip
