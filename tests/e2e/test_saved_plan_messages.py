"""Messages about saved plans say what happened: a plan applied twice says it was already
applied; a broken plan file says why it cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.e2e_support import PY, api_args, run_cli, writes


def test_reapplying_an_applied_plan_says_it_was_already_applied(
    sandbox, write_config, tmp_path: Path
) -> None:
    cfg = write_config([PY("empr_acme"), PY("empr_acme", "VD", ee=1200, er=2400)])
    saved = tmp_path / "plan.json"
    assert run_cli(["plan", cfg, "--out", saved, *api_args(sandbox)]).code == 0
    first = run_cli(["apply", saved, "--auto-approve", *api_args(sandbox)])
    assert first.code == 0, first.err
    n = len(writes(sandbox))
    again = run_cli(["apply", saved, "--auto-approve", *api_args(sandbox)])
    assert again.code == 1
    assert "it has already been applied — all 2 of its changes are live" in again.err
    assert "was created since the plan was made" not in again.err
    assert len(writes(sandbox)) == n


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("not json", "is not valid JSON (cut short or edited by hand?)"),
        ('{"format_version": 1}', "it has no 'changes' field"),
        ('{"format_version": 1, "changes": 5}', "a field has the wrong type or value"),
        ('{"changes": []}', "is not a saved plan (no format_version)"),
        ('{"format_version": 99, "changes": []}', "unsupported plan format_version 99"),
    ],
)
def test_a_broken_plan_file_says_why(sandbox, tmp_path: Path, content: str, said: str) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text(content, encoding="utf-8")
    for command in (["apply", bad, "--auto-approve", *api_args(sandbox)], ["show", bad]):
        result = run_cli(command)
        assert result.code == 1
        assert said in result.err, result.err
        assert "Traceback" not in result.err
        assert not result.err.rstrip().endswith("cannot load saved plan")
    assert writes(sandbox) == []
