"""`vitable-config sandbox` (placeholder until its issue lands)."""

from __future__ import annotations

import click

from vitable_config.errors import UserError


@click.command("sandbox")
def command() -> int:
    """Not implemented yet."""
    raise UserError("'sandbox' is not implemented yet")
