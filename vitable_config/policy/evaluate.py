"""Run a :class:`PolicySet` over desired plan years (validate) or a plan (plan, apply).

``validate`` sees desired values only, so rules about live values
(``no_employer_decrease``, expressions that read ``live``) and cost guardrails are
skipped there. ``plan`` and ``apply`` see both, plus the cost report when a
headcount file is given. A custom expression that fails (bounds, types,
undefined names) is a config error at its file:line:column, not a violation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from vitable_config.desired import DesiredPlanYear, DesiredState
from vitable_config.engine.model import Plan
from vitable_config.errors import Problem, UserError
from vitable_config.policy.model import CostLine, CostReport, Violation, dollars
from vitable_config.policy.rules import (
    ExpressionError,
    PolicySet,
    Rule,
    Subject,
    check,
    items_of_normalized,
)

if TYPE_CHECKING:
    from vitable_config.policy.cost import Headcount

COST_NEEDS_HEADCOUNT = "cost guardrails need a headcount file (--headcount FILE)"


def _run(policies: PolicySet, subjects: Iterable[Subject], *, live: bool) -> list[Violation]:
    rules = [r for r in policies.rules if not r.is_cost and (live or not r.needs_live)]
    out: list[Violation] = []
    problems: list[Problem] = []
    for subject in subjects:
        for rule in rules:
            if rule.spec.scope is not None and not rule.in_scope(subject):
                continue
            try:
                out.extend(check(rule, subject, policies))
            except ExpressionError as exc:
                if exc.problem not in problems:
                    problems.append(exc.problem)
                if len(problems) >= 20:
                    break
    if problems:
        raise UserError.from_problems(problems, f"{len(problems)} policy error(s) found")
    return out


def evaluate_desired(state: DesiredState) -> list[Violation]:
    """Violations of the desired values alone (what ``validate`` reports)."""
    if state.policies is None:
        return []
    subjects = (Subject.of_desired(py) for py in state.plan_years)
    return sort_violations(_run(state.policies, subjects, live=False))


def _subjects(plan: Plan) -> Iterable[Subject]:
    for change in plan.changes:
        if change.desired is None or change.after is None:
            continue
        items = items_of_normalized(change.after)
        live = None
        if change.before is change.after:
            live = items  # unchanged: one shared dict
        elif change.before is not None:
            live = items_of_normalized(change.before)
        yield Subject(
            change.desired,
            change.product_code or change.key.benefit_product,
            change.key.benefit_product,
            items,
            live,
        )


def evaluate_plan(policies: PolicySet | None, plan: Plan) -> list[Violation]:
    """Violations of the plan's desired and live values, and of the cost guardrails
    (``plan.cost`` must already be set when there is a headcount file)."""
    if policies is None:
        return []
    found = _run(policies, _subjects(plan), live=True)
    cost_rules = [r for r in policies.rules if r.is_cost]
    if cost_rules and plan.cost is None and plan.has_changes:
        names = ", ".join(r.name for r in cost_rules)
        plural = "policies" if len(cost_rules) > 1 else "policy"
        plan.warnings.append(f"{plural} {names} not evaluated: {COST_NEEDS_HEADCOUNT}")
    if cost_rules and plan.cost is not None:
        allows = _allows_by_employer(plan)
        for rule in cost_rules:
            found.extend(_cost_violations(rule, plan.cost, allows))
    return sort_violations(found)


def _allows_by_employer(plan: Plan) -> dict[str, list[DesiredPlanYear]]:
    out: dict[str, list[DesiredPlanYear]] = {}
    for change in plan.changes:
        if change.desired is not None and change.desired.allow:
            out.setdefault(change.key.employer_id, []).append(change.desired)
    return out


def _cost_violations(
    rule: Rule, cost: CostReport, allows: dict[str, list[DesiredPlanYear]]
) -> list[Violation]:
    spec = rule.spec
    lines: list[CostLine] = [cost.overall] if spec.per == "overall" else list(cost.employers)
    out: list[Violation] = []
    for line in lines:
        before = getattr(line.before, spec.side)
        after = getattr(line.after, spec.side)
        delta = after - before
        reasons: list[str] = []
        if rule.amount is not None and delta > rule.amount:
            reasons.append(f"more than {dollars(rule.amount)}/month")
        # A percentage of nothing means nothing: from $0 (all new) only `amount` applies.
        if spec.percent is not None and before > 0 and delta * 100 > spec.percent * before:
            reasons.append(f"more than {spec.percent:g}%")
        if not reasons:
            continue
        pct = f" ({100 * delta / before:+.1f}%)" if before else " (from $0.00)"
        allowed = None
        for py in allows.get(line.employer_id or "", []):
            allowed = py.allow.get(rule.name)
            if allowed is not None:
                break
        out.append(
            Violation(
                rule=rule.name,
                level=rule.level,
                message=rule.message,
                detail=f"{spec.side} contributions {_signed(delta)}/month{pct}, "
                + " and ".join(reasons),
                employer_id=line.employer_id,
                value=delta,
                rule_location=rule.location,
                allowed=allowed,
            )
        )
    return out


def _signed(cents: int) -> str:
    return ("+" if cents >= 0 else "") + dollars(cents)


def sort_violations(violations: list[Violation]) -> list[Violation]:
    """Failing denials first, then warnings, then excepted ones; then by rule and plan year."""

    def rank(v: Violation) -> tuple[int, str, str]:
        group = 0 if v.denies else (1 if v.allowed is None else 2)
        return (group, v.rule, str(v.key) if v.key else (v.employer_id or ""))

    return sorted(violations, key=rank)


def denied(violations: Iterable[Violation]) -> list[Violation]:
    return [v for v in violations if v.denies]


def assess_plan(plan: Plan, policies: PolicySet | None, headcount: Headcount | None) -> Plan:
    """Set ``plan.cost`` (with a headcount file) and ``plan.violations``; return the plan."""
    if headcount is not None:
        from vitable_config.policy.cost import cost_report  # only with a headcount file

        plan.cost = cost_report(plan, headcount)
    plan.violations = evaluate_plan(policies, plan)
    plan.policies_checked = policies is not None
    return plan
