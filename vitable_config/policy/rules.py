"""The rules of a ``policies:`` section, compiled, and what each rule kind checks.

A :class:`PolicySet` is built once per run by :mod:`vitable_config.policy.load`
(caps rendered, expressions compiled); :mod:`vitable_config.policy.evaluate`
runs it over plan years (:class:`Subject`: desired values and, in plan and apply,
live ones). Amounts are monthly cents; class keys are (employment, tier).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from vitable_config.config.jinja import Renderer, TemplateFailure
from vitable_config.config.policy_models import (
    CostChangeMax,
    EmployeeShareMax,
    EmployerShareMin,
    ExpressionRule,
    NoEmployerDecrease,
    PolicyScope,
    RequiredClasses,
    TierOrder,
)
from vitable_config.desired import DesiredPlanYear, FieldPath, PlanYearKey, Source
from vitable_config.domain import fields as F
from vitable_config.domain.vocabulary import class_sort_key
from vitable_config.errors import Problem, SourceLocation
from vitable_config.policy.model import Level, Violation, dollars

Amounts = tuple[int, int]  # (employee cents, employer cents) of one class
Found = tuple[str, FieldPath | None, Any]  # (detail, path of the value to blame, value)
MEMO_LIMIT = 100_000
ClassMap = Mapping[tuple[str, str], Amounts]

# "An employee never pays less for a larger tier": (smaller, larger) pairs of tiers.
TIER_STEPS: tuple[tuple[str, str], ...] = (("EE", "ES"), ("EE", "EC"), ("ES", "EF"), ("EC", "EF"))

DEFAULT_MESSAGES: dict[str, str] = {
    "employer_share_min": "the employer must pay at least {percent:g}% of each class",
    "employee_share_max": "the employee share is above the cap",
    "tier_order": "an employee must never pay less for a larger tier",
    "no_employer_decrease": "the employer share must not decrease",
    "required_classes": "every plan year must offer the required classes",
    "cost_change_max": "the monthly cost change is above the guardrail",
    "expression": "the custom rule is not met",
}


Items = tuple[tuple[tuple[str, str], Amounts], ...]  # ((employment, tier), amounts), sorted


@dataclass(slots=True)
class Subject:
    """One plan year as the rules see it: its classes in display order (which is also
    the memo key of the values the rules read), and the live ones in plan and apply."""

    desired: DesiredPlanYear
    product: str  # the product code when known, else as written
    product_id: str
    items: Items
    live_items: Items | None = None  # None: no live plan year (or validate)
    # Small ints standing for ``items`` / ``live_items`` in memo keys (set by intern()).
    fp: int = -1
    live_fp: int = -1

    def intern(self, table: dict[Any, int]) -> Subject:
        """Number the class values (equal values, equal numbers): hashed once per plan year."""
        self.fp = table.setdefault(self.items, len(table))
        self.live_fp = table.setdefault(self.live_items, len(table))
        return self

    @classmethod
    def of_desired(cls, py: DesiredPlanYear) -> Subject:
        classes = {
            key: tuple(getattr(c, f.name) for f in F.CLASS_FIELDS)  # (employee, employer)
            for key, c in py.contribution_classes.items()
        }
        items = tuple(sorted(classes.items(), key=lambda kv: class_sort_key(*kv[0])))
        return cls(py, py.benefit_product, py.benefit_product, items)

    @property
    def live(self) -> dict[tuple[str, str], Amounts] | None:
        return None if self.live_items is None else dict(self.live_items)


def items_of_normalized(normalized: Mapping[str, Any]) -> Items:
    """The classes of a normalised plan year (already in display order) as items."""
    employee, employer = F.EMPLOYEE_CENTS.name, F.EMPLOYER_CENTS.name
    return tuple(
        ((employment, tier), (amounts[employee], amounts[employer]))
        for employment, tiers in (normalized.get(F.CLASSES) or {}).items()
        for tier, amounts in tiers.items()
    )


@dataclass(slots=True)
class Rule:
    """One compiled rule."""

    name: str
    spec: Any  # one of the pydantic rule models of config.policy_models
    location: SourceLocation | None  # where the rule is declared (its name)
    expr_location: SourceLocation | None = None
    caps: dict[str, int] = field(default_factory=dict)  # employee_share_max, rendered
    amount: int | None = None  # cost_change_max, rendered

    @property
    def kind(self) -> str:
        return str(self.spec.kind)

    @property
    def level(self) -> Level:
        level: Level = self.spec.level
        return level

    @property
    def message(self) -> str:
        if self.spec.message:
            return str(self.spec.message)
        return DEFAULT_MESSAGES[self.kind].format(percent=getattr(self.spec, "percent", 0) or 0)

    @property
    def needs_live(self) -> bool:
        return isinstance(self.spec, NoEmployerDecrease)

    @property
    def is_cost(self) -> bool:
        return isinstance(self.spec, CostChangeMax)

    def in_scope(self, subject: Subject) -> bool:
        return scope_matches(self.spec.scope, subject)


@dataclass(slots=True)
class PolicySet:
    rules: list[Rule]
    variables: dict[str, Any] = field(default_factory=dict)  # global variables and --var
    renderer: Renderer = field(default_factory=Renderer)
    # What a rule found, by the values it reads: plan years of one template with the
    # same amounts are checked once (a rollout to thousands of employers).
    memo: dict[tuple[Any, ...], list[Found]] = field(default_factory=dict, repr=False)
    values: dict[Any, int] = field(default_factory=dict, repr=False)  # see Subject.intern

    def by_name(self) -> dict[str, Rule]:
        return {r.name: r for r in self.rules}


def _matches(value: str | None, globs: list[str] | None) -> bool:
    if globs is None:
        return True
    return value is not None and any(fnmatchcase(value, g) for g in globs)


def scope_matches(scope: PolicyScope | None, subject: Subject) -> bool:
    if scope is None:
        return True
    py = subject.desired
    products = scope.products
    return (
        _matches(py.employer_id, scope.employers)
        and (
            products is None
            or _matches(subject.product, products)
            or _matches(subject.product_id, products)
        )
        and _matches(py.template, scope.templates)
        and _matches(py.rollout, scope.rollouts)
    )


def _selected(spec: Any, subject: Subject) -> Iterator[tuple[tuple[str, str], Amounts]]:
    employment = getattr(spec, "employment", None)
    tiers = getattr(spec, "tiers", None)
    for key, amounts in subject.items:
        if employment is not None and key[0] not in employment:
            continue
        if tiers is not None and key[1] not in tiers:
            continue
        yield key, amounts


def _amount_path(key: tuple[str, str], cf: F.ClassField) -> FieldPath:
    return (F.CLASSES, key[0], key[1], cf.name)


def _employer_share_min(rule: Rule, subject: Subject) -> Iterator[Found]:
    percent = rule.spec.percent
    for key, (employee, employer) in _selected(rule.spec, subject):
        total = employee + employer
        if total and employer * 100 < percent * total:
            share = 100 * employer / total
            yield (
                f"{key[0]}/{key[1]} {F.EMPLOYER_CENTS.label} {dollars(employer)} is "
                f"{share:.1f}% of {dollars(total)} (at least {percent:g}% required)",
                _amount_path(key, F.EMPLOYER_CENTS),
                employer,
            )


def _employee_share_max(rule: Rule, subject: Subject) -> Iterator[Found]:
    for key, (employee, _employer) in _selected(rule.spec, subject):
        cap = rule.caps.get(key[1])
        if cap is not None and employee > cap:
            yield (
                f"{key[0]}/{key[1]} {F.EMPLOYEE_CENTS.label} {dollars(employee)} is above the "
                f"cap {dollars(cap)} by {dollars(employee - cap)}",
                _amount_path(key, F.EMPLOYEE_CENTS),
                employee,
            )


def _tier_order(rule: Rule, subject: Subject) -> Iterator[Found]:
    classes = dict(_selected(rule.spec, subject))
    employments = sorted({k[0] for k in classes})
    for employment in employments:
        for smaller, larger in TIER_STEPS:
            a, b = classes.get((employment, smaller)), classes.get((employment, larger))
            if a is not None and b is not None and b[0] < a[0]:
                yield (
                    f"{employment}/{larger} {F.EMPLOYEE_CENTS.label} {dollars(b[0])} is less "
                    f"than {employment}/{smaller}'s {dollars(a[0])}",
                    _amount_path((employment, larger), F.EMPLOYEE_CENTS),
                    b[0],
                )


def _no_employer_decrease(rule: Rule, subject: Subject) -> Iterator[Found]:
    live_classes = subject.live
    if live_classes is None:
        return
    for key, (_employee, employer) in _selected(rule.spec, subject):
        live = live_classes.get(key)
        if live is not None and employer < live[1]:
            yield (
                f"{key[0]}/{key[1]} {F.EMPLOYER_CENTS.label} {dollars(live[1])} → "
                f"{dollars(employer)} ({dollars(employer - live[1])})",
                _amount_path(key, F.EMPLOYER_CENTS),
                employer,
            )


def _required_classes(rule: Rule, subject: Subject) -> Iterator[Found]:
    classes = subject.desired.contribution_classes
    missing = [
        f"{employment}/{tier}"
        for employment in rule.spec.employment
        for tier in rule.spec.tiers
        if (employment, tier) not in classes
    ]
    if missing:
        yield (f"missing contribution class{'es' if len(missing) > 1 else ''} "
               f"{', '.join(missing)}", None, None)  # fmt: skip


def expression_context(
    subject: Subject,
    variables: Mapping[str, Any],
    *,
    shallow: bool = False,
) -> dict[str, Any]:
    """The names a custom rule's expression sees (``shallow``: hashable stand-ins of
    the class trees, for the memo key)."""
    if shallow:
        py = subject.desired
        return {
            "desired": subject.fp,
            "live": subject.live_fp,
            "employer_id": py.employer_id,
            "product": subject.product,
            "coverage_start": py.coverage_start,
            "coverage_end": py.coverage_end,
            "template": py.template,
            "rollout": py.rollout,
            "vars": None,  # the same for every plan year of a run
        }

    def tree(classes: ClassMap) -> dict[str, dict[str, dict[str, int]]]:
        out: dict[str, dict[str, dict[str, int]]] = {}
        for (employment, tier), (employee, employer) in classes.items():
            out.setdefault(employment, {})[tier] = {
                F.EMPLOYEE_CENTS.yaml_key: employee,
                F.EMPLOYER_CENTS.yaml_key: employer,
                "total": employee + employer,
            }
        return out

    py = subject.desired
    return {
        "desired": tree(dict(subject.items)),
        "live": tree(dict(subject.live_items)) if subject.live_items is not None else None,
        "employer_id": py.employer_id,
        "product": subject.product,
        "coverage_start": py.coverage_start.isoformat(),
        "coverage_end": py.coverage_end.isoformat(),
        "template": py.template,
        "rollout": py.rollout,
        "vars": dict(variables),
    }


class ExpressionError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _expression(rule: Rule, subject: Subject, policies: PolicySet) -> Iterator[Found]:
    spec: ExpressionRule = rule.spec
    source = "{{ " + spec.expr + " }}"
    context = f"policy {rule.name} for {subject.desired.key}"
    try:
        names = policies.renderer.variables_of(source)
        if "live" in names and subject.live_items is None:
            return  # a rule about live values says nothing about a new plan year (or validate)
        result = policies.renderer.render(source, expression_context(subject, policies.variables))
    except TemplateFailure as exc:
        raise ExpressionError(
            Problem(f"policy {rule.name}: {exc.message}", rule.expr_location, context, exc.hint)
        ) from None
    if not isinstance(result, bool):
        raise ExpressionError(
            Problem(
                f"policy {rule.name}: the expression must be true or false, got {result!r}",
                rule.expr_location,
                context,
                "compare values, e.g. desired.full_time.EE.employer >= 20000",
            )
        )
    if not result:
        yield (f"expression is false: {spec.expr}", None, None)


CHECKS: dict[type, Callable[[Rule, Subject], Iterator[Found]]] = {
    EmployerShareMin: _employer_share_min,
    EmployeeShareMax: _employee_share_max,
    TierOrder: _tier_order,
    NoEmployerDecrease: _no_employer_decrease,
    RequiredClasses: _required_classes,
}


def _memo_key(rule: Rule, subject: Subject, policies: PolicySet) -> tuple[Any, ...]:
    if subject.fp < 0:
        subject.intern(policies.values)
    if isinstance(rule.spec, ExpressionRule):
        names = policies.renderer.variables_of("{{ " + rule.spec.expr + " }}")
        context = expression_context(subject, {}, shallow=True)
        return (rule.name, *(context.get(n) for n in names))
    if rule.needs_live:
        return (rule.name, subject.fp, subject.live_fp)
    return (rule.name, subject.fp)


def check(rule: Rule, subject: Subject, policies: PolicySet) -> list[Violation]:
    """The violations of ``rule`` by one plan year (exceptions applied)."""
    key = _memo_key(rule, subject, policies)
    found = policies.memo.get(key)
    if found is None:
        if isinstance(rule.spec, ExpressionRule):
            found = list(_expression(rule, subject, policies))
        else:
            checker = CHECKS.get(type(rule.spec))
            found = list(checker(rule, subject)) if checker is not None else []
        if len(policies.memo) < MEMO_LIMIT:
            policies.memo[key] = found
    if not found:
        return []
    py = subject.desired
    allowed = py.allow.get(rule.name)
    out: list[Violation] = []
    for detail, path, value in found:
        source = py.source_of(path) if path is not None else None
        if source is None:
            source = Source("plan_year", py.employer_id, py.location)
        out.append(
            Violation(
                rule=rule.name,
                level=rule.level,
                message=rule.message,
                detail=detail,
                key=PlanYearKey(py.employer_id, subject.product_id, py.coverage_start),
                product_code=subject.product,
                employer_id=py.employer_id,
                path=path,
                value=value,
                source=source,
                rule_location=rule.location,
                allowed=allowed,
            )
        )
    return out
