"""`plan --help` / `apply --help` group their options (scope, safety, variables, API)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from vitable_config.cli.main import cli

GROUPS = ("Scope:", "Safety:", "Variables:", "API connection:", "Requests:")


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_options_are_grouped_in_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    positions = [lines.index(group) for group in GROUPS]
    assert positions == sorted(positions)  # every group present, in this order
    # each option sits under its group
    assert lines.index("Scope:") < _line(lines, "--employer GLOB") < lines.index("Safety:")
    assert lines.index("API connection:") < _line(lines, "--sandbox") < lines.index("Requests:")


def _line(lines: list[str], start: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(start))
