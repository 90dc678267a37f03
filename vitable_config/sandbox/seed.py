"""Load a seed file (YAML) into an empty sandbox database.

The format is documented at the top of ``examples/sandbox-seed.yaml``. The whole
seed is loaded in one transaction; a seed with an error loads nothing.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vitable_config.api.models import (
    Address,
    Category,
    ContributionClassInput,
    CoverageTier,
    EnrolledDependent,
    EnrollmentStatus,
    PlanTier,
    PlanYearCreate,
    ProductCode,
)
from vitable_config.errors import Problem, SourceLocation, UserError
from vitable_config.sandbox.errors import SandboxError, describe_validation_error, utc_now
from vitable_config.sandbox.ids import new_id, stable_id
from vitable_config.sandbox.plan_years import PlanYearRepo
from vitable_config.sandbox.store import Store


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeedCarrierPlan(_Strict):
    id: str = Field(pattern=r"^cplan_")
    name: str
    monthly_premium_cents: int = Field(ge=0)
    deductible_cents: int | None = Field(default=None, ge=0)
    out_of_pocket_max_cents: int | None = Field(default=None, ge=0)
    tier: PlanTier | None = None
    description: str | None = None


class SeedProduct(_Strict):
    id: str = Field(pattern=r"^bprd_")
    name: str
    product_code: ProductCode
    category: Category
    active: bool = True
    carrier_name: str | None = None
    description: str | None = None
    carrier_plans: list[SeedCarrierPlan] = Field(default_factory=list)


class SeedEmployer(_Strict):
    id: str = Field(pattern=r"^empr_")
    name: str
    legal_name: str
    ein: str | None = None
    active: bool = True
    organization_id: str | None = None
    address: Address | None = None


class SeedPlanYear(_Strict):
    id: str | None = Field(default=None, pattern=r"^plyr_")
    benefit_product_id: str
    employer_id: str
    coverage_start: date
    coverage_end: date
    open_enrollment_start: date
    open_enrollment_end: date
    contribution_classes: list[ContributionClassInput] = Field(min_length=1)


class SeedEnrollment(_Strict):
    id: str = Field(pattern=r"^enrl_")
    employee_id: str = Field(pattern=r"^empl_")
    plan_year_id: str
    status: EnrollmentStatus
    coverage_tier: CoverageTier | None = None
    decision: str | None = None
    selected_carrier_plan_id: str | None = None
    employee_contribution_cents: int | None = Field(default=None, ge=0)
    employer_contribution_cents: int | None = Field(default=None, ge=0)
    coverage_start_date: date | None = None
    coverage_end_date: date | None = None
    enrolled_dependents: list[EnrolledDependent] = Field(default_factory=list)


class Seed(_Strict):
    benefit_products: list[SeedProduct] = Field(default_factory=list)
    employers: list[SeedEmployer] = Field(default_factory=list)
    plan_years: list[SeedPlanYear] = Field(default_factory=list)
    enrollments: list[SeedEnrollment] = Field(default_factory=list)


_CACHE: dict[tuple[str, int, int], Seed] = {}


def read_seed(path: Path | str) -> Seed:
    """Parse and validate a seed file (cached by path, size and mtime)."""
    seed_path = Path(path)
    try:
        stat = seed_path.stat()
    except OSError as exc:
        raise UserError(f"seed file {seed_path}: cannot be read ({exc.strerror})") from None
    key = (str(seed_path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _CACHE:
        return _CACHE[key]
    try:
        text = seed_path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        location = SourceLocation(str(seed_path), mark.line + 1, mark.column + 1) if mark else None
        raise UserError(
            "seed file is not valid YAML", [Problem(str(exc).splitlines()[0], location)]
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(f"seed file {seed_path}: expected a mapping at the top level")
    try:
        seed = Seed.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                describe_validation_error(e),
                SourceLocation(str(seed_path), *_line_and_column(text, e["loc"])),
            )
            for e in exc.errors()
        ]
        raise UserError.from_problems(problems, f"seed file {seed_path} is invalid") from None
    _CACHE[key] = seed
    return seed


def _line_and_column(text: str, loc: tuple[int | str, ...]) -> tuple[int, int]:
    """Where the value at ``loc`` (a pydantic error location) is written in the YAML
    text: the deepest node on the path that exists (1-based line and column)."""
    node: yaml.Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
    mark = node.start_mark if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == part), None)
            if match is None:
                break
            mark, node = match[0].start_mark, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def load_seed(store: Store, seed: Seed, today: date, source: str = "seed") -> None:
    """Insert a validated seed in one transaction (not counted as API writes)."""
    now = utc_now()
    try:
        with store.transaction(count_as_write=False) as conn:
            for product in seed.benefit_products:
                conn.execute(
                    "INSERT INTO benefit_products (id, active, category, name, product_code,"
                    " carrier_name, description, created_at, updated_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        product.id,
                        int(product.active),
                        product.category,
                        product.name,
                        product.product_code,
                        product.carrier_name,
                        product.description,
                        now,
                        now,
                    ),
                )
                conn.executemany(
                    "INSERT INTO carrier_plans (id, benefit_product_id, position, name,"
                    " monthly_premium_cents, deductible_cents, out_of_pocket_max_cents, tier,"
                    " description) VALUES (?,?,?,?,?,?,?,?,?)",
                    [
                        (
                            cp.id,
                            product.id,
                            position,
                            cp.name,
                            cp.monthly_premium_cents,
                            cp.deductible_cents,
                            cp.out_of_pocket_max_cents,
                            cp.tier,
                            cp.description,
                        )
                        for position, cp in enumerate(product.carrier_plans)
                    ],
                )
            for employer in seed.employers:
                address = (
                    employer.address.model_dump(exclude_none=True) if employer.address else None
                )
                conn.execute(
                    "INSERT INTO employers (id, active, name, legal_name, organization_id, ein,"
                    " address_json, eligibility_policy_id, created_at, updated_at)"
                    " VALUES (?,?,?,?,?,?,?,NULL,?,?)",
                    (
                        employer.id,
                        int(employer.active),
                        employer.name,
                        employer.legal_name,
                        employer.organization_id or stable_id("org", employer.id),
                        employer.ein,
                        json.dumps(address) if address else None,
                        now,
                        now,
                    ),
                )
            repo = PlanYearRepo(store)
            for index, py in enumerate(seed.plan_years):
                body = PlanYearCreate(
                    employer_id=py.employer_id,
                    coverage_start=py.coverage_start,
                    coverage_end=py.coverage_end,
                    open_enrollment_start=py.open_enrollment_start,
                    open_enrollment_end=py.open_enrollment_end,
                    contribution_classes=py.contribution_classes,
                )
                try:
                    repo.create(
                        py.benefit_product_id,
                        body,
                        today,
                        allow_overlap=False,
                        plan_year_id=py.id or new_id("plyr"),
                        count_as_write=False,
                    )
                except SandboxError as exc:
                    raise UserError(f"{source}: plan_years[{index}]: {exc.message}") from None
            for index, enrollment in enumerate(seed.enrollments):
                _insert_enrollment(conn, enrollment, index, source, now)
    except Exception as exc:  # sqlite integrity errors: duplicate or dangling ids
        if isinstance(exc, UserError):
            raise
        raise UserError(f"{source}: cannot be loaded: {exc}") from None


def _insert_enrollment(
    conn: Any, enrollment: SeedEnrollment, index: int, source: str, now: str
) -> None:
    py = conn.execute(
        "SELECT * FROM plan_years WHERE id = ?", (enrollment.plan_year_id,)
    ).fetchone()
    if py is None:
        raise UserError(
            f"{source}: enrollments[{index}].plan_year_id: no plan year "
            f"{enrollment.plan_year_id} in the seed"
        )
    plan_id = plan_name = None
    if enrollment.selected_carrier_plan_id:
        plan = conn.execute(
            "SELECT id, name FROM plans WHERE plan_year_id = ? AND carrier_plan_id = ?",
            (py["id"], enrollment.selected_carrier_plan_id),
        ).fetchone()
        if plan is None:
            raise UserError(
                f"{source}: enrollments[{index}].selected_carrier_plan_id: plan year "
                f"{py['id']} has no plan for {enrollment.selected_carrier_plan_id}"
            )
        plan_id, plan_name = plan["id"], plan["name"]
    start = enrollment.coverage_start_date.isoformat() if enrollment.coverage_start_date else None
    end = enrollment.coverage_end_date.isoformat() if enrollment.coverage_end_date else None
    conn.execute(
        "INSERT INTO enrollments (id, employee_id, plan_year_id, benefit_product_id, status,"
        " coverage_tier, decision, employee_contribution_cents, employer_contribution_cents,"
        " coverage_start_date, coverage_end_date, selected_plan_id, selected_plan_name,"
        " dependents_json, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            enrollment.id,
            enrollment.employee_id,
            py["id"],
            py["benefit_product_id"],
            enrollment.status,
            enrollment.coverage_tier,
            enrollment.decision,
            enrollment.employee_contribution_cents,
            enrollment.employer_contribution_cents,
            start or py["coverage_start"],
            end or py["coverage_end"],
            plan_id,
            plan_name,
            json.dumps([d.model_dump() for d in enrollment.enrolled_dependents]),
            now,
            now,
        ),
    )
