"""Command-line entry point.

Each command lives in its own small module and calls the library; this module
only assembles them and maps errors to exit codes, in one place:

* :class:`~vitable_config.errors.UserError` (and API errors the user can act on)
  → message on stderr, exit 1, no traceback;
* click usage errors → exit 1 (not click's 2, which ``--detailed-exitcode`` uses
  for "changes pending");
* ``KeyboardInterrupt`` → exit 130.
"""

from __future__ import annotations

import sys

import click

from vitable_config import __version__
from vitable_config.api.errors import (
    ApiError,
    InsecureTransportError,
    OutcomeUnknownError,
    TransportError,
)
from vitable_config.cli import apply as apply_cmd
from vitable_config.cli import export as export_cmd
from vitable_config.cli import plan as plan_cmd
from vitable_config.cli import render as render_cmd
from vitable_config.cli import sandbox as sandbox_cmd
from vitable_config.cli import validate as validate_cmd
from vitable_config.errors import UserError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vitable-config")
def cli() -> None:
    """Declarative configuration-as-code for the Vitable Connect benefits API.

    \b
    Quick start (no account needed):
      vitable-config plan examples/quickstart --sandbox
      vitable-config apply examples/quickstart --sandbox --auto-approve
    """


cli.add_command(validate_cmd.command)
cli.add_command(render_cmd.command)
cli.add_command(plan_cmd.command)
cli.add_command(apply_cmd.command)
cli.add_command(export_cmd.command)
cli.add_command(sandbox_cmd.command)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (the one place errors become codes)."""
    try:
        result = cli.main(args=argv, prog_name="vitable-config", standalone_mode=False)
    except UserError as exc:
        click.echo(exc.format(), err=True)
        return 1
    except (ApiError, TransportError, OutcomeUnknownError, InsecureTransportError) as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        # Usage errors (a mistyped flag) exit 1, never click's 2: with
        # --detailed-exitcode, 2 means "changes pending" and a typo must not pass CI.
        exc.show()
        return 1
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    return result if isinstance(result, int) else 0


def entry() -> None:  # pragma: no cover - thin wrapper for console_scripts
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
