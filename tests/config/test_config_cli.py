"""`validate` and `render` through the real CLI (CliRunner and main())."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vitable_config.cli.main import cli, main

from .config_helpers import BASE_TEMPLATE, write

REPO = Path(__file__).resolve().parents[2]


def rollout_dir(tmp_path: Path) -> Path:
    write(
        tmp_path,
        "c.yaml",
        BASE_TEMPLATE
        + """
rollouts:
  - name: wave-1
    template: standard-2027
    employers: {list: [empr_r001, empr_r002]}
""",
    )
    return tmp_path


def test_validate_ok_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["validate", str(rollout_dir(tmp_path)), "--var", "ee_employer_cents=100"]
    )
    assert result.exit_code == 0, result.output
    assert result.output == "OK: 2 plan years for 2 employers (1 file)\n"


def test_validate_reports_all_errors_exit_1_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        "employers:\n  empr_a:\n    plan_years:\n"
        "      - benefit_product: X\n        stauts: draft\n",
    )
    code = main(["validate", str(path)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert f"{path}:4:26: error: expected a benefit product id" in captured.err
    assert f"{path}:5:9: error: unknown key 'stauts'" in captured.err
    assert "did you mean 'status'?" in captured.err
    assert "2 errors found" in captured.err
    assert "Traceback" not in captured.err


def test_undefined_variable_via_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(rollout_dir(tmp_path))])
    err = capsys.readouterr().err
    assert code == 1
    assert "undefined variable: 'ee_employer_cents' is undefined" in err
    assert "for employer empr_r001 via rollout wave-1 (template standard-2027) (and 1 more)" in err
    assert "Traceback" not in err


def test_var_file_and_var_precedence(tmp_path: Path) -> None:
    config = rollout_dir(tmp_path / "cfg")
    vars_file = write(tmp_path, "vars.yaml", "ee_employer_cents: 111\n")
    runner = CliRunner()
    args = ["render", str(config), "--format", "json", "--var-file", str(vars_file)]
    out = json.loads(runner.invoke(cli, args).output)
    assert out["plan_years"][0]["contribution_classes"]["full_time"]["EE"] == {
        "employee_contribution_cents": 12000,
        "employer_contribution_cents": 111,
    }
    out = json.loads(runner.invoke(cli, [*args, "--var", "ee_employer_cents=222"]).output)
    assert (
        out["plan_years"][0]["contribution_classes"]["full_time"]["EE"][
            "employer_contribution_cents"
        ]
        == 222
    )


@pytest.mark.parametrize("bad", ["novalue", "1x=2", "=3"])
def test_bad_var_syntax(tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(rollout_dir(tmp_path)), "--var", bad])
    err = capsys.readouterr().err
    assert code == 1 and f"--var {bad!r} is not NAME=VALUE" in err


def test_bad_var_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vars_file = write(tmp_path, "v.yaml", "- a\n")
    code = main(["validate", str(rollout_dir(tmp_path / "c")), "--var-file", str(vars_file)])
    assert code == 1 and "a --var-file must be a YAML mapping" in capsys.readouterr().err


def test_render_sorted_yaml_with_employer_filter(tmp_path: Path) -> None:
    config = rollout_dir(tmp_path)
    result = CliRunner().invoke(
        cli, ["render", str(config), "--var", "ee_employer_cents=5", "--employer", "empr_r00[2]"]
    )
    assert result.exit_code == 0, result.output
    assert "employer_id: empr_r002" in result.output
    assert "empr_r001" not in result.output
    result = CliRunner().invoke(cli, ["render", str(config), "--var", "ee_employer_cents=5"])
    assert result.output.index("empr_r001") < result.output.index("empr_r002")
    assert "rollout: wave-1" in result.output and "template: standard-2027" in result.output


@pytest.mark.parametrize("command", ["validate", "render"])
def test_help_has_example(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and f"vitable-config {command} examples/" in result.output


def test_render_example_is_reviewable() -> None:
    result = CliRunner().invoke(
        cli, ["render", str(REPO / "examples" / "rollout"), "--employer", "empr_r003"]
    )
    assert result.exit_code == 0, result.output
    assert "employer_contribution_cents: 50000" in result.output  # the override


def test_render_sources_names_each_layer() -> None:
    result = CliRunner().invoke(
        cli,
        ["render", str(REPO / "examples" / "rollout"), "--employer", "empr_r003", "--sources"],
    )
    assert result.exit_code == 0, result.output
    mec = result.output[result.output.index("benefit_product: bprd_mec") :]
    assert "contribution_classes.full_time.EE.employer: employer override (" in mec
    assert "contribution_classes.full_time.EE.employee: template standard-2032 (" in mec
    assert "open_enrollment.start: defaults (" in mec
