"""Command-line entry point.

Each command lives in its own small module and calls the library; this module
only assembles them; :mod:`vitable_config.cli.exits` maps errors to exit codes
for every entry point (user errors 1, usage errors 1, interrupt 130, bugs 3 with a
crash log).
"""

from __future__ import annotations

import importlib
import sys

import click

from vitable_config import __version__
from vitable_config.cli.exits import run
from vitable_config.cli.style import no_color_option

# Each command's module is imported only when that command runs (or for --help), so
# `validate` does not pay for the HTTP client and `plan` does not pay for the server.
COMMAND_MODULES: dict[str, str] = {
    "validate": "vitable_config.cli.validate",
    "render": "vitable_config.cli.render",
    "plan": "vitable_config.cli.plan",
    "apply": "vitable_config.cli.apply",
    "show": "vitable_config.cli.show",
    "export": "vitable_config.cli.export",
    "sandbox": "vitable_config.cli.sandbox",
    "gitops": "vitable_config.gitops.cli",
}


class LazyGroup(click.Group):
    """A click group whose commands are the ``command`` attribute of their module."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if module is None:
            return None
        command: click.Command = importlib.import_module(module).command
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vitable-config")
@no_color_option
def cli() -> None:
    """Declarative configuration-as-code for the Vitable Connect benefits API.

    \b
    Quick start (no account needed):
      vitable-config plan examples/quickstart --sandbox
      vitable-config apply examples/quickstart --sandbox --auto-approve
    """


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (see :mod:`vitable_config.cli.exits`)."""
    return run(cli, argv, "vitable-config")


def entry() -> None:  # pragma: no cover - thin wrapper for console_scripts
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
