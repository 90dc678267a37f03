"""`vitable-config show PLANFILE`: a saved plan, looked at without applying it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.e2e.e2e_support import PY, REPO, api_args, run_cli


def test_show_prints_the_saved_plan_in_every_format_without_calling_the_api(
    sandbox, write_config, tmp_path: Path
) -> None:
    cfg = write_config([PY("empr_acme"), PY("empr_acme", "VD", ee=1200, er=2400)])
    saved = tmp_path / "plan.json"
    made = run_cli(["plan", cfg, "--out", saved, *api_args(sandbox)])
    assert made.code == 0, made.err
    calls = len(sandbox.request_log)

    text = run_cli(["show", saved])
    assert text.code == 0, text.err
    first, *rest = text.out.splitlines()
    assert first.startswith(f"Saved plan {saved}: made ")
    assert "(just now) against " + sandbox.base_url in first
    assert "\n".join(rest) == made.out.rstrip("\n")  # the same plan text as when it was made

    as_json = run_cli(["show", saved, "--format", "json"])
    assert as_json.code == 0, as_json.err
    schema = json.loads((REPO / "schemas" / "plan.schema.json").read_text())
    jsonschema.validate(as_json.json, schema)
    assert as_json.json["summary"]["create"] == 2
    assert "Saved plan" in as_json.err  # the header never mixes into the JSON

    markdown = run_cli(["show", saved, "--format", "markdown"])
    assert markdown.code == 0
    assert markdown.out.startswith("## vitable-config plan")

    assert len(sandbox.request_log) == calls, "show must not call the API"


def test_show_of_a_file_that_is_not_a_plan_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{"changes": []}', encoding="utf-8")
    result = run_cli(["show", bad])
    assert result.code == 1
    assert "is not a saved plan (no format_version)" in result.err
    assert "Traceback" not in result.err
    missing = run_cli(["show", tmp_path / "nope.json"])
    assert missing.code == 1 and "nope.json" in missing.err
