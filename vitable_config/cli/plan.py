"""`vitable-config plan` (placeholder until its issue lands)."""

from __future__ import annotations

import click

from vitable_config.errors import UserError


@click.command("plan")
def command() -> int:
    """Not implemented yet."""
    raise UserError("'plan' is not implemented yet")
