"""The one place errors become exit codes (vitable_config.cli.main)."""

from __future__ import annotations

import pytest

from vitable_config import __version__
from vitable_config.cli.main import main


def test_usage_error_exits_1_not_2(capsys: pytest.CaptureFixture[str]) -> None:
    # 2 means "changes pending" under --detailed-exitcode: a typo must never look like that.
    assert main(["plan", "--no-such-flag", "examples/quickstart"]) == 1
    err = capsys.readouterr().err
    assert "No such option" in err and "Traceback" not in err


def test_unknown_command_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plna"]) == 1
    assert "No such command" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_top_level_python_api_names_resolve() -> None:
    import vitable_config
    from vitable_config.engine import run

    for name in vitable_config.__all__:
        assert getattr(vitable_config, name) is not None
    assert vitable_config.plan_config is run.plan_config
    with pytest.raises(AttributeError):
        _ = vitable_config.no_such_name


def test_help_lists_commands_without_importing_them() -> None:
    """`vitable-config --help` imports none of the commands' heavy dependencies, and
    its command list is exactly what click writes from the commands themselves."""
    import subprocess
    import sys as _sys

    code = (
        "import sys\n"
        "from vitable_config.cli.main import main\n"
        "main(['--help'])\n"
        "heavy = ('pydantic', 'httpx', 'fastapi', 'jinja2', 'yaml', 'deepdiff', 'uvicorn')\n"
        "print('LOADED', sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    done = subprocess.run(
        [_sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "LOADED []" in done.stdout, done.stdout

    import importlib

    import click

    from vitable_config.cli.main import COMMAND_HELP, COMMAND_MODULES, cli

    for name, module in COMMAND_MODULES.items():
        command = importlib.import_module(module).command
        assert COMMAND_HELP[name] == command.get_short_help_str(limit=10_000), name
    ctx = click.Context(cli, info_name="vitable-config")
    ours, theirs = click.HelpFormatter(), click.HelpFormatter()
    cli.format_commands(ctx, ours)
    click.Group.format_commands(cli, ctx, theirs)
    assert ours.getvalue() == theirs.getvalue()
