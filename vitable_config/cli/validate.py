"""`vitable-config validate` (placeholder until its issue lands)."""

from __future__ import annotations

import click

from vitable_config.errors import UserError


@click.command("validate")
def command() -> int:
    """Not implemented yet."""
    raise UserError("'validate' is not implemented yet")
