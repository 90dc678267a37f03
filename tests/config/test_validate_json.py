"""`validate --format json`: every problem with file, line, column, message and hint."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from vitable_config.cli.main import main

from .config_helpers import write

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "schemas" / "validate.schema.json").read_text(encoding="utf-8"))


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(["validate", *args, "--format", "json"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    jsonschema.validate(report, SCHEMA)
    return code, report


def test_every_problem_is_reported_with_its_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        "employers:\n  empr_a:\n    plan_years:\n"
        "      - benefit_product: X\n        stauts: draft\n",
    )
    code, report = run_json([str(path)], capsys)
    assert code == 1
    assert report["ok"] is False and report["summary"] == "2 errors found"
    problems = report["problems"]
    assert isinstance(problems, list)
    found = {(p["file"], p["line"], p["column"]): p for p in problems}
    assert found[(str(path), 4, 26)]["message"].startswith("expected a benefit product id")
    stauts = found[(str(path), 5, 9)]
    assert stauts["message"].startswith("unknown key 'stauts'")
    assert "did you mean 'status'?" in (stauts["hint"] or "") + stauts["message"]
    assert all(p["severity"] == "error" for p in problems)


def test_a_valid_config_reports_its_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json([str(REPO / "examples" / "quickstart")], capsys)
    assert code == 0
    assert report["ok"] is True and report["problems"] == []
    assert report["plan_years"] == 2 and report["employers"] == 1
    assert report["summary"] == "OK: 2 plan years for 1 employer (1 file)"
