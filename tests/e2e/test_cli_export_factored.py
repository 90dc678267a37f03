"""export (factored, the default) and export --into (import one employer), through
the CLI against the sandbox: the output validates and planning it shows no changes."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

from tests.e2e.e2e_support import PY, REPO, api_args, run_cli, writes

NO_CHANGES = {"create": 0, "update": 0, "blocked": 0}
# The examples move with the calendar: read their plan year instead of spelling it.
EXAMPLE_YEAR = int(
    re.search(r"plan_year: (\d{4})", (REPO / "examples/rollout/vitable.yaml").read_text())[1]
)
Y = EXAMPLE_YEAR
EXAMPLE_FILES = sorted(p.name for p in (REPO / "examples" / "rollout").iterdir())


def _plan_summary(sandbox, *paths: Path, extra: tuple[str, ...] = ()) -> dict[str, int]:
    plan = run_cli(
        ["plan", *paths, "--detailed-exitcode", "--format", "json", *extra, *api_args(sandbox)]
    )
    assert plan.code == 0, plan.out + plan.err
    return plan.json["summary"]


def _copy_rollout_example(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    shutil.copytree(REPO / "examples" / "rollout", config)
    return config


def test_factored_export_of_the_rollout_example_plans_no_changes(sandbox, tmp_path) -> None:
    example = REPO / "examples" / "rollout"
    assert run_cli(["apply", example, "--auto-approve", *api_args(sandbox)]).code == 0
    n = len(writes(sandbox))
    out = tmp_path / "adopted"
    exported = run_cli(["export", "-o", out, *api_args(sandbox)])
    assert exported.code == 0, exported.err
    assert len(writes(sandbox)) == n, "export only reads"
    names = sorted(p.name for p in out.iterdir())
    # 30 MEC plan years share one template (the employer share varies: a CSV column);
    # employers with their own offering get a file named after them, id inside.
    assert "vitable.yaml" in names and "employers.csv" in names, names
    assert not any(name.startswith("empr_") for name in names), names
    main = (out / "vitable.yaml").read_text()
    assert main.startswith("# yaml-language-server: $schema=config.schema.json\n")
    assert f"mec-{Y}:" in main and "{{ " in main
    header = next(csv.reader((out / "employers.csv").open()))
    assert header[:2] == ["employer_id", "employer_name"] and len(header) > 2
    globex = (out / "globex.yaml").read_text()
    assert "empr_globex:" in globex and "name: Globex" in globex
    assert run_cli(["validate", out]).code == 0
    summary = _plan_summary(sandbox, out)
    assert {k: summary[k] for k in NO_CHANGES} == NO_CHANGES
    assert summary["unchanged"] == 37 and summary["unmanaged"] == 0  # 30 + 5 + globex's 2


def test_factored_export_of_a_uniform_account_is_a_few_files(sandbox, write_config, tmp_path):
    cfg = write_config(
        [PY(f"empr_r{i:03d}") for i in range(1, 21)]
        + [PY(f"empr_r{i:03d}", "VD", ee=1200, er=2400) for i in range(1, 21)]
    )
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)]).code == 0
    out = tmp_path / "adopted"
    r = run_cli(["export", "--employer", "empr_r0*", "-o", out, *api_args(sandbox)])
    assert r.code == 0, r.err
    assert sorted(p.name for p in out.iterdir()) == [
        "config.schema.json",
        "employers.csv",
        "vitable.yaml",
    ]
    assert "(3 files)" in r.out
    summary = _plan_summary(sandbox, out, extra=("--employer", "empr_r0*"))
    assert summary == {**NO_CHANGES, "unchanged": 40, "unmanaged": 0}


def test_import_an_employer_that_matches_a_rollout_adds_a_csv_row(sandbox, tmp_path) -> None:
    config = _copy_rollout_example(tmp_path)
    assert run_cli(["apply", config, "--auto-approve", *api_args(sandbox)]).code == 0
    # Acme's live MEC plan year is what wave-1 gives an employer paying $330.00 for EE.
    acme_only = tmp_path / "acme.yaml"
    acme_only.write_text(
        (config / "vitable.yaml").read_text().split("rollouts:")[0] + "employers:\n  empr_acme:\n"
        "    variables: {ee_employer_cents: 33000, part_time_share: 0.5}\n"
        f"    plan_years: [{{template: standard-{Y}}}]\n",
        encoding="utf-8",
    )
    assert run_cli(["apply", acme_only, "--auto-approve", *api_args(sandbox)]).code == 0
    before_csv = (config / "employers.csv").read_text()

    r = run_cli(["export", "--employer", "empr_acme", "--into", config, *api_args(sandbox)])
    assert r.code == 0, r.out + r.err
    assert "added to rollout wave-1" in r.out, r.out
    after_csv = (config / "employers.csv").read_text()
    assert after_csv.startswith(before_csv)
    assert after_csv[len(before_csv) :].startswith("empr_acme,33000,")
    assert sorted(p.name for p in config.iterdir()) == EXAMPLE_FILES  # no new file
    summary = _plan_summary(sandbox, config, extra=("--employer", "empr_acme"))
    assert summary == {**NO_CHANGES, "unchanged": 1, "unmanaged": 0}


def test_import_near_and_new_plan_years(sandbox, write_config, tmp_path) -> None:
    config = _copy_rollout_example(tmp_path)
    assert run_cli(["apply", config, "--auto-approve", *api_args(sandbox)]).code == 0
    other = tmp_path / "other.yaml"
    # Acme: wave-1's plan year for $330.00 except open enrollment, plus a vision plan
    # year no rollout has.
    other.write_text(
        (config / "vitable.yaml").read_text().split("rollouts:")[0]
        + "employers:\n  empr_acme:\n    name: Acme Widgets, Inc.\n"
        "    variables: {ee_employer_cents: 33000, part_time_share: 0.5}\n"
        "    plan_years:\n"
        f"      - template: standard-{Y}\n"
        f"        open_enrollment: {{start: {Y - 1}-11-20, end: {Y - 1}-12-10}}\n"
        "      - benefit_product: bprd_vision\n"
        f"        coverage: {{start: {Y}-01-01, end: {Y}-12-31}}\n"
        f"        open_enrollment: {{start: {Y - 1}-12-01, end: {Y - 1}-12-15}}\n"
        '        contribution_classes: {full_time: {EE: {employee: "$5.00", employer: "$7.00"}}}\n',
        encoding="utf-8",
    )
    assert run_cli(["apply", other, "--auto-approve", *api_args(sandbox)]).code == 0
    n = len(writes(sandbox))
    r = run_cli(["export", "--employer", "empr_acme", "--into", config, *api_args(sandbox)])
    assert r.code == 0, r.out + r.err
    assert len(writes(sandbox)) == n, "import only reads the API"
    assert "added to rollout wave-1 with an override" in r.out, r.out
    assert "written as a plan year" in r.out, r.out
    text = (config / "acme-widgets.yaml").read_text()
    assert "empr_acme:" in text
    assert f"open_enrollment: {{start: {Y - 1}-11-20, end: {Y - 1}-12-10}}" in text
    assert "benefit_product: bprd_vision" in text  # written the way the config names products
    assert text.startswith("# yaml-language-server: $schema=../../schemas/config.schema.json\n")
    assert run_cli(["validate", config]).code == 0
    summary = _plan_summary(sandbox, config, extra=("--employer", "empr_acme"))
    assert summary == {**NO_CHANGES, "unchanged": 2, "unmanaged": 0}


def test_import_of_a_declared_employer_adds_nothing_twice(sandbox, tmp_path) -> None:
    config = _copy_rollout_example(tmp_path)
    # globex's seeded 2026 plan year breaks the example's policies (employer pays less
    # than half): true of the live account, and not what this test is about.
    (config / "policies.yaml").unlink(missing_ok=True)
    assert run_cli(["apply", config, "--auto-approve", *api_args(sandbox)]).code == 0
    before = {p.name: p.read_text() for p in config.iterdir()}
    r = run_cli(["export", "--employer", "empr_r003", "--into", config, *api_args(sandbox)])
    assert r.code == 0, r.out + r.err
    assert "already declared" in r.out and "Imported 0 plan years" in r.out
    assert {p.name: p.read_text() for p in config.iterdir()} == before
    # globex: its plan year from the example is declared, its seeded 2026 one is not; the file that
    # declares globex gets it (no "defined twice").
    r = run_cli(["export", "--employer", "empr_globex", "--into", config, *api_args(sandbox)])
    assert r.code == 0, r.out + r.err
    assert "Imported 1 plan year" in r.out, r.out
    assert sorted(p.name for p in config.iterdir()) == sorted(before)  # no new file
    assert run_cli(["validate", config]).code == 0
    summary = _plan_summary(sandbox, config, extra=("--employer", "empr_globex"))
    assert summary == {**NO_CHANGES, "unchanged": 2, "unmanaged": 0}


def test_export_usage_errors_exit_1_without_calls(sandbox, tmp_path) -> None:
    for args in (
        ["export"],
        ["export", "-o", tmp_path / "a", "--into", tmp_path],
        ["export", "--into", tmp_path],
        ["export", "--flat", "--employer", "empr_acme", "--into", tmp_path],
    ):
        r = run_cli([*args, *api_args(sandbox)])
        assert r.code == 1 and "Traceback" not in r.err, (args, r.err)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "c.yaml").write_text("version: 1\nemployers: {empr_x: {plan_years: [{}]}}\n")
    r = run_cli(["export", "--employer", "empr_acme", "--into", bad, *api_args(sandbox)])
    assert r.code == 1 and "c.yaml" in r.err + r.out and "Traceback" not in r.err
    assert not [rec for rec in sandbox.request_log if rec_path(rec).startswith("/v1/")]


def rec_path(rec) -> str:
    return rec["path"] if isinstance(rec, dict) else rec.path


def test_a_live_name_the_config_cannot_say_is_refused_before_writing(sandbox, tmp_path) -> None:
    import httpx

    # Another tool created a plan year whose employment type is not a config identifier.
    body = {
        "employer_id": "empr_acme",
        "coverage_start": f"{Y}-01-01",
        "coverage_end": f"{Y}-12-31",
        "open_enrollment_start": f"{Y - 1}-12-01",
        "open_enrollment_end": f"{Y - 1}-12-15",
        "contribution_classes": [
            {
                "employment": "Seasonal Staff",
                "family_status": "EE",
                "employee_contribution_cents": 100,
                "employer_contribution_cents": 200,
            }
        ],
    }
    httpx.post(
        f"{sandbox.base_url}/v1/benefit-products/bprd_mec/plan-years",
        json=body,
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
    ).raise_for_status()
    for args in (["-o", tmp_path / "out"], ["--flat", "-o", tmp_path / "flat"]):
        r = run_cli(["export", "--employer", "empr_acme", *args, *api_args(sandbox)])
        assert r.code == 1, r.out + r.err
        assert "'Seasonal Staff'" in r.err and "nothing was written" in r.err
        assert "Traceback" not in r.err
        assert not (tmp_path / "out").exists() and not (tmp_path / "flat").exists()
    config = _copy_rollout_example(tmp_path)
    before = {p.name: p.read_text() for p in config.iterdir()}
    r = run_cli(["export", "--employer", "empr_acme", "--into", config, *api_args(sandbox)])
    assert r.code == 1 and "'Seasonal Staff'" in r.err, r.out + r.err
    assert {p.name: p.read_text() for p in config.iterdir()} == before


def test_export_refuses_a_directory_holding_other_config(sandbox, write_config, tmp_path):
    cfg = write_config([PY("empr_r001"), PY("empr_r002")])
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)]).code == 0
    out = tmp_path / "adopted"
    args = ["--employer", "empr_r00*", *api_args(sandbox)]
    assert run_cli(["export", "--flat", "-o", out, *args]).code == 0
    before = {p.name: p.read_text() for p in out.iterdir()}
    # Factored files beside the old flat ones would define every employer twice.
    r = run_cli(["export", "-o", out, *args])
    assert r.code == 1 and "empr_r001.yaml" in r.err and "nothing was written" in r.err, r.err
    assert {p.name: p.read_text() for p in out.iterdir()} == before
    # The same export again overwrites its own files.
    again = run_cli(["export", "--flat", "-o", out, *args])
    assert again.code == 0, again.err
    assert {p.name: p.read_text() for p in out.iterdir()} == before
