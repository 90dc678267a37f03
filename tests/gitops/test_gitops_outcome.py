"""Exit code → check status mapping the workflows rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitable_config.gitops.cli import main
from vitable_config.gitops.outcome import PlanOutcome, combine, outcome_for_exit_code


@pytest.mark.parametrize(
    ("code", "outcome", "passes"),
    [
        (0, PlanOutcome.IN_SYNC, True),
        (2, PlanOutcome.CHANGES, True),
        (1, PlanOutcome.ERROR, False),
        (3, PlanOutcome.ERROR, False),
        (130, PlanOutcome.ERROR, False),
        (-9, PlanOutcome.ERROR, False),
    ],
)
def test_exit_code_mapping(code: int, outcome: PlanOutcome, passes: bool) -> None:
    assert outcome_for_exit_code(code) is outcome
    assert outcome.check_passes is passes


def test_combine_takes_the_worst_and_refuses_nothing() -> None:
    assert combine([PlanOutcome.IN_SYNC, PlanOutcome.CHANGES]) is PlanOutcome.CHANGES
    assert combine([PlanOutcome.CHANGES, PlanOutcome.ERROR, PlanOutcome.IN_SYNC]) is (
        PlanOutcome.ERROR
    )
    assert combine([PlanOutcome.IN_SYNC]) is PlanOutcome.IN_SYNC
    assert combine([]) is PlanOutcome.ERROR


def _rundir(tmp_path: Path, name: str, code: str | None) -> Path:
    d = tmp_path / name
    d.mkdir()
    if code is not None:
        (d / "exit-code").write_text(code + "\n")
    (d / "plan.md").write_text("## plan\n")
    return d


@pytest.mark.parametrize(
    ("codes", "expected_exit", "expected_outcome"),
    [
        (["0"], 0, "in-sync"),
        (["2"], 0, "changes"),
        (["1"], 1, "error"),
        (["0", "2"], 0, "changes"),
        (["2", "1"], 1, "error"),
        ([None], 1, "error"),  # step cancelled before writing its exit code
        (["garbage"], 1, "error"),
    ],
)
def test_check_command_exit_and_github_output(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    codes: list[str | None],
    expected_exit: int,
    expected_outcome: str,
) -> None:
    dirs = [str(_rundir(tmp_path, f"shard-{i}", c)) for i, c in enumerate(codes)]
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["check", *dirs]) == expected_exit
    assert f"outcome={expected_outcome}" in output.read_text()
    out = capsys.readouterr()
    assert f"overall: {expected_outcome}" in out.out
    if expected_exit:
        assert "::error title=vitable-config plan::" in out.out
        assert "Plan failed" in out.err
        assert "Traceback" not in out.err


def test_check_missing_directory_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert "no such plan run directory" in err and "run-plan.sh" in err
