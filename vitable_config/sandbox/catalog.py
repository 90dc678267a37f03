"""Benefit products, employers and eligibility policies in the database."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from vitable_config.api.models import EligibilityPolicyCreate, EmployerCreate
from vitable_config.sandbox.errors import SandboxError, not_found, utc_now, validation_failed
from vitable_config.sandbox.ids import new_id
from vitable_config.sandbox.store import Store

_EIN = re.compile(r"^\d{2}-?\d{7}$")


def mask_ein(ein: str | None) -> str | None:
    """The API shows only the last four digits: ``**-***6789``."""
    if not ein:
        return None
    digits = ein.replace("-", "")
    return f"**-***{digits[-4:]}"


def product_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "active": bool(row["active"]),
        "category": row["category"],
        "created_at": row["created_at"],
        "name": row["name"],
        "product_code": row["product_code"],
        "updated_at": row["updated_at"],
        "carrier_name": row["carrier_name"],
        "description": row["description"],
    }


def employer_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "active": bool(row["active"]),
        "name": row["name"],
        "legal_name": row["legal_name"],
        "organization_id": row["organization_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "address": json.loads(row["address_json"]) if row["address_json"] else None,
        "ein": mask_ein(row["ein"]),
        "eligibility_policy_id": row["eligibility_policy_id"],
    }


def policy_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "employer_id": row["employer_id"],
        "name": row["name"],
        "effective_date": row["effective_date"],
        "rules": json.loads(row["rules_json"]),
        "active": bool(row["active"]),
        "description": row["description"],
        "replaced_policy_id": row["replaced_policy_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _product_filter(
    active_in: bool | None, category: str | None, product_code: str | None
) -> tuple[str, list[Any]]:
    where: list[str] = ["1=1"]
    params: list[Any] = []
    if active_in is not None:
        where.append("active = ?")
        params.append(int(active_in))
    if category is not None:
        where.append("category = ?")
        params.append(category)
    if product_code is not None:
        where.append("product_code = ?")
        params.append(product_code)
    return " AND ".join(where), params


def _employer_filter(active_in: bool | None, name: str | None) -> tuple[str, list[Any]]:
    where: list[str] = ["1=1"]
    params: list[Any] = []
    if active_in is not None:
        where.append("active = ?")
        params.append(int(active_in))
    if name:
        where.append("(name LIKE ? ESCAPE '\\' OR legal_name LIKE ? ESCAPE '\\')")
        pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        params += [pattern, pattern]
    return " AND ".join(where), params


def _page(sql: str, page: int, limit: int) -> str:
    return f"{sql} ORDER BY rowid LIMIT {int(limit)} OFFSET {(int(page) - 1) * int(limit)}"


class CatalogRepo:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- benefit products -------------------------------------------------------

    def list_products(
        self,
        *,
        active_in: bool | None,
        category: str | None,
        product_code: str | None,
        page: int,
        limit: int,
    ) -> list[dict[str, Any]]:
        where, params = _product_filter(active_in, category, product_code)
        sql = _page(f"SELECT * FROM benefit_products WHERE {where}", page, limit)
        with self.store.read() as conn:
            return [product_dict(r) for r in conn.execute(sql, params)]

    def count_products(
        self, *, active_in: bool | None, category: str | None, product_code: str | None
    ) -> int:
        where, params = _product_filter(active_in, category, product_code)
        with self.store.read() as conn:
            sql = f"SELECT count(*) FROM benefit_products WHERE {where}"
            return int(conn.execute(sql, params).fetchone()[0])

    def require_product(self, product_id: str) -> None:
        with self.store.read() as conn:
            if not conn.execute(
                "SELECT 1 FROM benefit_products WHERE id = ?", (product_id,)
            ).fetchone():
                raise not_found("benefit product", product_id)

    # --- employers --------------------------------------------------------------

    def list_employers(
        self, *, active_in: bool | None, name: str | None, page: int, limit: int
    ) -> list[dict[str, Any]]:
        where, params = _employer_filter(active_in, name)
        sql = _page(f"SELECT * FROM employers WHERE {where}", page, limit)
        with self.store.read() as conn:
            return [employer_dict(r) for r in conn.execute(sql, params)]

    def count_employers(self, *, active_in: bool | None, name: str | None) -> int:
        where, params = _employer_filter(active_in, name)
        with self.store.read() as conn:
            sql = f"SELECT count(*) FROM employers WHERE {where}"
            return int(conn.execute(sql, params).fetchone()[0])

    def employer_emails(self, employer_ids: list[str]) -> dict[str, str]:
        """The contact email of these employers (dialect 2026-02), where one is known."""
        if not employer_ids:
            return {}
        marks = ",".join("?" * len(employer_ids))
        with self.store.read() as conn:
            rows = conn.execute(
                f"SELECT employer_id, email FROM employer_emails WHERE employer_id IN ({marks})",
                employer_ids,
            ).fetchall()
        return {row["employer_id"]: row["email"] for row in rows}

    def get_employer(self, employer_id: str) -> dict[str, Any]:
        with self.store.read() as conn:
            row = conn.execute("SELECT * FROM employers WHERE id = ?", (employer_id,)).fetchone()
        if row is None:
            raise not_found("employer", employer_id)
        return employer_dict(row)

    def create_employer(self, body: EmployerCreate, *, email: str | None = None) -> dict[str, Any]:
        if not _EIN.match(body.ein.strip()):
            raise validation_failed(
                [f"ein: must be 9 digits written as XX-XXXXXXX (e.g. 12-3456789), got {body.ein!r}"]
            )
        employer_id = new_id("empr")
        now = utc_now()
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO employers (id, active, name, legal_name, organization_id, ein,"
                " address_json, eligibility_policy_id, created_at, updated_at)"
                " VALUES (?,1,?,?,?,?,?,NULL,?,?)",
                (
                    employer_id,
                    body.name,
                    body.legal_name,
                    new_id("org"),
                    body.ein.strip(),
                    json.dumps(body.address.model_dump(exclude_none=True)),
                    now,
                    now,
                ),
            )
            if email is not None:
                conn.execute(
                    "INSERT INTO employer_emails (employer_id, email) VALUES (?,?)",
                    (employer_id, email),
                )
            row = conn.execute("SELECT * FROM employers WHERE id = ?", (employer_id,)).fetchone()
        return employer_dict(row)

    def update_employer(
        self,
        employer_id: str,
        *,
        active: bool | None = None,
        name: str | None = None,
        legal_name: str | None = None,
        address: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Change the given fields (``None``: keep); ``address`` replaces the whole address."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT * FROM employers WHERE id = ?", (employer_id,)).fetchone()
            if row is None:
                raise not_found("employer", employer_id)
            conn.execute(
                "UPDATE employers SET active = ?, name = ?, legal_name = ?, address_json = ?,"
                " updated_at = ? WHERE id = ?",
                (
                    int(active) if active is not None else row["active"],
                    name if name is not None else row["name"],
                    legal_name if legal_name is not None else row["legal_name"],
                    json.dumps(address) if address is not None else row["address_json"],
                    utc_now(),
                    employer_id,
                ),
            )
            row = conn.execute("SELECT * FROM employers WHERE id = ?", (employer_id,)).fetchone()
        return employer_dict(row)

    # --- eligibility policies ---------------------------------------------------

    def create_policy(self, employer_id: str, body: EligibilityPolicyCreate) -> dict[str, Any]:
        policy_id = new_id("epol")
        now = utc_now()
        with self.store.transaction() as conn:
            if not conn.execute("SELECT 1 FROM employers WHERE id = ?", (employer_id,)).fetchone():
                raise not_found("employer", employer_id)
            replaced = body.policy_to_replace_id
            if replaced is not None:
                old = conn.execute(
                    "SELECT * FROM eligibility_policies WHERE id = ?", (replaced,)
                ).fetchone()
                if old is None:
                    raise not_found("eligibility policy", replaced)
                if old["employer_id"] != employer_id:
                    raise SandboxError(
                        422,
                        f"policy_to_replace_id: policy {replaced} belongs to employer "
                        f"{old['employer_id']}, not {employer_id}",
                        "validation_error",
                    )
                conn.execute(
                    "UPDATE eligibility_policies SET active = 0, updated_at = ? WHERE id = ?",
                    (now, replaced),
                )
            conn.execute(
                "INSERT INTO eligibility_policies (id, employer_id, name, effective_date,"
                " rules_json, active, description, replaced_policy_id, created_at, updated_at)"
                " VALUES (?,?,?,?,?,1,?,?,?,?)",
                (
                    policy_id,
                    employer_id,
                    body.name,
                    body.effective_date.isoformat(),
                    json.dumps([r.model_dump(mode="json") for r in body.rules]),
                    body.description,
                    replaced,
                    now,
                    now,
                ),
            )
            conn.execute(
                "UPDATE employers SET eligibility_policy_id = ?, updated_at = ? WHERE id = ?",
                (policy_id, now, employer_id),
            )
            row = conn.execute(
                "SELECT * FROM eligibility_policies WHERE id = ?", (policy_id,)
            ).fetchone()
        return policy_dict(row)

    def get_policy(self, policy_id: str) -> dict[str, Any]:
        with self.store.read() as conn:
            row = conn.execute(
                "SELECT * FROM eligibility_policies WHERE id = ?", (policy_id,)
            ).fetchone()
        if row is None:
            raise not_found("eligibility policy", policy_id)
        return policy_dict(row)
