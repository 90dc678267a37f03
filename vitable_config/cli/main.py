"""Command-line entry point.

Each command lives in its own small module and calls the library; this module
only assembles them; :mod:`vitable_config.cli.exits` maps errors to exit codes
for every entry point (user errors 1, usage errors 1, interrupt 130, bugs 3 with a
crash log).
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
# Each command's one-line help, so that `vitable-config --help` lists the commands
# without importing them (pydantic, httpx, FastAPI...). A test keeps these equal to
# the commands' own help.
COMMAND_HELP: dict[str, str] = {
    "validate": "Check config files: schema, layers, templates and dates.",
    "render": "Print every plan year after layers are merged and templates rendered, "
    "sorted by employer, product and coverage start (no API calls).",
    "plan": "Compare the configuration in PATH... with the live API and show the changes.",
    "apply": "Create and update plan years so the live API matches PATH...",
    "show": "Show a saved plan (made with `plan --out FILE`) without applying it.",
    "export": "Read live plan years and write them as config (templates, rollouts, CSVs).",
    "sandbox": "Run a local sandbox of the Vitable Connect API (no account needed).",
    "gitops": "Helpers for CI workflows: PR comment, comment lookup, check status.",
}


class LazyGroup(click.Group):
    """A click group whose commands are the ``command`` attribute of their module."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, as click writes it, from :data:`COMMAND_HELP`."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            known = COMMAND_HELP.get(name)
            command = click.Command(name, help=known) if known else self.get_command(ctx, name)
            if command is not None:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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


# The cyclic garbage collector's first threshold while a command runs (Python's
# default is 700). A run builds hundreds of thousands of long-lived objects (config,
# live state, plan) and almost no cyclic garbage, so at the default every few hundred
# allocations start a collection that traverses the young objects, and every ~100 a
# full one over everything alive: ~12% of a 2,000-plan-year plan's CPU time.
GC_THRESHOLD = 10_000


@contextmanager
def _collect_less() -> Iterator[None]:
    """Raise the collector's first threshold for one run; restore the caller's after."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], GC_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (see :mod:`vitable_config.cli.exits`)."""
    with _collect_less():
        return run(cli, argv, "vitable-config")


def entry() -> None:  # pragma: no cover - thin wrapper for console_scripts
    code = main()
    _exit_now(code)
    sys.exit(code)


def _exit_now(code: int) -> None:
    """End the process without the interpreter's teardown (freeing every module of
    pydantic, httpx, click...: ~55 ms, 5-10% of a plan) once it has nothing left to do:
    stdout and stderr are flushed and the exit handlers run here. Returns instead (the
    caller then exits as Python does) while a non-daemon thread is still running, when
    flushing fails (a closed pipe: Python's own exit reports it, as before), or under a
    profiler or debugger (``python -m cProfile``/``pyinstrument -m vitable_config``)."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return  # a profiler or debugger reports after the program returns: let it
    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon and t.is_alive() for t in threading.enumerate()):
        return
    if not _flushed():
        return
    atexit._run_exitfuncs()  # each handler runs once: this also clears them
    if _flushed():
        os._exit(code)


def _flushed() -> bool:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return False
    return True


if __name__ == "__main__":  # pragma: no cover
    entry()
