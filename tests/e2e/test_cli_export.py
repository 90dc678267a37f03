"""export: live plan years as config; planning the export shows no changes."""

from __future__ import annotations

import json

from tests.e2e.e2e_support import PY, api_args, run_cli, writes


def test_flat_export_round_trip(sandbox, write_config, tmp_path) -> None:
    cfg = write_config(
        [PY("empr_acme"), PY("empr_acme", "VD", ee=1200, er=2400), PY("empr_globex", er=50000)]
    )
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)]).code == 0
    n = len(writes(sandbox))
    out = tmp_path / "exported"
    exported = run_cli(["export", "--flat", "-o", out, *api_args(sandbox)])
    assert exported.code == 0, exported.err
    assert sorted(p.name for p in out.iterdir()) == [
        "config.schema.json",
        "empr_acme.yaml",
        "empr_globex.yaml",
    ]
    # The modeline points at the schema written beside the files, wherever they are.
    first_line = (out / "empr_acme.yaml").read_text().splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=config.schema.json"
    schema = json.loads((out / "config.schema.json").read_text())
    assert schema["title"] == "vitable-config configuration file"
    assert "Exported 4 plan years for 2 employers" in exported.out  # + globex's seeded 2026
    assert len(writes(sandbox)) == n, "export only reads"

    plan = run_cli(["plan", out, "--detailed-exitcode", "--format", "json", *api_args(sandbox)])
    assert plan.code == 0, plan.out + plan.err
    assert plan.json["summary"] == {
        "create": 0,
        "update": 0,
        "blocked": 0,
        "unchanged": 4,
        "unmanaged": 0,
    }
    assert run_cli(["validate", out]).code == 0


def test_flat_export_scope(sandbox, write_config, tmp_path) -> None:
    cfg = write_config([PY("empr_acme"), PY("empr_acme", "VD"), PY("empr_r001")])
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)]).code == 0
    out = tmp_path / "acme-mec"
    args = ["export", "--flat", "--employer", "empr_a*", "--product", "MEC", "-o", out]
    r = run_cli([*args, *api_args(sandbox)])
    assert r.code == 0, r.err
    assert sorted(p.name for p in out.iterdir()) == ["config.schema.json", "empr_acme.yaml"]
    text = (out / "empr_acme.yaml").read_text()
    assert "MEC" in text and "VD" not in text
    plan = run_cli(["plan", out, "--product", "MEC", "--detailed-exitcode", *api_args(sandbox)])
    assert plan.code == 0, plan.out
