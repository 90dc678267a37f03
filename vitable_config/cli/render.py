"""`vitable-config render` (placeholder until its issue lands)."""

from __future__ import annotations

import click

from vitable_config.errors import UserError


@click.command("render")
def command() -> int:
    """Not implemented yet."""
    raise UserError("'render' is not implemented yet")
