"""`vitable-config export`: write the live plan years as config, to adopt an account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from vitable_config.cli.options import (
    api_from,
    api_options,
    connect,
    make_client,
    run_async,
    scope_from,
    scope_options,
)

EPILOG = """\b
Examples:
  vitable-config export -o config/                    # every employer, factored
  vitable-config export --flat -o config/             # one file per employer, by id
  vitable-config export --employer 'empr_acme' --product MEC -o config/
  vitable-config export --employer empr_acme --into config/   # import one employer
  vitable-config export --sandbox -o /tmp/adopted && vitable-config plan /tmp/adopted --sandbox

\b
The factored export finds the structure: plan years many employers share become
templates and rollouts over a CSV, values that vary become CSV columns, the rest
per-employer overrides or plan years (files named after the employer).
--into adds an employer's live plan years to an existing config without
duplicating what it declares. Planning the result right away shows no changes.
"""


@click.command("export", epilog=EPILOG)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the config into.",
)
@click.option(
    "--flat",
    is_flag=True,
    help="One file per employer (DIR/<employer_id>.yaml) with every plan year spelled out.",
)
@click.option(
    "--into",
    "into_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Add the --employer's live plan years to this existing config directory.",
)
@scope_options
@api_options
def command(out_dir: Path | None, flat: bool, into_dir: Path | None, **kwargs: Any) -> int:
    """Read live plan years and write them as config (templates, rollouts, CSVs)."""
    from vitable_config.errors import Problem, UserError

    if (out_dir is None) == (into_dir is None):
        raise click.UsageError("give exactly one of -o/--output DIR or --into DIR")
    if into_dir is not None and flat:
        raise click.UsageError("--flat only applies to -o/--output")
    if into_dir is not None and not kwargs.get("employers"):
        raise click.UsageError("--into needs --employer ID (the employer to import)")
    api = api_from(kwargs)
    scope = scope_from(kwargs)
    if into_dir is not None:
        from vitable_config.config import load_config

        load_config([into_dir])  # a broken config is reported before any API call
    with connect(api) as target:

        async def read() -> Any:
            from vitable_config.engine.run import export_live

            async with make_client(target, api) as client:
                plan_years = await export_live(client, scope=scope)
                products = await client.list_benefit_products() if into_dir else []
                return plan_years, {p.product_code: p.id for p in products}

        plan_years, product_ids = run_async(read())
    if into_dir is not None:
        if not plan_years:
            raise UserError(
                "no live plan years to import",
                [Problem(f"no live plan year matches --employer {' '.join(kwargs['employers'])}")],
            )
        from vitable_config.engine.importer import import_plan_years

        outcomes = import_plan_years(plan_years, into_dir, product_ids)
        for outcome in outcomes:
            click.echo(outcome.describe())
        added = sum(1 for o in outcomes if o.action != "declared")
        click.echo(
            f"Imported {added} plan year{'s' if added != 1 else ''} into {into_dir} "
            f"({len(outcomes) - added} already declared)"
        )
        return 0
    from vitable_config.engine.run import write_export

    files = write_export(plan_years, out_dir, flat=flat)  # type: ignore[arg-type]
    for path in files:
        click.echo(f"wrote {path}")
    employers = len({py.employer_id for py in plan_years})
    click.echo(
        f"Exported {len(plan_years)} plan year{'s' if len(plan_years) != 1 else ''} "
        f"for {employers} employer{'s' if employers != 1 else ''} to {out_dir} "
        f"({len(files)} file{'s' if len(files) != 1 else ''})"
    )
    return 0
