"""Collect the ``policies:`` sections of every config file into one :class:`PolicySet`.

Rules merge across files like templates do: each name may be defined once (a
second definition is an error naming both places). Caps and amounts written as
Jinja expressions are rendered once, with the global ``variables`` and ``--var``.
Every ``allow:`` must name a defined rule. Problems carry file:line:column.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from vitable_config.config.jinja import Renderer, TemplateFailure
from vitable_config.config.policy_models import CostChangeMax, EmployeeShareMax, ExpressionRule
from vitable_config.config.policy_models import PolicyRule as PolicyRuleModel
from vitable_config.config.problems import ProblemList
from vitable_config.config.schema_errors import suggest
from vitable_config.config.sources import Document
from vitable_config.config.values import is_template, parse_cents
from vitable_config.config.yaml_loader import key_location, value_location
from vitable_config.desired import DesiredPlanYear
from vitable_config.errors import Problem, SourceLocation
from vitable_config.policy.model import POLICIES

if TYPE_CHECKING:
    from vitable_config.policy.rules import PolicySet, Rule


@functools.cache
def _adapter() -> TypeAdapter[Any]:
    """Built on first use: a config without ``policies:`` never pays for it."""
    return TypeAdapter(PolicyRuleModel)


def _cents(
    raw: Any,
    where: SourceLocation | None,
    what: str,
    renderer: Renderer,
    variables: dict[str, Any],
    problems: ProblemList,
) -> int | None:
    try:
        if is_template(raw):
            return parse_cents(renderer.render(str(raw), variables), rendered=True)
        return parse_cents(raw)
    except TemplateFailure as exc:
        problems.add(Problem(f"{what}: {exc.message}", where, hint=exc.hint))
    except ValueError as exc:
        problems.add(
            Problem(
                f"{what}: {exc}",
                where,
                hint="caps are rendered with the global `variables:` and --var only",
            )
        )
    return None


def load_policies(
    docs: list[Document],
    variables: dict[str, Any],
    plan_years: list[DesiredPlanYear],
    problems: ProblemList,
) -> PolicySet | None:
    """The config's rules (None when no file has a ``policies:`` section; the rule
    engine is then not imported)."""
    renderer = Renderer()
    rules: dict[str, Rule] = {}
    seen = False
    for doc in docs:
        section = doc.data.get(POLICIES)
        if section is None:
            continue
        seen = True
        for name, raw in section.items():
            here = key_location(section, name)
            if name in rules:
                problems.add(
                    Problem(
                        f"policy {name!r} is defined twice (also at {rules[name].location})",
                        here,
                        hint="each policy may be defined once across all files; rename or "
                        "remove one",
                    )
                )
                continue
            from vitable_config.policy.rules import Rule

            spec = _adapter().validate_python(raw)  # the schema check has already passed
            rule = Rule(name, spec, here)
            if isinstance(spec, ExpressionRule):
                rule.expr_location = value_location(raw, "expr")
            if isinstance(spec, EmployeeShareMax):
                caps = raw["max"]
                for tier, cap in spec.max.items():
                    cents = _cents(
                        cap,
                        value_location(caps, tier),
                        f"policy {name}: max.{tier}",
                        renderer,
                        variables,
                        problems,
                    )
                    if cents is not None:
                        rule.caps[tier] = cents
            if isinstance(spec, CostChangeMax) and spec.amount is not None:
                rule.amount = _cents(
                    spec.amount,
                    value_location(raw, "amount"),
                    f"policy {name}: amount",
                    renderer,
                    variables,
                    problems,
                )
            rules[name] = rule
    _check_allows(plan_years, rules, problems)
    if not seen:
        return None
    from vitable_config.policy.rules import PolicySet

    return PolicySet(list(rules.values()), dict(variables), renderer)


def _check_allows(
    plan_years: list[DesiredPlanYear], rules: dict[str, Rule], problems: ProblemList
) -> None:
    reported: set[tuple[str, SourceLocation | None]] = set()
    for py in plan_years:
        for name, allowance in py.allow.items():
            where = allowance.source.location
            if name in rules or (name, where) in reported:
                continue
            reported.add((name, where))
            problems.add(
                Problem(
                    f"allow: no policy named {name!r}",
                    where,
                    hint=suggest(name, list(rules))
                    or f"defined policies: {', '.join(sorted(rules)) or 'none'}",
                )
            )
