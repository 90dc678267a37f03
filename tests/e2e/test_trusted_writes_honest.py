"""Honest write reports (issue 11, items 1, 5 and 6): write answers are checked against
the request, definite answers are reported as what they are, ``status`` on a new plan
year is really applied, Ctrl-C reports what happened, blocked changes fail the run,
and ``plan`` treats two live plan years for one key as an error.
"""

from __future__ import annotations

import json
import signal
import time
from datetime import date
from typing import Any

import httpx

from tests.e2e.e2e_support import PY, api_args, config_yaml, live_plan_years, run_cli, writes
from tests.support import cli
from tests.support.hostile import HostileProxy


def proxy_args(proxy: HostileProxy, sb: Any) -> list[str]:
    return ["--base-url", proxy.base_url, "--api-key", sb.api_key]


def test_a_create_answered_with_another_employers_plan_year_fails(sandbox, write_config) -> None:
    def lie(method: str, path: str, status: int, body: Any) -> Any:
        body = dict(body)
        body.update(
            employer_id="empr_globex", coverage_start="2030-01-01", coverage_end="2030-12-31"
        )
        return body

    cfg = write_config([PY("empr_acme", "MEC")])
    with HostileProxy(sandbox.base_url, rewrite_write=lie) as proxy:
        result = run_cli(["apply", cfg, "--auto-approve", *proxy_args(proxy, sandbox)])
    assert result.code == 1, result.out
    assert "! failed" in result.out and "+ created" not in result.out
    # both values shown
    assert "empr_globex" in result.out and "empr_acme" in result.out
    assert "2030-01-01" in result.out and "2027-01-01" in result.out


def test_an_update_answered_with_other_classes_fails(sandbox, write_config) -> None:
    cfg = write_config([PY("empr_acme", "MEC")])
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)]).code == 0
    cfg = write_config([PY("empr_acme", "MEC", er=45000)])

    def lie(method: str, path: str, status: int, body: Any) -> Any:
        body = dict(body)
        body["contribution_classes"] = [
            dict(c, employer_contribution_cents=1) for c in body["contribution_classes"]
        ]
        return body

    with HostileProxy(sandbox.base_url, rewrite_write=lie) as proxy:
        result = run_cli(["apply", cfg, "--auto-approve", *proxy_args(proxy, sandbox)])
    assert result.code == 1, result.out
    assert "! failed" in result.out and "~ updated" not in result.out
    assert "45000" in result.out or "$450.00" in result.out


def test_a_put_answered_404_is_a_definite_failure(sandbox, write_config) -> None:
    cfg = write_config([PY("empr_acme", "MEC")])
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)]).code == 0
    cfg = write_config([PY("empr_acme", "MEC", er=45000)])

    def not_found(method: str, path: str) -> tuple[int, Any] | None:
        # The plan year is gone: its PUT and its GET both answer 404.
        if path.startswith("/v1/plan-years/"):
            return 404, {"error": {"message": "Not found.", "app_error_code": "not_found"}}
        return None

    with HostileProxy(sandbox.base_url, intercept=not_found) as proxy:
        result = run_cli(["apply", cfg, "--auto-approve", *proxy_args(proxy, sandbox)])
    assert result.code == 1
    assert "! failed" in result.out and "404" in result.out
    assert "unknown" not in result.out, result.out


def test_status_on_a_new_plan_year_is_applied_in_one_run(sandbox, tmp_path) -> None:
    cfg = tmp_path / "vitable.yaml"
    text = config_yaml([PY("empr_acme", "MEC")]).replace(
        "        coverage:", "        status: open_enrollment\n        coverage:", 1
    )
    cfg.write_text(text)
    plan = run_cli(["plan", cfg, *api_args(sandbox)])
    assert "status" in plan.out and "right after the create" in plan.out, plan.out
    applied = run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)])
    assert applied.code == 0, applied.out + applied.err
    assert "Apply: 1 created, 0 updated, 0 failed" in applied.out
    live = next(p for p in live_plan_years(sandbox) if p["employer_id"] == "empr_acme")
    assert live["status"] == "open_enrollment"
    again = run_cli(["plan", cfg, "--detailed-exitcode", *api_args(sandbox)])
    assert again.code == 0, again.out


def test_apply_with_blocked_changes_exits_1(sandbox, write_config) -> None:
    cfg = write_config([PY("empr_acme", "MEC")])
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)]).code == 0
    sandbox.set_today(date(2026, 12, 5))  # open enrollment started: locked
    cfg = write_config([PY("empr_acme", "MEC", er=45000)])
    result = run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)])
    assert result.code == 1, result.out + result.err
    assert "blocked" in result.out + result.err


def test_plan_reports_two_live_plan_years_for_one_key_first(make_sandbox, write_config) -> None:
    sb = make_sandbox(allow_overlap=True)
    cfg = write_config([PY("empr_acme", "MEC"), PY("empr_acme", "VD")])
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sb)]).code == 0
    mec = next(
        p
        for p in live_plan_years(sb)
        if p["benefit_product_id"] == "bprd_mec" and p["employer_id"] == "empr_acme"
    )
    body = {
        k: mec[k] for k in ("employer_id", "coverage_start", "coverage_end", "contribution_classes")
    }
    body["open_enrollment_start"] = mec["open_enrollment_start_date"]
    body["open_enrollment_end"] = mec["open_enrollment_end_date"]
    body["contribution_classes"] = [
        {k: v for k, v in c.items() if k != "id"} for c in body["contribution_classes"]
    ]
    dup = httpx.post(
        f"{sb.base_url}/v1/benefit-products/bprd_mec/plan-years",
        json=body,
        headers={"Authorization": f"Bearer {sb.api_key}"},
    )
    assert dup.status_code == 201, dup.text
    dup_id = dup.json()["id"]
    for fmt in ("text", "markdown", "json"):
        r = run_cli(["plan", cfg, "--detailed-exitcode", "--format", fmt, *api_args(sb)])
        assert r.code == 1, (fmt, r.out, r.err)
        if fmt == "json":
            doc = json.loads(r.out)
            assert doc["duplicates"] and {mec["id"], dup_id} <= set(doc["duplicates"][0]["ids"])
        else:
            head = "\n".join(r.out.splitlines()[:8])
            assert "duplicate" in head.lower() and mec["id"] in head and dup_id in head, r.out


def test_sigint_during_apply_finishes_in_flight_and_reports_interrupted(sandbox, tmp_path):
    employers = [f"empr_r{i:03d}" for i in range(1, 7)]
    cfg = tmp_path / "vitable.yaml"
    cfg.write_text(config_yaml([PY(e, "MEC") for e in employers]))
    with HostileProxy(sandbox.base_url, hold_post_seconds=1.5) as proxy:
        env = cli.cli_env(proxy.base_url, sandbox.api_key, tmp_path / "cache")
        proc = cli.start(["apply", cfg, "--auto-approve", "--concurrency", "2"], env)
        deadline = time.monotonic() + 60
        while proxy.write_count() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy.write_count() == 2
        proc.send_signal(signal.SIGINT)
        done = cli.finish(proc)
        time.sleep(0.5)
        posts = proxy.write_count()
    assert done.code == 130, done.text
    assert posts == 2, f"{posts} POSTs: new requests were admitted after Ctrl-C"
    assert "interrupted" in done.out.lower(), done.text
    created = [line for line in done.out.splitlines() if line.startswith("+ created")]
    live = [p for p in live_plan_years(sandbox) if p["employer_id"] in employers]
    assert len(created) == len(live) == 2, done.text
    assert "Traceback" not in done.err
    assert len(writes(sandbox)) == 2
