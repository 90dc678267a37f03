"""`vitable-config validate`: check config files without calling the API."""

from __future__ import annotations

from typing import Any

import click

from vitable_config.cli.variables import var_options, variables_from
from vitable_config.config import load_config


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@var_options
def command(paths: tuple[str, ...], **kwargs: Any) -> int:
    """Check config files: schema, layers, templates and dates.

    Prints every problem with file:line:column and exits 1, or prints a
    summary and exits 0. Makes no API calls.

    \b
    Example:
      vitable-config validate examples/rollout --var ee_employer_cents=40000
    """
    state = load_config(list(paths), variables_from(kwargs))
    n = len(state.plan_years)
    m = len(state.employer_ids)
    k = len(state.files)
    click.echo(
        f"OK: {n} plan year{'s' if n != 1 else ''} for {m} employer{'s' if m != 1 else ''} "
        f"({k} file{'s' if k != 1 else ''})"
    )
    return 0
