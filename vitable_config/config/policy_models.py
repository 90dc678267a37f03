"""Pydantic models of the ``policies:`` section and of ``allow:`` exceptions.

Imported by :mod:`vitable_config.config.models` (so the JSON Schema is generated
from them too); evaluated by :mod:`vitable_config.policy.evaluate`. Each rule has
a ``kind`` (a built-in rule kind or ``expression``), a ``level`` (``deny`` fails
the run, ``warn`` is shown), an optional ``message`` and ``scope``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, model_validator

from vitable_config.config.jinja import syntax_error
from vitable_config.config.values import is_template, parse_cents
from vitable_config.domain.vocabulary import COVERAGE_TIERS

POLICY_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
MAX_EXPRESSION_CHARS = 1_000  # a custom rule's expression (the renderer allows 10,000)

# The tiers a "required classes" rule asks for by default: every real tier.
REAL_TIERS: tuple[str, ...] = tuple(t for t in COVERAGE_TIERS if t != "Unspecified")

Tier = Literal["Unspecified", "EE", "ES", "EC", "EF"]
PolicyName = Annotated[str, Field(pattern=POLICY_NAME_PATTERN, max_length=100)]
Glob = Annotated[str, Field(min_length=1, max_length=200)]


def _cap(value: object) -> object:
    if is_template(value):
        error = syntax_error(str(value))
        if error:
            raise ValueError(f"{error} (in {value!r})")
    else:
        parse_cents(value)
    return value


CapCents = Annotated[
    int | str,
    PlainValidator(_cap),
    WithJsonSchema(
        {
            "description": 'Monthly amount: integer cents (45000) or exact dollars ("$450.00"), '
            "or a Jinja expression over the global variables and --var",
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": r"^\$\d+(\.\d{2})?$"},
                {"type": "string", "pattern": r"\{\{|\{%"},
            ],
        }
    ),
]
Percent = Annotated[float, Field(ge=0, le=100, description="A percentage, 0 to 100")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicyScope(_Model):
    """Which plan years a rule applies to: every list given must match (globs)."""

    employers: list[Glob] | None = Field(None, description="Employer id globs, e.g. empr_r0*")
    products: list[Glob] | None = Field(
        None, description="Benefit product globs (a code like MEC or an id like bprd_mec)"
    )
    templates: list[Glob] | None = Field(None, description="Template name globs")
    rollouts: list[Glob] | None = Field(None, description="Rollout name globs")


class _Rule(_Model):
    level: Literal["deny", "warn"] = Field(
        description="deny: the run fails (validate, plan, apply); warn: shown only"
    )
    message: str | None = Field(None, max_length=500, description="Shown with each violation")
    scope: PolicyScope | None = None


class _ClassRule(_Rule):
    employment: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, description="Employment types the rule checks (default: all)"
    )
    tiers: list[Tier] | None = Field(None, description="Coverage tiers it checks (default: all)")


class EmployerShareMin(_ClassRule):
    """The employer pays at least ``percent`` of each class's total (employee + employer)."""

    kind: Literal["employer_share_min"]
    percent: Percent


class EmployeeShareMax(_ClassRule):
    """The employee's monthly share is at most a cap per tier (e.g. an affordability limit)."""

    kind: Literal["employee_share_max"]
    max: dict[Tier, CapCents] = Field(
        description="Cap per coverage tier; may be a Jinja expression over variables"
    )


class TierOrder(_ClassRule):
    """An employee never pays less for a larger tier: EE <= ES <= EF and EE <= EC <= EF."""

    kind: Literal["tier_order"]


class NoEmployerDecrease(_ClassRule):
    """The employer share of a class never goes down versus live (plan and apply only)."""

    kind: Literal["no_employer_decrease"]


class RequiredClasses(_Rule):
    """Every plan year offers each of ``employment`` x ``tiers``."""

    kind: Literal["required_classes"]
    employment: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=lambda: ["full_time"], min_length=1
    )
    tiers: list[Tier] = Field(default_factory=lambda: list(REAL_TIERS), min_length=1)  # type: ignore[arg-type]


class CostChangeMax(_Rule):
    """A cost guardrail: the monthly change of the overall or a per-employer total is at
    most ``amount`` and/or ``percent`` (needs ``--headcount``; plan and apply only)."""

    kind: Literal["cost_change_max"]
    per: Literal["overall", "employer"] = "overall"
    side: Literal["employer", "employee"] = Field(
        "employer", description="Whose contributions: employer (default) or employee"
    )
    amount: CapCents | None = Field(None, description="Largest monthly increase allowed")
    percent: Percent | None = Field(None, description="Largest monthly increase in percent")

    @model_validator(mode="after")
    def _a_limit(self) -> CostChangeMax:
        if self.amount is None and self.percent is None:
            raise ValueError("give `amount`, `percent` or both")
        return self


def _expression(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected an expression, e.g. desired.full_time.EE.employer >= 20000")
    if len(value) > MAX_EXPRESSION_CHARS:
        raise ValueError(f"expression is longer than {MAX_EXPRESSION_CHARS:,} characters")
    if any(token in value for token in ("{{", "}}", "{%", "%}", "{#")):
        raise ValueError("write the expression without {{ }} braces")
    error = syntax_error("{{ " + value + " }}")
    if error:
        raise ValueError(error)
    return value


Expression = Annotated[
    str,
    PlainValidator(_expression),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": MAX_EXPRESSION_CHARS,
            "description": "A Jinja expression (no braces) that is true when the plan year "
            "passes; sees desired, live, employer_id, product, coverage_start, template, "
            "rollout and vars",
        }
    ),
]


class ExpressionRule(_Rule):
    """A custom rule: a sandboxed Jinja expression that must be true for each plan year."""

    kind: Literal["expression"]
    expr: Expression


PolicyRule = Annotated[
    EmployerShareMin
    | EmployeeShareMax
    | TierOrder
    | NoEmployerDecrease
    | RequiredClasses
    | CostChangeMax
    | ExpressionRule,
    Field(discriminator="kind"),
]
RULE_KINDS: tuple[str, ...] = (
    "employer_share_min",
    "employee_share_max",
    "tier_order",
    "no_employer_decrease",
    "required_classes",
    "cost_change_max",
    "expression",
)

Policies = dict[PolicyName, PolicyRule]


class Allow(_Model):
    """A deliberate exception to a rule, reviewed like any other change."""

    rule: PolicyName
    reason: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        description="Why the exception is granted (required)"
    )

    @model_validator(mode="before")
    @classmethod
    def _needs_reason(cls, data: Any) -> Any:
        if isinstance(data, str):
            raise ValueError(f'an exception needs a reason: write {{rule: {data}, reason: "..."}}')
        if isinstance(data, dict) and "rule" in data and not data.get("reason"):
            raise ValueError(f"the exception to rule {data['rule']!r} needs a reason")
        return data


AllowList = Annotated[
    list[Allow],
    Field(description="Deliberate exceptions to policy rules: [{rule: NAME, reason: ...}]"),
]
