"""State in a file across restarts, atomic writes, the seed, the CLI and the OpenAPI copy."""

from __future__ import annotations

import json
import signal
from contextlib import suppress
from datetime import date
from pathlib import Path

import httpx
import pytest

from vitable_config.cli.main import main as cli_main
from vitable_config.errors import UserError
from vitable_config.sandbox import (
    DEFAULT_SEED_PATH,
    SandboxRuntime,
    SandboxSettings,
    running_sandbox,
)
from vitable_config.sandbox import plan_years as plan_years_module
from vitable_config.sandbox.openapi import (
    COMMITTED_DIALECTS,
    REGENERATE_COMMAND,
    openapi_text,
    regenerate_command,
    schema_file_name,
)

from .helpers import assert_error, client, plan_year_body, serve_process, wait_ready

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SEED = REPO_ROOT / "examples" / "sandbox-seed.yaml"
PY_PATH = "/v1/benefit-products/bprd_mec/plan-years"

SMALL_SEED = """
benefit_products:
  - id: bprd_only
    name: Only Product
    product_code: MEC
    category: Medical
    carrier_plans:
      - {id: cplan_only, name: Only Plan, monthly_premium_cents: 1000}
employers:
  - {id: empr_only, name: Only Co, legal_name: Only Co LLC, ein: "11-2223333"}
"""


def test_packaged_seed_is_identical_to_the_example() -> None:
    assert DEFAULT_SEED_PATH.read_bytes() == EXAMPLE_SEED.read_bytes()


@pytest.mark.parametrize("dialect", COMMITTED_DIALECTS)
def test_openapi_copy_matches_the_app(dialect: str) -> None:
    committed = (REPO_ROOT / "schemas" / schema_file_name(dialect)).read_text(encoding="utf-8")
    assert committed == openapi_text(dialect), (
        f"schemas/{schema_file_name(dialect)} is out of date; regenerate it with: "
        f"{regenerate_command(dialect)}"
    )
    if dialect == "2025-12":
        assert schema_file_name(dialect) == "openapi.json"
        assert regenerate_command(dialect) == REGENERATE_COMMAND


def test_state_file_persists_across_restart_and_seeds_once(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    settings = SandboxSettings(seed_file=EXAMPLE_SEED, state_path=state, today=date(2026, 11, 21))
    with running_sandbox(settings) as sb, client(sb) as c:
        created = c.post(PY_PATH, json=plan_year_body()).json()
        c.post(
            "/v1/employers",
            json={
                "name": "Persisted",
                "legal_name": "Persisted Inc",
                "ein": "12-1212121",
                "address": {"street_1": "1 A St", "city": "X", "state": "NY", "zip_code": "10001"},
            },
        )
    with running_sandbox(settings) as sb, client(sb) as c:
        again = c.get(f"/v1/plan-years/{created['id']}")
        employers = c.get("/v1/employers", params={"limit": 100}).json()
        plan_years = sb.list_all_plan_years()
    assert again.status_code == 200 and again.json() == created
    assert len(employers) == 33  # 32 seeded once + 1 created
    assert len(plan_years) == 2  # the seeded one was not loaded twice


def test_a_failed_write_leaves_no_partial_plan_year(
    sandbox_settings_tmp: SandboxSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_new_id = plan_years_module.new_id

    def failing_new_id(prefix: str) -> str:
        if prefix == "plan":  # after the plan year and its classes were inserted
            raise RuntimeError("simulated crash in the middle of the write")
        return real_new_id(prefix)

    with running_sandbox(sandbox_settings_tmp) as sb, client(sb) as c:
        monkeypatch.setattr(plan_years_module, "new_id", failing_new_id)
        r = c.post(PY_PATH, json=plan_year_body())
        plan_years = sb.list_all_plan_years()
        with sb.runtime.store.read() as conn:
            orphans = conn.execute(
                "SELECT count(*) FROM contribution_classes WHERE plan_year_id NOT IN"
                " (SELECT id FROM plan_years)"
            ).fetchone()[0]
    assert_error(r, 500, "internal_error")
    assert [p["employer_id"] for p in plan_years] == ["empr_globex"]
    assert orphans == 0
    assert sb.write_count() == 0


@pytest.fixture
def sandbox_settings_tmp(tmp_path: Path) -> SandboxSettings:
    return SandboxSettings(
        seed_file=EXAMPLE_SEED, state_path=tmp_path / "s.db", today=date(2026, 11, 21)
    )


def test_today_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VITABLE_SANDBOX_TODAY", "2027-03-04")
    assert SandboxSettings().resolved_today() == date(2027, 3, 4)
    monkeypatch.delenv("VITABLE_SANDBOX_TODAY")
    assert SandboxSettings().resolved_today() == date.today()


def test_settings_and_handle_repr_hide_the_key() -> None:
    settings = SandboxSettings(api_key="vc_test_secret123", today=date(2026, 11, 21))
    assert "vc_test_secret123" not in repr(settings)
    with running_sandbox(settings) as sb:
        assert sb.api_key == "vc_test_secret123"
        assert "secret" not in repr(sb)


# --- the CLI ----------------------------------------------------------------------


def test_cli_serve_prints_url_and_key_and_uses_seed_and_state(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(SMALL_SEED, encoding="utf-8")
    state = tmp_path / "state.db"
    with serve_process(
        "--seed",
        str(seed),
        "--state",
        str(state),
        "--today",
        "2026-11-21",
        env={"VITABLE_SANDBOX_API_KEY": ""},
    ) as (url, key, proc):
        assert url.startswith("http://127.0.0.1:") and int(url.rsplit(":", 1)[1]) > 0
        assert key.startswith("vc_test_") and len(key) == len("vc_test_") + 32
        with wait_ready(url, key) as c:
            products = c.get("/v1/benefit-products").json()
            created = c.post(
                "/v1/benefit-products/bprd_only/plan-years",
                json=plan_year_body(employer_id="empr_only"),
            )
            assert c.get("/_sandbox/clock").json() == {"today": "2026-11-21"}
            assert httpx.get(f"{url}/v1/employers").status_code == 401
    assert [p["id"] for p in products] == ["bprd_only"]
    assert created.status_code == 201, created.text
    # uvicorn shuts down gracefully, then re-raises SIGTERM (conventional exit status)
    assert proc.returncode in (0, -signal.SIGTERM)
    assert proc.stderr is not None and "Traceback" not in proc.stderr.read()
    assert state.exists()
    faults = ["--fault-error-before", "1", "--fault-methods", "post",
              "--fault-path", "/v1/benefit-products/*"]  # fmt: skip
    with serve_process("--state", str(state), "--api-key", "vc_test_fixed", *faults) as (
        url,
        key,
        _,
    ):
        assert key == "vc_test_fixed"
        with wait_ready(url, key) as c:
            listed = c.get("/v1/benefit-products/bprd_only/plan-years").json()
            refused = c.post(
                "/v1/benefit-products/bprd_only/plan-years",
                json=plan_year_body(employer_id="empr_only", coverage_start="2028-01-01",
                                    coverage_end="2028-12-31"),
            )  # fmt: skip
            stats = c.get("/_sandbox/stats").json()
    assert [p["id"] for p in listed] == [created.json()["id"]]
    assert_error(refused, 500, "internal_error")
    assert stats["writes"] == 0 and stats["faults"] == {"error_before": 1}


def test_cli_serve_bad_seed_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = tmp_path / "bad.yaml"
    seed.write_text(
        "benefit_products:\n  - id: bprd_x\n    name: X\n    product_code: MEC\n"
        "    category: Pets\n",
        encoding="utf-8",
    )
    code = cli_main(["sandbox", "serve", "--port", "0", "--seed", str(seed)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{seed}:5:5: error: benefit_products[0].category: must be one of" in err
    assert "Traceback" not in err
    assert cli_main(["sandbox", "serve", "--port", "0", "--today", "21/11/2026"]) == 1
    assert "--today" in capsys.readouterr().err
    missing = cli_main(["sandbox", "serve", "--port", "0", "--seed", str(tmp_path / "no.yaml")])
    assert missing == 1


def test_seed_with_a_dangling_reference_loads_nothing(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        SMALL_SEED
        + """
plan_years:
  - benefit_product_id: bprd_only
    employer_id: empr_unknown
    coverage_start: 2027-01-01
    coverage_end: 2027-12-31
    open_enrollment_start: 2026-11-01
    open_enrollment_end: 2026-11-30
    contribution_classes:
      - {employment: full_time, family_status: EE, employee_contribution_cents: 1,
         employer_contribution_cents: 2}
""",
        encoding="utf-8",
    )
    state = tmp_path / "state.db"
    with pytest.raises(UserError) as caught:
        SandboxRuntime(SandboxSettings(seed_file=seed, state_path=state))
    assert "plan_years[0]" in str(caught.value) and "empr_unknown" in str(caught.value)
    empty = SandboxRuntime(SandboxSettings(seed_file=None, state_path=state))
    try:
        assert empty.store.is_empty()  # the products and employers were rolled back too
    finally:
        empty.close()


def test_cli_reset_deletes_the_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state.db"
    settings = SandboxSettings(seed_file=EXAMPLE_SEED, state_path=state, today=date(2026, 11, 21))
    with running_sandbox(settings):
        pass
    assert state.exists()
    assert cli_main(["sandbox", "reset", "--state", str(state)]) == 0
    assert not state.exists()
    assert "Deleted" in capsys.readouterr().out
    assert cli_main(["sandbox", "reset", "--state", str(state)]) == 0
    assert "Nothing to delete" in capsys.readouterr().out


def test_killed_server_leaves_only_whole_plan_years(tmp_path: Path) -> None:
    """SIGKILL during a stream of creates: every plan year on disk is complete."""
    state = tmp_path / "state.db"
    with (
        serve_process("--state", str(state), "--today", "2026-11-21", "--allow-overlap") as (
            url,
            key,
            proc,
        ),
        wait_ready(url, key) as c,
    ):
        for _ in range(20):
            assert c.post(PY_PATH, json=plan_year_body()).status_code == 201
        body = json.dumps(plan_year_body()).encode()
        sock_client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"})
        for _ in range(5):  # in flight when the process dies
            with suppress(httpx.TransportError):
                sock_client.post(PY_PATH, content=body, timeout=0.001)
        proc.kill()
        proc.wait()
        sock_client.close()
    with running_sandbox(
        SandboxSettings(seed_file=None, state_path=state, today=date(2026, 11, 21))
    ) as sb:
        plan_years = sb.list_all_plan_years()
    created = [p for p in plan_years if p["employer_id"] == "empr_acme"]
    assert len(created) >= 20
    for py in created:
        assert len(py["contribution_classes"]) == 2
        assert len(py["plans"]) == 2
