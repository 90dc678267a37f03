"""The one place where exceptions become exit codes, for every entry point.

``vitable-config …``, ``vitable-config gitops …`` and ``python -m
vitable_config.gitops`` all run through :func:`run`:

* :class:`~vitable_config.errors.UserError` (API and transport errors included)
  → its message on stderr, exit 1, no traceback;
* click usage errors (a mistyped flag) → exit 1, never click's 2, which
  ``--detailed-exitcode`` uses for "changes pending";
* ``KeyboardInterrupt`` → exit 130;
* anything else is a bug: one line on stderr saying so and where the crash log
  is, the traceback in that log file (as pre-commit does), exit 3 — never a bare
  traceback, and never the API key (the log text is redacted).
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click

from vitable_config.errors import (
    EXIT_BUG,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UserError,
)

CRASH_LOG_ENV = "VITABLE_CONFIG_CRASH_LOG"
ISSUES_HINT = "please report it with the crash log (it contains no API key)"


def crash_log_path() -> Path:
    """Where a crash log goes: ``$VITABLE_CONFIG_CRASH_LOG``, else the user cache dir."""
    explicit = os.environ.get(CRASH_LOG_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vitable-config" / "crash.log"


def _redact_secrets(text: str, argv: Sequence[str] | None = None) -> str:
    """Remove the API key (from the environment or ``--api-key`` in ``argv``) from
    ``text``, in any case or encoding (:func:`vitable_config.api.redaction.redact`)."""
    from vitable_config.api.redaction import redact

    keys = [os.environ.get("VITABLE_CONNECT_API_KEY", "")]
    args = list(argv or ())
    for i, arg in enumerate(args):
        if arg == "--api-key" and i + 1 < len(args):
            keys.append(args[i + 1])
        elif arg.startswith("--api-key="):
            keys.append(arg.removeprefix("--api-key="))
    return redact(text, [k.strip() for k in keys if k.strip()], marker="***")


def write_crash_log(exc: BaseException, argv: Sequence[str] | None) -> Path | None:
    """Write the traceback and the environment's facts (never secrets); its path, or None."""
    from vitable_config import __version__

    body = "".join(traceback.format_exception(exc))
    args = " ".join(a for a in (argv if argv is not None else sys.argv[1:]))
    text = (
        f"### vitable-config crash log\n"
        f"time: {datetime.now(UTC).isoformat()}\n"
        f"version: {__version__}\n"
        f"python: {sys.version.split()[0]} on {platform.platform()}\n"
        f"command: {args}\n\n{body}"
    )
    text = _redact_secrets(text, argv if argv is not None else sys.argv[1:])
    path = crash_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path
    except OSError:
        try:
            fd, name = tempfile.mkstemp(prefix="vitable-config-crash-", suffix=".log")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            return Path(name)
        except OSError:
            return None


def run(command: click.Command, argv: list[str] | None, prog_name: str) -> int:
    """Run a click command and return its exit code (the one mapping)."""
    try:
        result = command.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except UserError as exc:
        click.echo(exc.format(), err=True)
        return EXIT_ERROR
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_ERROR
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: say so, keep the traceback in a file
        path = write_crash_log(exc, argv)
        where = f"; crash log: {path}" if path else ""
        click.echo(
            f"error: unexpected {type(exc).__name__} — this is a bug in vitable-config{where}; "
            f"{ISSUES_HINT}",
            err=True,
        )
        return EXIT_BUG
    return result if isinstance(result, int) else EXIT_OK
