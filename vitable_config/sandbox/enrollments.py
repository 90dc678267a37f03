"""Enrollments (seed 000): read, eligible plans, reissue with a QLE, per employee.

Enrollments and employees are not created through the API; they come from the
seed file. An employee id is known when at least one enrollment refers to it.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from vitable_config.api.models import EnrollmentReissue
from vitable_config.sandbox.errors import not_found, utc_now, validation_failed
from vitable_config.sandbox.store import Store

# Monthly premium multiplier per coverage tier, for the eligible-plans costs.
TIER_PREMIUM_FACTOR: dict[str, float] = {
    "Unspecified": 1.0,
    "EE": 1.0,
    "ES": 2.0,
    "EC": 1.8,
    "EF": 2.9,
}


def enrollment_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "benefit_product_id": row["benefit_product_id"],
        "created_at": row["created_at"],
        "employee_id": row["employee_id"],
        "plan_year_id": row["plan_year_id"],
        "status": row["status"],
        "updated_at": row["updated_at"],
        "coverage_end_date": row["coverage_end_date"],
        "coverage_start_date": row["coverage_start_date"],
        "coverage_tier": row["coverage_tier"],
        "decision": row["decision"],
        "employee_contribution_cents": row["employee_contribution_cents"],
        "employer_contribution_cents": row["employer_contribution_cents"],
        "enrolled_dependents": json.loads(row["dependents_json"]) if row["dependents_json"] else [],
        "selected_plan_id": row["selected_plan_id"],
        "selected_plan_name": row["selected_plan_name"],
    }


class EnrollmentRepo:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _row(self, conn: sqlite3.Connection, enrollment_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM enrollments WHERE id = ?", (enrollment_id,)
        ).fetchone()
        if row is None:
            raise not_found("enrollment", enrollment_id)
        found: sqlite3.Row = row
        return found

    def get(self, enrollment_id: str) -> dict[str, Any]:
        with self.store.read() as conn:
            return enrollment_dict(self._row(conn, enrollment_id))

    def eligible_plans(self, enrollment_id: str) -> list[dict[str, Any]]:
        """The plan year's plans, with one cost line per family_status of its classes."""
        with self.store.read() as conn:
            enrollment = self._row(conn, enrollment_id)
            product = conn.execute(
                "SELECT carrier_name FROM benefit_products WHERE id = ?",
                (enrollment["benefit_product_id"],),
            ).fetchone()
            classes = conn.execute(
                "SELECT * FROM contribution_classes WHERE plan_year_id = ? ORDER BY position",
                (enrollment["plan_year_id"],),
            ).fetchall()
            plans = conn.execute(
                "SELECT p.*, cp.description AS description FROM plans p"
                " LEFT JOIN carrier_plans cp ON cp.id = p.carrier_plan_id"
                " WHERE p.plan_year_id = ? ORDER BY p.position",
                (enrollment["plan_year_id"],),
            ).fetchall()
        first_class: dict[str, sqlite3.Row] = {}
        for cls in classes:
            first_class.setdefault(cls["family_status"], cls)
        result = []
        for plan in plans:
            costs = [
                {
                    "coverage_tier": tier,
                    "employee_contribution_cents": cls["employee_contribution_cents"],
                    "employer_contribution_cents": cls["employer_contribution_cents"],
                    "total_monthly_premium_cents": round(
                        plan["monthly_premium_cents"] * TIER_PREMIUM_FACTOR[tier]
                    ),
                }
                for tier, cls in first_class.items()
            ]
            result.append(
                {
                    "id": plan["id"],
                    "name": plan["name"],
                    "costs": costs,
                    "carrier_name": product["carrier_name"] if product else None,
                    "deductible_cents": plan["deductible_cents"],
                    "out_of_pocket_max_cents": plan["out_of_pocket_max_cents"],
                    "description": plan["description"],
                    "tier": plan["tier"],
                }
            )
        return result

    def reissue(self, enrollment_id: str, body: EnrollmentReissue) -> dict[str, Any]:
        """Reopen the election: status ``pending``, no decision or selected plan."""
        if not body.qle_id.startswith("qle_"):
            raise validation_failed(
                [f"qle_id: must be a qualifying life event id (qle_...), got {body.qle_id!r}"]
            )
        with self.store.transaction() as conn:
            self._row(conn, enrollment_id)
            conn.execute(
                "UPDATE enrollments SET status = 'pending', decision = NULL,"
                " selected_plan_id = NULL, selected_plan_name = NULL, updated_at = ?"
                " WHERE id = ?",
                (utc_now(), enrollment_id),
            )
            return enrollment_dict(self._row(conn, enrollment_id))

    def for_employee(
        self,
        employee_id: str,
        *,
        status: str | None,
        plan_year: str | None,
        coverage_effective_start_year: int | None,
        page: int,
        limit: int,
    ) -> list[dict[str, Any]]:
        """``plan_year`` is a plan-year id (``plyr_...``) or a coverage start year."""
        where, params = self._employee_filter(
            employee_id, status, plan_year, coverage_effective_start_year
        )
        sql = (
            "SELECT e.* FROM enrollments e JOIN plan_years py ON py.id = e.plan_year_id"
            f" WHERE {where} ORDER BY e.rowid"
            f" LIMIT {int(limit)} OFFSET {(int(page) - 1) * int(limit)}"
        )
        with self.store.read() as conn:
            self._require_employee(conn, employee_id)
            return [enrollment_dict(r) for r in conn.execute(sql, params)]

    def count_for_employee(
        self,
        employee_id: str,
        *,
        status: str | None,
        plan_year: str | None,
        coverage_effective_start_year: int | None,
    ) -> int:
        """How many enrollments :meth:`for_employee` pages through."""
        where, params = self._employee_filter(
            employee_id, status, plan_year, coverage_effective_start_year
        )
        sql = (
            "SELECT count(*) FROM enrollments e JOIN plan_years py ON py.id = e.plan_year_id"
            f" WHERE {where}"
        )
        with self.store.read() as conn:
            self._require_employee(conn, employee_id)
            return int(conn.execute(sql, params).fetchone()[0])

    @staticmethod
    def _require_employee(conn: sqlite3.Connection, employee_id: str) -> None:
        known = conn.execute(
            "SELECT 1 FROM enrollments WHERE employee_id = ? LIMIT 1", (employee_id,)
        ).fetchone()
        if known is None:
            raise not_found("employee", employee_id)

    @staticmethod
    def _employee_filter(
        employee_id: str,
        status: str | None,
        plan_year: str | None,
        coverage_effective_start_year: int | None,
    ) -> tuple[str, list[Any]]:
        where = ["e.employee_id = ?"]
        params: list[Any] = [employee_id]
        if status is not None:
            where.append("e.status = ?")
            params.append(status)
        if plan_year is not None:
            if plan_year.isdigit():
                where.append("substr(py.coverage_start, 1, 4) = ?")
                params.append(f"{int(plan_year):04d}")
            else:
                where.append("e.plan_year_id = ?")
                params.append(plan_year)
        if coverage_effective_start_year is not None:
            where.append("substr(e.coverage_start_date, 1, 4) = ?")
            params.append(f"{coverage_effective_start_year:04d}")
        return " AND ".join(where), params
