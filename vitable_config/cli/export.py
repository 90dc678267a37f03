"""`vitable-config export`: write the live plan years as config, to adopt an account."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from vitable_config.cli.options import (
    api_from,
    api_options,
    connect,
    make_client,
    scope_from,
    scope_options,
)

EPILOG = """\b
Examples:
  vitable-config export -o config/                    # every employer
  vitable-config export --employer 'empr_acme' --product MEC -o config/
  vitable-config export --sandbox -o /tmp/adopted && vitable-config plan /tmp/adopted --sandbox

\b
Planning the exported directory right away shows no changes.
"""


@click.command("export", epilog=EPILOG)
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write one config file per employer into (DIR/<employer_id>.yaml).",
)
@scope_options
@api_options
def command(out_dir: Path, **kwargs: Any) -> int:
    """Read live plan years and write them as config YAML (one file per employer)."""
    from vitable_config.engine.run import export_live, write_export

    api = api_from(kwargs)
    scope = scope_from(kwargs)
    with connect(api) as target:

        async def read() -> Any:
            async with make_client(target, api) as client:
                return await export_live(client, scope=scope)

        plan_years = asyncio.run(read())
    files = write_export(plan_years, out_dir)
    for path in files:
        click.echo(f"wrote {path}")
    click.echo(
        f"Exported {len(plan_years)} plan year{'s' if len(plan_years) != 1 else ''} "
        f"for {len(files)} employer{'s' if len(files) != 1 else ''} to {out_dir}"
    )
    return 0
