"""Saved plans: plan --out FILE, apply FILE; stale plans are refused before any write."""

from __future__ import annotations

import json

from tests.e2e.e2e_support import PY, api_args, live_plan_years, put_plan_year, run_cli, writes


def acme(er: int = 40000) -> list[PY]:
    return [PY("empr_acme", "MEC", er=er), PY("empr_acme", "VD", ee=1200, er=2400)]


def mec_of(sandbox, employer: str = "empr_acme") -> dict:
    return next(
        p
        for p in live_plan_years(sandbox)
        if p["employer_id"] == employer and p["benefit_product_id"] == "bprd_mec"
    )


def test_saved_plan_applies_with_auto_approve(sandbox, write_config, tmp_path) -> None:
    cfg = write_config(acme())
    out = tmp_path / "plans" / "plan.json"
    made = run_cli(["plan", cfg, "--out", out, *api_args(sandbox)])
    assert made.code == 0 and out.is_file()
    doc = json.loads(out.read_text())
    assert doc["format_version"] == 1 and len(doc["absent_keys"]) == 2
    assert sandbox.api_key not in out.read_text()
    assert not list(out.parent.glob(".*.tmp")), "atomic write leaves no temp file"

    # stdin is not a TTY: --auto-approve, as for apply PATH (see test_cli_apply_json_and_confirm).
    applied = run_cli(["apply", out, "--auto-approve", *api_args(sandbox)])
    assert applied.code == 0, applied.err
    assert "Apply: 2 created, 0 updated, 0 failed, 0 skipped" in applied.out
    assert len(live_plan_years(sandbox)) == 3  # + globex's seeded one

    # The same file again: its absent keys now exist, so it is stale, and nothing is written.
    n = len(writes(sandbox))
    again = run_cli(["apply", out, "--auto-approve", *api_args(sandbox)])
    assert again.code == 1
    assert "plan is stale" in again.err and "run plan again" in again.err
    assert len(writes(sandbox)) == n


def test_stale_saved_plan_is_refused(sandbox, write_config, tmp_path) -> None:
    assert run_cli(["apply", write_config(acme()), "--auto-approve", *api_args(sandbox)]).code == 0
    out = tmp_path / "plan.json"
    assert (
        run_cli(["plan", write_config(acme(er=45000)), "--out", out, *api_args(sandbox)]).code == 0
    )

    live = mec_of(sandbox)
    classes = [
        {k: c[k] for k in ("employment", "family_status", "employee_contribution_cents")}
        | {"employer_contribution_cents": c["employer_contribution_cents"] + 1}
        for c in live["contribution_classes"]
    ]
    put_plan_year(sandbox, live["id"], {"contribution_classes": classes})
    n = len(writes(sandbox))

    result = run_cli(["apply", out, "--auto-approve", *api_args(sandbox)])
    assert result.code == 1
    assert (
        f"plan is stale: plan year {live['id']} changed since the plan was made; run plan again"
        in result.err
    )
    assert "Traceback" not in result.err
    assert len(writes(sandbox)) == n, "a stale plan must write nothing"
    assert all(
        c["employer_contribution_cents"] != 45000 for c in mec_of(sandbox)["contribution_classes"]
    )


def test_saved_plan_for_other_api_or_scoped_is_refused(sandbox, write_config, tmp_path) -> None:
    out = tmp_path / "plan.json"
    assert run_cli(["plan", write_config(acme()), "--out", out, *api_args(sandbox)]).code == 0
    doc = json.loads(out.read_text())
    doc["base_url"] = "https://api.vitablehealth.com"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(doc))
    wrong_api = run_cli(["apply", other, *api_args(sandbox)])
    assert wrong_api.code == 1 and "made against https://api.vitablehealth.com" in wrong_api.err
    scoped = run_cli(
        ["apply", out, "--employer", "empr_acme", "--auto-approve", *api_args(sandbox)]
    )
    assert scoped.code == 1 and "saved plan" in scoped.err
    junk = tmp_path / "junk.json"
    junk.write_text('{"format_version": 1,\n  oops')
    broken = run_cli(["apply", junk, *api_args(sandbox)])
    assert broken.code == 1 and "junk.json:2" in broken.err
    assert writes(sandbox) == []


def test_safety_cap_refused_plan_is_not_saved(sandbox, write_config, tmp_path) -> None:
    employers = [f"empr_r{i:03d}" for i in range(1, 11)]
    assert (
        run_cli(
            [
                "apply",
                write_config([PY(e) for e in employers]),
                "--auto-approve",
                *api_args(sandbox),
            ]
        ).code
        == 0
    )
    changed = write_config([PY(e, er=41000 if i < 4 else 40000) for i, e in enumerate(employers)])
    out = tmp_path / "plan.json"
    refused = run_cli(["plan", changed, "--out", out, *api_args(sandbox)])
    assert refused.code == 1 and "safety cap" in refused.err
    assert not out.exists()
    forced = run_cli(["plan", changed, "--out", out, "--force", *api_args(sandbox)])
    assert forced.code == 0 and out.exists()
    # apply FILE checks the cap again.
    n = len(writes(sandbox))
    again = run_cli(["apply", out, "--auto-approve", *api_args(sandbox)])
    assert again.code == 1 and "safety cap" in again.err
    assert len(writes(sandbox)) == n
    ok = run_cli(["apply", out, "--force", "--auto-approve", *api_args(sandbox)])
    assert ok.code == 0 and "Apply: 0 created, 4 updated" in ok.out


def test_freshness_check_reads_in_bulk(sandbox, write_config, tmp_path) -> None:
    employers = [f"empr_r{i:03d}" for i in range(1, 26)]
    assert (
        run_cli(
            [
                "apply",
                write_config([PY(e) for e in employers]),
                "--auto-approve",
                *api_args(sandbox),
            ]
        ).code
        == 0
    )
    out = tmp_path / "plan.json"
    changed = write_config([PY(e, er=40001 if e == "empr_r001" else 40000) for e in employers])
    assert run_cli(["plan", changed, "--out", out, *api_args(sandbox)]).code == 0
    sandbox.clear_request_log()
    result = run_cli(["apply", out, "--auto-approve", *api_args(sandbox)])
    assert result.code == 0, result.err
    assert "Apply: 0 created, 1 updated" in result.out
    gets = [r.path for r in sandbox.request_log if r.method == "GET"]
    # 25 fingerprinted plan years re-read with one product list, not 25 GETs: the
    # re-derivation of the plan (products, employers, one plan-year list: its
    # fingerprints are the freshness check) and the verification after writing (one
    # plan-year list).
    assert not [p for p in gets if p.startswith("/v1/plan-years/")]
    assert len(gets) <= 4, gets
