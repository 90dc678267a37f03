"""`vitable-config render`: print the fully merged plan years."""

from __future__ import annotations

import click

from vitable_config.cli.validate import var_file_option, var_option
from vitable_config.config import load_config, render_state
from vitable_config.config.cli_vars import collect_variables


@click.command("render")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--employer",
    "employers",
    multiple=True,
    metavar="GLOB",
    help="Only employers whose id matches GLOB, e.g. 'empr_r0*' (repeatable).",
)
@click.option(
    "--sources",
    is_flag=True,
    help="Show which layer (file:line:col) set each field.",
)
@var_option
@var_file_option
def command(
    paths: tuple[str, ...],
    fmt: str,
    employers: tuple[str, ...],
    sources: bool,
    assignments: tuple[str, ...],
    var_files: tuple[str, ...],
) -> int:
    """Print every plan year after layers are merged and templates rendered,
    sorted by employer, product and coverage start (no API calls).

    \b
    Example:
      vitable-config render examples/rollout --employer 'empr_r00*' --format json
      vitable-config render examples/rollout --employer empr_r003 --sources
    """
    state = load_config(list(paths), collect_variables(var_files, assignments))
    click.echo(render_state(state, fmt, list(employers), sources), nl=False)
    return 0
