"""Plan years in the database: create, update, read, list (sandbox rules 1–6)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date
from typing import Any

from vitable_config.api.models import (
    PLAN_YEAR_STATUSES,
    ContributionClassInput,
    PlanYearCreate,
    PlanYearUpdate,
)
from vitable_config.sandbox import rules
from vitable_config.sandbox.errors import SandboxError, not_found, utc_now, validation_failed
from vitable_config.sandbox.ids import new_id
from vitable_config.sandbox.store import Store

_STATUS_SQL = (
    "max(py.status_floor, CASE WHEN :today < py.oe_start THEN 0 "
    "WHEN :today <= py.oe_end THEN 1 WHEN :today <= py.coverage_end THEN 2 ELSE 3 END)"
)
_SELECT = "SELECT py.*, " + _STATUS_SQL + " AS status_rank FROM plan_years py"


_CLASS_COLUMNS = (
    "id", "employment", "family_status", "employee_contribution_cents",
    "employer_contribution_cents",
)  # fmt: skip
_PLAN_COLUMNS = (
    "id", "carrier_plan_id", "monthly_premium_cents", "name", "deductible_cents",
    "out_of_pocket_max_cents", "tier",
)  # fmt: skip
# The classes and plans of a page's plan years, read as plain tuples (plan_year_id
# first, then the columns above in that order): a list page holds ~800 classes, and
# sqlite3.Row's lookups by name were most of the time a list page took.
_CLASSES_SQL = (
    "SELECT plan_year_id, " + ", ".join(_CLASS_COLUMNS) + " FROM contribution_classes "
    "WHERE plan_year_id IN ({marks}) ORDER BY plan_year_id, position"
)
_PLANS_SQL = (
    "SELECT plan_year_id, " + ", ".join(_PLAN_COLUMNS) + " FROM plans "
    "WHERE plan_year_id IN ({marks}) ORDER BY plan_year_id, position"
)


# A list page encoded by SQLite itself (``json_object`` per row, rows in the query's
# ORDER BY, joined here): the same bytes ``JSONResponse`` sends for the dicts of
# :func:`_assemble` (tests/sandbox/test_list_json.py), at well under half the CPU of
# building ~900 dicts and encoding them (a list page of 100 plan years took the
# sandbox ~6 ms, one process serving every page of a plan in turn).
assert all(s.isidentifier() for s in PLAN_YEAR_STATUSES)
_STATUS_NAME_SQL = (
    "CASE status_rank "
    + " ".join(f"WHEN {rank} THEN '{name}'" for rank, name in enumerate(PLAN_YEAR_STATUSES))
    + " END"
)
_HEAD_JSON_SQL = (
    "json_object('id', id, 'benefit_product_id', benefit_product_id, 'employer_id', "
    "employer_id, 'coverage_start', coverage_start, 'coverage_end', coverage_end, "
    "'open_enrollment_start_date', oe_start, 'open_enrollment_end_date', oe_end, "
    f"'status', {_STATUS_NAME_SQL}, 'created_at', created_at, 'updated_at', updated_at)"
)


def _row_json_sql(table: str, columns: tuple[str, ...]) -> str:
    pairs = ", ".join(f"'{c}', {c}" for c in columns)
    return (
        f"SELECT plan_year_id, json_object({pairs}) FROM {table} "
        "WHERE plan_year_id IN ({marks}) ORDER BY plan_year_id, position"
    )


_CLASSES_JSON_SQL = _row_json_sql("contribution_classes", _CLASS_COLUMNS)
_PLANS_JSON_SQL = _row_json_sql("plans", _PLAN_COLUMNS)


def _children_json(conn: sqlite3.Connection, sql: str, ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in ids}
    cursor = conn.cursor()
    cursor.row_factory = None  # tuples
    for plan_year_id, text in cursor.execute(sql.format(marks=",".join("?" * len(ids))), ids):
        out[plan_year_id].append(text)
    return out


def _assemble_json(conn: sqlite3.Connection, heads: list[tuple[str, str]]) -> str:
    """``(id, head object)`` rows plus their classes and plans: a JSON array text."""
    if not heads:
        return "[]"
    ids = [plan_year_id for plan_year_id, _ in heads]
    classes = _children_json(conn, _CLASSES_JSON_SQL, ids)
    plans = _children_json(conn, _PLANS_JSON_SQL, ids)
    return (
        "["
        + ",".join(
            f'{head[:-1]},"contribution_classes":[{",".join(classes[i])}],'
            f'"plans":[{",".join(plans[i])}]}}'
            for i, head in heads
        )
        + "]"
    )


def _children(
    conn: sqlite3.Connection, sql: str, columns: tuple[str, ...], ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """plan year id -> its rows of ``sql`` as API dicts (in position order)."""
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    cursor = conn.cursor()
    cursor.row_factory = None  # tuples
    for row in cursor.execute(sql.format(marks=",".join("?" * len(ids))), ids):
        out[row[0]].append(dict(zip(columns, row[1:], strict=True)))
    return out


def _assemble(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[dict[str, Any]]:
    """Plan-year rows plus their classes and plans, as API response dicts."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    classes = _children(conn, _CLASSES_SQL, _CLASS_COLUMNS, ids)
    plans = _children(conn, _PLANS_SQL, _PLAN_COLUMNS, ids)
    return [
        {
            "id": row["id"],
            "benefit_product_id": row["benefit_product_id"],
            "employer_id": row["employer_id"],
            "coverage_start": row["coverage_start"],
            "coverage_end": row["coverage_end"],
            "open_enrollment_start_date": row["oe_start"],
            "open_enrollment_end_date": row["oe_end"],
            "status": PLAN_YEAR_STATUSES[row["status_rank"]],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "contribution_classes": classes[row["id"]],
            "plans": plans[row["id"]],
        }
        for row in rows
    ]


def _insert_classes(
    conn: sqlite3.Connection,
    plan_year_id: str,
    classes: Sequence[ContributionClassInput],
    keep_ids: dict[tuple[str, str], str] | None = None,
) -> None:
    keep_ids = keep_ids or {}
    conn.executemany(
        "INSERT INTO contribution_classes (id, plan_year_id, position, employment, family_status,"
        " employee_contribution_cents, employer_contribution_cents) VALUES (?,?,?,?,?,?,?)",
        [
            (
                keep_ids.get((c.employment, c.family_status)) or new_id("ccls"),
                plan_year_id,
                position,
                c.employment,
                c.family_status,
                c.employee_contribution_cents,
                c.employer_contribution_cents,
            )
            for position, c in enumerate(classes)
        ],
    )


class PlanYearRepo:
    """Plan-year operations; ``today`` is the sandbox clock at call time."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --- reads ---------------------------------------------------------------

    def get(self, plan_year_id: str, today: date) -> dict[str, Any]:
        with self.store.read() as conn:
            row = conn.execute(
                _SELECT + " WHERE py.id = :id", {"id": plan_year_id, "today": today.isoformat()}
            ).fetchone()
            if row is None:
                raise not_found("plan year", plan_year_id)
            return _assemble(conn, [row])[0]

    def list_for_product(
        self,
        product_id: str,
        today: date,
        *,
        employer_id: str | None,
        status: str | None,
        page: int,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Most recent plan year first: ``coverage_start`` descending, then id."""
        sql, params = self._page_query("*", product_id, today, employer_id, status, page, limit)
        with self.store.read() as conn:
            return _assemble(conn, conn.execute(sql, params).fetchall())

    def list_for_product_json(
        self,
        product_id: str,
        today: date,
        *,
        employer_id: str | None,
        status: str | None,
        page: int,
        limit: int,
    ) -> str:
        """:meth:`list_for_product`'s page as the JSON text ``JSONResponse`` would send."""
        sql, params = self._page_query(
            f"id, {_HEAD_JSON_SQL}", product_id, today, employer_id, status, page, limit
        )
        with self.store.read() as conn:
            cursor = conn.cursor()
            cursor.row_factory = None  # tuples
            return _assemble_json(conn, cursor.execute(sql, params).fetchall())

    def _page_query(
        self,
        columns: str,
        product_id: str,
        today: date,
        employer_id: str | None,
        status: str | None,
        page: int,
        limit: int,
    ) -> tuple[str, dict[str, Any]]:
        where, params = self._product_filter(product_id, today, employer_id, status)
        params["limit"] = limit
        params["offset"] = (page - 1) * limit
        sql = (
            f"SELECT {columns} FROM ({_SELECT}) WHERE {where} "
            "ORDER BY coverage_start DESC, id LIMIT :limit OFFSET :offset"
        )
        return sql, params

    def count_for_product(
        self, product_id: str, today: date, *, employer_id: str | None, status: str | None
    ) -> int:
        """How many plan years :meth:`list_for_product` pages through."""
        where, params = self._product_filter(product_id, today, employer_id, status)
        with self.store.read() as conn:
            row = conn.execute(f"SELECT count(*) FROM ({_SELECT}) WHERE {where}", params)
            return int(row.fetchone()[0])

    @staticmethod
    def _product_filter(
        product_id: str, today: date, employer_id: str | None, status: str | None
    ) -> tuple[str, dict[str, Any]]:
        where = ["benefit_product_id = :product"]
        params: dict[str, Any] = {"product": product_id, "today": today.isoformat()}
        if employer_id is not None:
            where.append("employer_id = :employer")
            params["employer"] = employer_id
        if status is not None:
            where.append("status_rank = :rank")
            params["rank"] = rules.STATUS_RANK[status]
        return " AND ".join(where), params

    def list_all(self, today: date) -> list[dict[str, Any]]:
        with self.store.read() as conn:
            rows = conn.execute(
                _SELECT + " ORDER BY py.rowid", {"today": today.isoformat()}
            ).fetchall()
            return _assemble(conn, rows)

    # --- writes --------------------------------------------------------------

    def create(
        self,
        product_id: str,
        body: PlanYearCreate,
        today: date,
        *,
        allow_overlap: bool,
        plan_year_id: str | None = None,
        count_as_write: bool = True,
        tier_field: str = "family_status",
    ) -> dict[str, Any]:
        problems = rules.date_order_problems(
            body.open_enrollment_start,
            body.open_enrollment_end,
            body.coverage_start,
            body.coverage_end,
        )
        problems += rules.class_problems(body.contribution_classes, tier_field=tier_field)
        if problems:
            raise validation_failed(problems)
        new_plan_year_id = plan_year_id or new_id("plyr")
        with self.store.transaction(count_as_write=count_as_write) as conn:
            product = conn.execute(
                "SELECT * FROM benefit_products WHERE id = ?", (product_id,)
            ).fetchone()
            if product is None:
                raise not_found("benefit product", product_id)
            employer = conn.execute(
                "SELECT 1 FROM employers WHERE id = ?", (body.employer_id,)
            ).fetchone()
            if employer is None:
                raise not_found("employer", body.employer_id)
            if not product["active"]:
                raise SandboxError(
                    422,
                    f"benefit_product_id: benefit product {product_id} is inactive and "
                    "accepts no new plan years; use an active product",
                    "product_inactive",
                )
            if not allow_overlap:
                self._check_overlap(conn, product_id, body)
            now = utc_now()
            conn.execute(
                "INSERT INTO plan_years (id, benefit_product_id, employer_id, coverage_start,"
                " coverage_end, oe_start, oe_end, status_floor, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,0,?,?)",
                (
                    new_plan_year_id,
                    product_id,
                    body.employer_id,
                    body.coverage_start.isoformat(),
                    body.coverage_end.isoformat(),
                    body.open_enrollment_start.isoformat(),
                    body.open_enrollment_end.isoformat(),
                    now,
                    now,
                ),
            )
            _insert_classes(conn, new_plan_year_id, body.contribution_classes)
            carrier_plans = conn.execute(
                "SELECT * FROM carrier_plans WHERE benefit_product_id = ? ORDER BY position",
                (product_id,),
            ).fetchall()
            conn.executemany(
                "INSERT INTO plans (id, plan_year_id, position, carrier_plan_id, name,"
                " monthly_premium_cents, deductible_cents, out_of_pocket_max_cents, tier)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        new_id("plan"),
                        new_plan_year_id,
                        position,
                        cp["id"],
                        cp["name"],
                        cp["monthly_premium_cents"],
                        cp["deductible_cents"],
                        cp["out_of_pocket_max_cents"],
                        cp["tier"],
                    )
                    for position, cp in enumerate(carrier_plans)
                ],
            )
            row = conn.execute(
                _SELECT + " WHERE py.id = :id", {"id": new_plan_year_id, "today": today.isoformat()}
            ).fetchone()
            return _assemble(conn, [row])[0]

    @staticmethod
    def _check_overlap(conn: sqlite3.Connection, product_id: str, body: PlanYearCreate) -> None:
        clash = conn.execute(
            "SELECT id, coverage_start, coverage_end FROM plan_years"
            " WHERE employer_id = ? AND benefit_product_id = ?"
            " AND coverage_start <= ? AND ? <= coverage_end ORDER BY coverage_start LIMIT 1",
            (
                body.employer_id,
                product_id,
                body.coverage_end.isoformat(),
                body.coverage_start.isoformat(),
            ),
        ).fetchone()
        if clash is not None:
            raise SandboxError(
                409,
                f"coverage_start: employer {body.employer_id} already has plan year {clash['id']}"
                f" of benefit product {product_id} covering {clash['coverage_start']}.."
                f"{clash['coverage_end']}, which overlaps {body.coverage_start.isoformat()}.."
                f"{body.coverage_end.isoformat()}; update that plan year instead",
                "plan_year_overlap",
            )

    def update(
        self,
        plan_year_id: str,
        body: PlanYearUpdate,
        today: date,
        *,
        tier_field: str = "family_status",
    ) -> dict[str, Any]:
        with self.store.transaction() as conn:
            row = conn.execute(
                _SELECT + " WHERE py.id = :id", {"id": plan_year_id, "today": today.isoformat()}
            ).fetchone()
            if row is None:
                raise not_found("plan year", plan_year_id)
            current_rank = row["status_rank"]
            if current_rank != 0:
                raise SandboxError(
                    409,
                    f"plan year {plan_year_id} is {PLAN_YEAR_STATUSES[current_rank]}; plan years"
                    " can only be edited until open enrollment starts (while draft)",
                    "plan_year_locked",
                )
            oe_start = body.open_enrollment_start or date.fromisoformat(row["oe_start"])
            oe_end = body.open_enrollment_end or date.fromisoformat(row["oe_end"])
            problems = rules.date_order_problems(
                oe_start,
                oe_end,
                date.fromisoformat(row["coverage_start"]),
                date.fromisoformat(row["coverage_end"]),
            )
            if body.contribution_classes is not None:
                problems += rules.class_problems(body.contribution_classes, tier_field=tier_field)
            floor = row["status_floor"]
            if body.status is not None:
                wanted = rules.STATUS_RANK[body.status]
                if wanted < current_rank:
                    problems.append(
                        f"status: can only move forward (from {PLAN_YEAR_STATUSES[current_rank]}),"
                        f" got {body.status!r}"
                    )
                floor = max(floor, wanted)
            if problems:
                raise validation_failed(problems)
            conn.execute(
                "UPDATE plan_years SET oe_start = ?, oe_end = ?, status_floor = ?, updated_at = ?"
                " WHERE id = ?",
                (oe_start.isoformat(), oe_end.isoformat(), floor, utc_now(), plan_year_id),
            )
            if body.contribution_classes is not None:
                keep = {
                    (r["employment"], r["family_status"]): r["id"]
                    for r in conn.execute(
                        "SELECT * FROM contribution_classes WHERE plan_year_id = ?",
                        (plan_year_id,),
                    )
                }
                conn.execute(
                    "DELETE FROM contribution_classes WHERE plan_year_id = ?", (plan_year_id,)
                )
                _insert_classes(conn, plan_year_id, body.contribution_classes, keep)
            row = conn.execute(
                _SELECT + " WHERE py.id = :id", {"id": plan_year_id, "today": today.isoformat()}
            ).fetchone()
            return _assemble(conn, [row])[0]
