"""The shipped JSON Schema is current, and every example validates (CLI and schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from vitable_config.cli.main import cli
from vitable_config.config import load_config
from vitable_config.config.schema import REGENERATE, config_schema

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schemas" / "config.schema.json"
EXAMPLES = [REPO / "examples" / "quickstart", REPO / "examples" / "rollout"]
MODELINE = "# yaml-language-server: $schema=../../schemas/config.schema.json"


def test_schema_file_is_current() -> None:
    shipped = json.loads(SCHEMA_FILE.read_text())
    assert shipped == config_schema(), f"schemas/config.schema.json is stale; run: {REGENERATE}"


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(config_schema())


def _as_json(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_validates_via_cli(example: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(example)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: ")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_files_match_schema_and_have_modeline(example: Path) -> None:
    validator = jsonschema.Draft202012Validator(config_schema())
    files = sorted(example.glob("*.yaml"))
    assert files
    for file in files:
        text = file.read_text()
        assert text.splitlines()[0] == MODELINE, file
        errors = list(validator.iter_errors(_as_json(yaml.safe_load(text))))
        assert errors == [], [e.message for e in errors]


def test_schema_rejects_typos() -> None:
    validator = jsonschema.Draft202012Validator(config_schema())
    assert not validator.is_valid({"templates": {"t": {"coverge": {}}}})
    assert not validator.is_valid({"templates": {"bad name": {}}})
    assert not validator.is_valid({"employers": {"acme": {}}})
    assert validator.is_valid({"employers": {"empr_acme": {"name": "Acme"}}})
    assert not validator.is_valid(
        {"employers": {"empr_a": {"plan_years": [{"contribution_classes": {"ft": {"XX": {}}}}]}}}
    )
    assert validator.is_valid(
        {
            "rollouts": [
                {
                    "name": "w",
                    "template": "t",
                    "employers": {"list": ["empr_a", {"employer_id": "empr_b"}]},
                }
            ]
        }
    )


def test_quickstart_content() -> None:
    state = load_config([EXAMPLES[0]])
    assert sorted(str(py.key) for py in state.plan_years) == [
        "empr_acme/MEC/2032-01-01",
        "empr_acme/VD/2032-01-01",
    ]
    for py in state.plan_years:
        assert {e for e, _ in py.contribution_classes} == {"full_time", "part_time"}
        assert (py.open_enrollment_start.isoformat(), py.open_enrollment_end.isoformat()) == (
            "2031-11-01",
            "2031-11-15",
        )


def test_rollout_example_content() -> None:
    state = load_config([EXAMPLES[1]])
    employers = state.employer_ids
    assert {f"empr_r{i:03d}" for i in range(1, 31)} <= employers
    assert "empr_globex" in employers
    overridden = [
        py
        for py in state.plan_years
        if any(src.kind == "employer" for src in py.provenance.values())
    ]
    assert {py.employer_id for py in overridden} == {"empr_r003", "empr_r007"}
