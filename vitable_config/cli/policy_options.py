"""``--headcount FILE`` and the policy verdicts of validate, plan and apply.

Kept apart from :mod:`vitable_config.cli.options` so the commands only gain a
decorator and one call each.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from vitable_config.errors import EXIT_ERROR

F = TypeVar("F", bound=Callable[..., Any])

headcount_option: Callable[[F], F] = click.option(
    "--headcount",
    "headcount",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="CSV of enrollees per class (employer, benefit_product, employment, tier, count): "
    "the plan shows monthly and annual contribution totals and cost guardrails apply.",
)


def headcount_from(kwargs: dict[str, Any]) -> Any:
    """The parsed headcount file (a UserError naming file:line when it is bad), or None."""
    path = kwargs.pop("headcount", None)
    if path is None:
        return None
    from vitable_config.policy.cost import read_headcount

    return read_headcount(path)


def deny_message(denied: list[Any]) -> str:
    n = len(denied)
    names = sorted({v.rule for v in denied})
    return (
        f"{n} policy violation{'s' if n != 1 else ''} of deny rule"
        f"{'s' if len(names) != 1 else ''} {', '.join(names)} (see above); nothing was "
        "written to the API. Fix the values, or declare an exception next to them: "
        "allow: [{rule: NAME, reason: ...}]"
    )


def refuse_denied(plan: Any) -> int | None:
    """Print why the plan is refused and return exit code 1 (None: nothing denied)."""
    denied = plan.denied
    if not denied:
        return None
    click.echo(f"error: {deny_message(denied)}", err=True)
    return EXIT_ERROR


def validate_verdict(state: Any) -> int | None:
    """validate: print the violations of the desired values; 1 when a deny rule fails."""
    if state.policies is None:
        return None
    from vitable_config.policy.evaluate import denied, evaluate_desired

    violations = evaluate_desired(state)
    if not violations:
        return None
    from vitable_config.engine.render.policy import by_rule, violation_line

    for head, items in by_rule(violations):
        click.echo(head)
        for v in items:
            click.echo(f"  {violation_line(v)}")
    failing = denied(violations)
    if failing:
        click.echo(f"error: {deny_message(failing)}", err=True)
        return EXIT_ERROR
    return None


def violation_problems(state: Any) -> list[tuple[Any, str]]:
    """validate --format json: each violation as (Problem, "error" | "warning"), located
    at the value that breaks the rule (a failing deny rule is an error)."""
    if state.policies is None:
        return []
    from vitable_config.errors import Problem
    from vitable_config.policy.evaluate import evaluate_desired

    out: list[tuple[Any, str]] = []
    for v in evaluate_desired(state):
        where = v.source.location if v.source is not None else v.rule_location
        key = v.key
        context = (
            f"employer {key.employer_id} {v.product_code} {key.coverage_start}" if key else None
        )
        hint = None
        if v.allowed is not None:
            hint = f"allowed: {v.allowed.reason} ({v.allowed.source.location})"
        elif v.denies:
            hint = "fix the value, or add allow: [{rule: " + v.rule + ", reason: ...}] next to it"
        message = f"policy {v.rule} ({v.level}): {v.message}: {v.detail}"
        out.append((Problem(message, where, context, hint), "error" if v.denies else "warning"))
    return out
