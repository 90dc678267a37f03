"""`vitable-config validate`: check config files without calling the API."""

from __future__ import annotations

import json
from typing import Any

import click

from vitable_config.cli.policy_options import (
    headcount_from,
    headcount_option,
    validate_verdict,
    violation_problems,
)
from vitable_config.cli.variables import var_options, variables_from
from vitable_config.config import load_config
from vitable_config.config.names import employment_warnings
from vitable_config.desired import DesiredState
from vitable_config.errors import EXIT_ERROR, EXIT_OK, Problem, UserError

VALIDATE_FORMAT_VERSION = 1


def problem_to_dict(problem: Problem, severity: str = "error") -> dict[str, Any]:
    """One problem as JSON (schemas/validate.schema.json)."""
    where = problem.location
    return {
        "severity": severity,
        "file": where.file if where else None,
        "line": where.line if where else None,
        "column": where.column if where else None,
        "message": problem.message,
        "context": problem.context,
        "hint": problem.hint,
    }


def _report(paths: tuple[str, ...], kwargs: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The JSON report and the exit code (1 when any problem was found)."""
    try:
        state = load_config(list(paths), variables_from(kwargs))
    except UserError as exc:
        problems = exc.problems or [Problem(exc.message)]
        report = {
            "format_version": VALIDATE_FORMAT_VERSION,
            "ok": False,
            "summary": exc.message,
            "problems": [problem_to_dict(p) for p in problems],
        }
        return report, EXIT_ERROR
    report = {
        "format_version": VALIDATE_FORMAT_VERSION,
        "ok": True,
        "summary": _summary(state),
        "plan_years": len(state.plan_years),
        "employers": len(state.employer_ids),
        "files": list(state.files),
        "problems": [
            problem_to_dict(Problem(w.message, w.location, None, w.hint), "warning")
            for w in employment_warnings(state.plan_years)
        ],
    }
    # Policies on the desired values: a failing deny rule is an error (exit 1).
    violations = violation_problems(state)
    found = [problem_to_dict(p, severity) for p, severity in violations]
    report["problems"] = [*report["problems"], *found]  # type: ignore[misc]
    if any(severity == "error" for _p, severity in violations):
        report["ok"] = False
        return report, EXIT_ERROR
    return report, EXIT_OK


def _summary(state: DesiredState) -> str:
    n = len(state.plan_years)
    m = len(state.employer_ids)
    k = len(state.files)
    return (
        f"OK: {n} plan year{'s' if n != 1 else ''} for {m} employer{'s' if m != 1 else ''} "
        f"({k} file{'s' if k != 1 else ''})"
    )


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: every problem with file, line, column, message and hint "
    "(schemas/validate.schema.json), on stdout.",
)
@var_options
@headcount_option
def command(paths: tuple[str, ...], fmt: str, **kwargs: Any) -> int:
    """Check config files: schema, layers, templates and dates.

    Prints every problem with file:line:column and exits 1, or prints a
    summary and exits 0. Policies are checked on the desired values; a
    failing deny rule exits 1. Makes no API calls.

    \b
    Example:
      vitable-config validate examples/rollout --var ee_employer_cents=40000
    """
    headcount_from(kwargs)  # the headcount file is checked too (file:line on a bad row)
    if fmt == "json":
        report, code = _report(paths, kwargs)
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return code
    state = load_config(list(paths), variables_from(kwargs))
    for warning in employment_warnings(state.plan_years):
        click.echo(warning.format(), err=True)
    refused = validate_verdict(state)  # policies on the desired values (deny: exit 1)
    if refused is not None:
        return refused
    click.echo(_summary(state))
    return EXIT_OK
