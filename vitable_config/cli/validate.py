"""`vitable-config validate`: check config files without calling the API."""

from __future__ import annotations

import click

from vitable_config.config import load_config
from vitable_config.config.cli_vars import collect_variables

var_option = click.option(
    "--var",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a template variable (highest precedence; repeatable).",
)
var_file_option = click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="YAML file of template variables (repeatable; --var wins).",
)


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@var_option
@var_file_option
def command(
    paths: tuple[str, ...], assignments: tuple[str, ...], var_files: tuple[str, ...]
) -> int:
    """Check config files: schema, layers, templates and dates.

    Prints every problem with file:line:column and exits 1, or prints a
    summary and exits 0. Makes no API calls.

    \b
    Example:
      vitable-config validate examples/rollout --var ee_employer_cents=40000
    """
    state = load_config(list(paths), collect_variables(var_files, assignments))
    n = len(state.plan_years)
    m = len(state.employer_ids)
    k = len(state.files)
    click.echo(
        f"OK: {n} plan year{'s' if n != 1 else ''} for {m} employer{'s' if m != 1 else ''} "
        f"({k} file{'s' if k != 1 else ''})"
    )
    return 0
