"""`vitable-config apply` (placeholder until its issue lands)."""

from __future__ import annotations

import click

from vitable_config.errors import UserError


@click.command("apply")
def command() -> int:
    """Not implemented yet."""
    raise UserError("'apply' is not implemented yet")
