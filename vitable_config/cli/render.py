"""`vitable-config render`: print the fully merged plan years."""

from __future__ import annotations

from typing import Any

import click

from vitable_config.cli.variables import var_options, variables_from
from vitable_config.config import load_config, render_state


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
@var_options
def command(
    paths: tuple[str, ...],
    fmt: str,
    employers: tuple[str, ...],
    sources: bool,
    **kwargs: Any,
) -> int:
    """Print every plan year after layers are merged and templates rendered,
    sorted by employer, product and coverage start (no API calls).

    \b
    Example:
      vitable-config render examples/rollout --employer 'empr_r00*' --format json
      vitable-config render examples/rollout --employer empr_r003 --sources
    """
    state = load_config(list(paths), variables_from(kwargs))
    click.echo(render_state(state, fmt, list(employers), sources), nl=False)
    return 0
