"""`vitable-config export` (placeholder until its issue lands)."""

from __future__ import annotations

import click

from vitable_config.errors import UserError


@click.command("export")
def command() -> int:
    """Not implemented yet."""
    raise UserError("'export' is not implemented yet")
