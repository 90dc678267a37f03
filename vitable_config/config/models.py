"""Pydantic models of the config file format (the schema, not the merged result).

They check the *shape* of each file (``extra="forbid"``: a typo in a key is an
error) and each literal leaf value; values containing Jinja (``{{ ... }}``) are
checked again after rendering. ``schemas/config.schema.json`` is generated from
:class:`ConfigDocument` (see :mod:`vitable_config.config.schema`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, model_validator

from vitable_config.config import money
from vitable_config.config.jinja import syntax_error
from vitable_config.config.names import (
    EMPLOYMENT_PATTERN,
    MAX_NAME_LENGTH,
    check_employment,
    name_problem,
    suspicious_characters,
)
from vitable_config.config.policy_models import AllowList, Policies
from vitable_config.config.values import (
    MAX_CENTS,
    is_template,
    parse_cents,
    parse_date,
    show_value,
)
from vitable_config.domain.vocabulary import PLAN_YEAR_STATUSES, PRODUCT_CODES

EMPLOYER_ID_PATTERN = r"^empr_[A-Za-z0-9_\-]+$"
PRODUCT_ID_PATTERN = r"^bprd_[A-Za-z0-9_\-]+$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
VARIABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
_EMPLOYER_ID = re.compile(EMPLOYER_ID_PATTERN)
_PRODUCT_ID = re.compile(PRODUCT_ID_PATTERN)
_VARIABLE = re.compile(VARIABLE_PATTERN)
_NAME = re.compile(NAME_PATTERN)
NAME_RULE = "letters, digits, '_', '.', '-' (starting with a letter or digit)"
VARIABLE_RULE = "letters, digits and '_' (not starting with a digit)"

JINJA_SCHEMA: dict[str, Any] = {"type": "string", "pattern": r"\{\{|\{%"}


def _template_ok(value: str) -> bool:
    error = syntax_error(value)
    if error:
        raise ValueError(f"{error} (in {show_value(value)})")
    return True


def check_employer_id(value: object) -> str:
    if isinstance(value, str) and _EMPLOYER_ID.fullmatch(value):
        return value
    odd = suspicious_characters(value) if isinstance(value, str) else []
    extra = f" (it contains {', '.join(odd)})" if odd else ""
    raise ValueError(f"expected an employer id like empr_acme, got {value!r}{extra}")


def check_name(value: object) -> str:
    """A template or rollout name (NFC, :data:`NAME_PATTERN`, at most 100 characters)."""
    problem = name_problem(value, "name", _NAME, NAME_RULE)
    if problem:
        raise ValueError(problem)
    assert isinstance(value, str)
    return value


def check_variable_name(value: object) -> str | None:
    """Why ``value`` is not a valid variable name (``None`` when it is)."""
    return name_problem(value, "variable name", _VARIABLE, VARIABLE_RULE)


def check_product(value: object) -> str:
    if isinstance(value, str) and (
        value in PRODUCT_CODES
        or _PRODUCT_ID.fullmatch(value)
        or (is_template(value) and _template_ok(value))
    ):
        return value
    raise ValueError(
        f"expected a benefit product id like bprd_mec or a product code "
        f"({', '.join(PRODUCT_CODES)}), got {value!r}"
    )


def check_status(value: object) -> str:
    if isinstance(value, str) and (
        value in PLAN_YEAR_STATUSES or (is_template(value) and _template_ok(value))
    ):
        return value
    raise ValueError(f"expected one of {', '.join(PLAN_YEAR_STATUSES)}, got {value!r}")


def _cents_literal(value: object) -> object:
    if value.__class__ is int and 0 <= value <= MAX_CENTS:
        return value  # what parse_cents accepts as it is
    if value.__class__ is str and value in money._CENTS_MEMO:
        return value  # dollars parse_cents has read (no Jinja in them)
    if is_template(value):
        _template_ok(value)  # type: ignore[arg-type]
    else:
        parse_cents(value)
    return value


def _date_literal(value: object) -> object:
    if is_template(value):
        _template_ok(value)  # type: ignore[arg-type]
    else:
        parse_date(value)
    return value


def _variables(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of variable names to values")
    for key in value:
        problem = check_variable_name(key)
        if problem:
            raise ValueError(problem)
    return value


Cents = Annotated[
    int | str,
    PlainValidator(_cents_literal),
    WithJsonSchema(
        {
            "description": 'Monthly amount: integer cents (45000) or exact dollars ("$450.00"),'
            " or a Jinja expression",
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": r"^\$\d+(\.\d{2})?$"},
                JINJA_SCHEMA,
            ],
        }
    ),
]
DateValue = Annotated[
    date | str,
    PlainValidator(_date_literal),
    WithJsonSchema(
        {
            "description": "A date YYYY-MM-DD, or a Jinja expression",
            "anyOf": [{"type": "string", "format": "date"}, JINJA_SCHEMA],
        }
    ),
]
ProductRef = Annotated[
    str,
    PlainValidator(check_product),
    WithJsonSchema(
        {
            "description": "A benefit product id (bprd_...) or a product code",
            "anyOf": [
                {"type": "string", "enum": list(PRODUCT_CODES)},
                {"type": "string", "pattern": PRODUCT_ID_PATTERN},
                JINJA_SCHEMA,
            ],
        }
    ),
]
Status = Annotated[
    str,
    PlainValidator(check_status),
    WithJsonSchema(
        {
            "description": "Plan year status to set (optional)",
            "anyOf": [{"type": "string", "enum": list(PLAN_YEAR_STATUSES)}, JINJA_SCHEMA],
        }
    ),
]
EmployerId = Annotated[
    str,
    PlainValidator(check_employer_id),
    WithJsonSchema({"type": "string", "pattern": EMPLOYER_ID_PATTERN}),
]
Variables = Annotated[
    dict[str, Any],
    PlainValidator(_variables),
    WithJsonSchema(
        {
            "type": "object",
            "description": "Variables for Jinja expressions ({{ name }})",
            "propertyNames": {"pattern": VARIABLE_PATTERN},
        }
    ),
]
FamilyStatus = Literal["Unspecified", "EE", "ES", "EC", "EF"]
Name = Annotated[
    str,
    PlainValidator(check_name),
    WithJsonSchema({"type": "string", "pattern": NAME_PATTERN, "maxLength": MAX_NAME_LENGTH}),
]
EmploymentName = Annotated[
    str,
    PlainValidator(check_employment),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": EMPLOYMENT_PATTERN,
            "maxLength": MAX_NAME_LENGTH,
            "description": "Employment type: lower-case letters, digits and _, e.g. full_time",
        }
    ),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contribution(_Model):
    """Monthly contributions of one class (employment type x family status)."""

    employee: Cents | None = Field(None, description="Employee's monthly contribution")
    employer: Cents | None = Field(None, description="Employer's monthly contribution")


ContributionClasses = dict[EmploymentName, dict[FamilyStatus, Contribution | None] | None]


class Period(_Model):
    start: DateValue | None = None
    end: DateValue | None = None


class PlanYearFields(_Model):
    coverage: Period | None = Field(None, description="Coverage period (start < end)")
    open_enrollment: Period | None = Field(
        None, description="Open enrollment period, ending on or before coverage start"
    )
    status: Status | None = None
    contribution_classes: ContributionClasses | None = Field(
        None,
        description="employment type -> family status (Unspecified, EE, ES, EC, EF) -> "
        "{employee, employer}; merged key by key across layers; null removes",
    )
    allow: AllowList | None = None


class Defaults(PlanYearFields):
    """The lowest layer: applies to every plan year."""


class Template(PlanYearFields):
    """A named, versionable standard offering."""

    description: str | None = None
    benefit_product: ProductRef | None = None


class EmployerTarget(_Model):
    """One employer reached by a rollout (an inline list item or a per-employer file)."""

    employer_id: EmployerId
    name: str | None = Field(None, description="Label for reviewers")
    variables: Variables | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, data: Any) -> Any:
        return {"employer_id": data} if isinstance(data, str) else data


class Targets(_Model):
    """Which employers a rollout reaches: exactly one of csv, list, files."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    csv: str | None = Field(
        None,
        description="CSV file (relative to this file); employer_id column, other columns "
        "become variables",
    )
    list_: list[EmployerTarget] | None = Field(
        None, alias="list", description="employer ids, or {employer_id, name, variables}"
    )
    files: str | None = Field(
        None,
        description="Glob of per-employer YAML files (relative to this file), each with "
        "employer_id, name, variables",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Targets:
        given = [k for k in ("csv", "list_", "files") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of `csv`, `list` or `files` "
                f"(found {len(given) if given else 'none'})"
            )
        return self


class Rollout(PlanYearFields):
    """Applies a template to many employers, with its own variables and overrides."""

    name: Name
    template: Name
    description: str | None = None
    variables: Variables | None = None
    employers: Targets


class EmployerPlanYear(PlanYearFields):
    """A standalone plan year, or an override of a rollout's plan year with the same
    benefit_product and coverage.start."""

    benefit_product: ProductRef | None = None
    template: Name | None = Field(None, description="Template to start from (optional)")


class Employer(_Model):
    name: str | None = Field(None, description="Label for reviewers")
    variables: Variables | None = None
    plan_years: list[EmployerPlanYear] = Field(default_factory=list)


class ConfigDocument(_Model):
    """One vitable-config file. Several files are combined section by section."""

    version: Literal[1] = Field(1, description="Format version (1)")
    variables: Variables | None = None
    defaults: Defaults | None = Field(
        None, description="Lowest layer: plan-year fields applied to every plan year"
    )
    templates: dict[Name, Template] | None = Field(
        None, description="Named standard offerings, e.g. standard-2027"
    )
    rollouts: list[Rollout] | None = Field(
        None, description="Apply a template to many employers (CSV, list or files)"
    )
    employers: dict[EmployerId, Employer] | None = Field(
        None,
        description="Per-employer plan years: standalone, or overrides of a rollout's plan "
        "year with the same benefit_product and coverage.start",
    )
    policies: Policies | None = Field(
        None, description="Named policy rules checked by validate, plan and apply"
    )


class EmployerFile(EmployerTarget):
    """A per-employer file reached by a rollout's ``files:`` glob."""
