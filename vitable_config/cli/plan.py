"""`vitable-config plan`: show what apply would change in the live API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from vitable_config import collector
from vitable_config.cli.options import (
    api_from,
    api_options,
    connect,
    plan_live,
    run_async,
    safety_from,
    safety_options,
    scope_from,
    scope_options,
    text_style,
    var_options,
    variables_from,
)
from vitable_config.cli.policy_options import headcount_from, headcount_option, refuse_denied
from vitable_config.cli.style import no_color_option
from vitable_config.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK

EPILOG = """\b
Examples:
  vitable-config plan examples/quickstart --sandbox
  vitable-config plan config/ --format markdown > plan.md
  vitable-config plan config/ --out plan.json --detailed-exitcode
  vitable-config plan config/ --employer 'empr_r0*' --product MEC --shard 2/4

\b
Exit codes: 0 success. With --detailed-exitcode: 0 in sync, 2 changes
pending, 1 error -- including blocked changes, which can never apply, and
managed plan years with more than one live plan year (duplicates).
Without it, blocked changes and pending changes both exit 0, as in
Terraform; use --detailed-exitcode in CI.
"""


@click.command("plan", epilog=EPILOG)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output format (json is versioned, see docs/plan-format.md).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the plan to FILE, for `vitable-config apply FILE`.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when in sync, 2 when changes are pending, 1 on errors or blocked changes.",
)
@no_color_option
@headcount_option
@scope_options
@safety_options
@var_options
@api_options
def command(
    paths: tuple[str, ...], fmt: str, out: Path | None, detailed_exitcode: bool, **kwargs: Any
) -> int:
    """Compare the configuration in PATH... with the live API and show the changes.

    PATH is a config file or a directory of *.yaml files. Nothing is written
    to the API. The plan goes to stdout; logs and errors to stderr.
    """
    with collector.paused():
        return _command(paths, fmt, out, detailed_exitcode, kwargs)


def _command(
    paths: tuple[str, ...], fmt: str, out: Path | None, detailed_exitcode: bool, kwargs: Any
) -> int:
    from vitable_config.config import load_config
    from vitable_config.engine.safety import check_safety

    api = api_from(kwargs)
    scope = scope_from(kwargs)
    safety = safety_from(kwargs)
    variables = variables_from(kwargs)
    headcount = headcount_from(kwargs)
    state = load_config(list(paths), variables)  # bad config fails before any API call
    with connect(api) as target:
        plan = run_async(plan_live(state, target, api, scope, headcount, list(paths), variables))

    if fmt == "json":
        from vitable_config.engine.render.json import render_json

        text = render_json(plan)
    elif fmt == "markdown":
        from vitable_config.engine.render.markdown import render_markdown

        text = render_markdown(plan)
    else:
        from vitable_config.engine.render.text import render_text

        text = render_text(plan, style=text_style())
    click.echo(text, nl=not text.endswith("\n"))
    refused = refuse_denied(plan)  # a deny rule fails the run, under any exit-code mode
    if refused is not None:
        return refused

    verdict = check_safety(plan, safety)
    if not verdict.allowed:
        click.echo(f"error: {verdict.message}", err=True)
        return EXIT_ERROR
    if verdict.forced:
        click.echo(f"warning: {verdict.message}", err=True)
    if out is not None:
        from vitable_config.engine.saved import save_plan

        save_plan(plan, out)
        click.echo(f"Saved the plan to {out}; apply it with: vitable-config apply {out}", err=True)
    if plan.duplicates:
        n = len(plan.duplicates)
        click.echo(
            f"{'error' if detailed_exitcode else 'warning'}: {n} managed plan year"
            f"{'s have' if n != 1 else ' has'} more than one live plan year (see the plan); "
            "apply will not write to them",
            err=True,
        )
    if plan.has_blocked:
        n = plan.count("blocked")
        click.echo(
            f"{'error' if detailed_exitcode else 'warning'}: {n} blocked change"
            f"{'s' if n != 1 else ''} can never be applied (see the plan)",
            err=True,
        )
    if not detailed_exitcode:
        return EXIT_OK
    if plan.has_blocked or plan.duplicates:
        return EXIT_ERROR
    return EXIT_CHANGES if plan.has_changes else EXIT_OK
