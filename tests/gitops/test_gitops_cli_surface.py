"""Onboarding surface: shell completion, --version, an example in every --help."""

from __future__ import annotations

import os
import subprocess

import click
import pytest

from tests.gitops.gitops_support import BIN_DIR, VITABLE_CONFIG
from vitable_config import __version__
from vitable_config.cli.main import cli, main


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _vitable_config_completion vitable-config"),
        ("zsh", "#compdef vitable-config"),
        ("fish", "complete --no-files --command vitable-config"),
    ],
)
def test_completion_script_is_generated(shell: str, marker: str) -> None:
    result = subprocess.run(
        [str(VITABLE_CONFIG)],
        env=_env(_VITABLE_CONFIG_COMPLETE=f"{shell}_source"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout


def test_bash_completion_completes_commands_and_choices() -> None:
    """Source the generated script in a real bash and ask it to complete."""
    script = """
eval "$(_VITABLE_CONFIG_COMPLETE=bash_source vitable-config)"
COMPREPLY=(); COMP_WORDS=(vitable-config pl); COMP_CWORD=1
_vitable_config_completion vitable-config
echo "commands: ${COMPREPLY[*]}"
COMPREPLY=(); COMP_WORDS=(vitable-config plan --format ''); COMP_CWORD=3
_vitable_config_completion vitable-config
echo "formats: ${COMPREPLY[*]}"
"""
    result = subprocess.run(
        ["bash", "-c", script], env=_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "commands: plan" in result.stdout
    assert "formats: text json markdown" in result.stdout


def test_version() -> None:
    result = subprocess.run(
        [str(VITABLE_CONFIG), "--version"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"vitable-config, version {__version__}"


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path, through list_commands/get_command (the CLI loads lazily)."""
    ctx = click.Context(group)
    found: list[tuple[str, ...]] = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        path = (*prefix, name)
        found.append(path)
        if isinstance(cmd, click.Group):
            found.extend(_commands(cmd, path))
    return found


ALL_COMMANDS = _commands(cli)


def test_the_command_walk_finds_every_command() -> None:
    for path in [("validate",), ("render",), ("plan",), ("apply",), ("export",), ("sandbox",)]:
        assert path in ALL_COMMANDS
    assert ("sandbox", "serve") in ALL_COMMANDS


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(p))
def test_every_command_help_has_an_example(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Example" in out, f"`vitable-config {' '.join(path)} --help` has no example"
    assert f"vitable-config {' '.join(path)}" in out  # the example uses this very command
