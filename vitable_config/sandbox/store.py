"""The sandbox's SQLite database: schema, connection and transactions.

One connection (``check_same_thread=False``) guarded by a lock: the server's
event loop and a test thread (``list_all_plan_years``) may both use it. File
databases use WAL; every write is one ``BEGIN IMMEDIATE`` transaction, so a crash
of the sandbox never leaves half a plan year behind. They are not synced to the disk
(``synchronous=OFF``): a killed sandbox loses nothing it committed, the operating
system has it, and only a crash of the machine itself may lose the newest writes.
Syncing at each WAL checkpoint stopped the server's event loop, all requests in
flight with it, for as long as the disk took (the sandbox is a test double: its state
is worth less than its answers arriving on time).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS benefit_products (
    id TEXT PRIMARY KEY, active INTEGER NOT NULL, category TEXT NOT NULL,
    name TEXT NOT NULL, product_code TEXT NOT NULL, carrier_name TEXT, description TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS carrier_plans (
    id TEXT PRIMARY KEY,
    benefit_product_id TEXT NOT NULL REFERENCES benefit_products(id),
    position INTEGER NOT NULL, name TEXT NOT NULL, monthly_premium_cents INTEGER NOT NULL,
    deductible_cents INTEGER, out_of_pocket_max_cents INTEGER, tier TEXT, description TEXT
);
CREATE TABLE IF NOT EXISTS employers (
    id TEXT PRIMARY KEY, active INTEGER NOT NULL, name TEXT NOT NULL,
    legal_name TEXT NOT NULL, organization_id TEXT NOT NULL, ein TEXT, address_json TEXT,
    eligibility_policy_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS employer_emails (
    employer_id TEXT PRIMARY KEY REFERENCES employers(id), email TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS eligibility_policies (
    id TEXT PRIMARY KEY, employer_id TEXT NOT NULL REFERENCES employers(id),
    name TEXT NOT NULL, effective_date TEXT NOT NULL, rules_json TEXT NOT NULL,
    active INTEGER NOT NULL, description TEXT, replaced_policy_id TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS plan_years (
    id TEXT PRIMARY KEY,
    benefit_product_id TEXT NOT NULL REFERENCES benefit_products(id),
    employer_id TEXT NOT NULL REFERENCES employers(id),
    coverage_start TEXT NOT NULL, coverage_end TEXT NOT NULL,
    oe_start TEXT NOT NULL, oe_end TEXT NOT NULL,
    status_floor INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS plan_years_by_product
    ON plan_years (benefit_product_id, coverage_start DESC, id);
-- The overlap check of every create and update (employer, product, coverage range):
-- without coverage_start here SQLite searched plan_years_by_product instead, all the
-- product's plan years, so each create cost more the more plan years there were.
DROP INDEX IF EXISTS plan_years_by_employer;
CREATE INDEX IF NOT EXISTS plan_years_by_employer_start
    ON plan_years (employer_id, benefit_product_id, coverage_start);
CREATE TABLE IF NOT EXISTS contribution_classes (
    id TEXT PRIMARY KEY,
    plan_year_id TEXT NOT NULL REFERENCES plan_years(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, employment TEXT NOT NULL, family_status TEXT NOT NULL,
    employee_contribution_cents INTEGER NOT NULL, employer_contribution_cents INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS classes_by_plan_year ON contribution_classes (plan_year_id, position);
CREATE TABLE IF NOT EXISTS plans (
    id TEXT PRIMARY KEY,
    plan_year_id TEXT NOT NULL REFERENCES plan_years(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, carrier_plan_id TEXT NOT NULL, name TEXT NOT NULL,
    monthly_premium_cents INTEGER NOT NULL, deductible_cents INTEGER,
    out_of_pocket_max_cents INTEGER, tier TEXT
);
CREATE INDEX IF NOT EXISTS plans_by_plan_year ON plans (plan_year_id, position);
CREATE TABLE IF NOT EXISTS enrollments (
    id TEXT PRIMARY KEY, employee_id TEXT NOT NULL,
    plan_year_id TEXT NOT NULL REFERENCES plan_years(id),
    benefit_product_id TEXT NOT NULL, status TEXT NOT NULL, coverage_tier TEXT,
    decision TEXT, employee_contribution_cents INTEGER, employer_contribution_cents INTEGER,
    coverage_start_date TEXT, coverage_end_date TEXT, selected_plan_id TEXT,
    selected_plan_name TEXT, dependents_json TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS enrollments_by_employee ON enrollments (employee_id);
"""

_TABLES = (
    "enrollments",
    "plans",
    "contribution_classes",
    "plan_years",
    "eligibility_policies",
    "employer_emails",
    "employers",
    "carrier_plans",
    "benefit_products",
)


class Store:
    """The database connection, its lock and a committed-writes counter."""

    def __init__(self, path: Path | str | None) -> None:
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        target = str(self.path) if self.path is not None else ":memory:"
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._writes = 0
        self._depth = 0
        with self._lock:
            if self.path is not None:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=OFF")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(SCHEMA)

    @property
    def write_count(self) -> int:
        """POST/PUT writes committed since this store was opened."""
        return self._writes

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    @contextmanager
    def transaction(self, *, count_as_write: bool = True) -> Iterator[sqlite3.Connection]:
        """One atomic write: committed when the block ends, rolled back on error.

        A nested call joins the enclosing transaction (used by the seed loader).
        """
        with self._lock:
            if self._depth:  # nested: part of the enclosing transaction
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0
            self._conn.execute("COMMIT")
            if count_as_write:
                self._writes += 1

    def is_empty(self) -> bool:
        with self.read() as conn:
            for table in ("benefit_products", "employers", "plan_years"):
                if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
                    return False
        return True

    def clear(self) -> None:
        """Delete every row (used by the admin reset)."""
        with self.transaction(count_as_write=False) as conn:
            for table in _TABLES:
                conn.execute(f"DELETE FROM {table}")
        self._writes = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()
