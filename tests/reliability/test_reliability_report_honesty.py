"""Apply's report against the sandbox's database, one fault kind at a time.

Each fault is forced on every write (probability 1.0), so the outcome is
deterministic: the report must say exactly what the database shows.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.reliability.rel_support import (
    classes_of,
    compare_live,
    config_yaml,
    key_of,
    start_sandbox,
    wanted_plan_years,
)
from vitable_config.api.client import VitableClient
from vitable_config.api.retry import RetryPolicy
from vitable_config.api.settings import ClientSettings
from vitable_config.engine.apply import ApplyOptions
from vitable_config.engine.model import ApplyResult
from vitable_config.engine.run import apply_plan, plan_config
from vitable_config.sandbox import FaultSettings, SandboxHandle, running_sandbox

FAST_RETRIES = RetryPolicy(max_retries=2, wait_initial=0.01, wait_max=0.02, wait_jitter=0.0)


def run_apply(sb: SandboxHandle, config: Path) -> ApplyResult:
    async def go() -> ApplyResult:
        settings = ClientSettings.from_env(api_key=sb.api_key, base_url=sb.base_url)
        async with VitableClient(settings, retry_policy=FAST_RETRIES, timeout=0.3) as client:
            plan = await plan_config(config, client, today=sb.today)
            return await apply_plan(
                plan,
                client,
                options=ApplyOptions(concurrency=4, timeout_settle_seconds=0.5),
            )

    return asyncio.run(go())


@pytest.fixture
def seeded(tmp_path: Path):
    """A sandbox holding 6 plan years, and a config that changes all their amounts."""
    with running_sandbox(start_sandbox(allow_overlap=True)) as sb:
        baseline = {p["id"] for p in sb.list_all_plan_years()}
        config = tmp_path / "vitable.yaml"
        config.write_text(config_yaml(wanted_plan_years(6)))
        first = run_apply(sb, config)
        assert first.ok and len(first.results) == 6
        config.write_text(config_yaml(wanted_plan_years(6, bump=5)))
        yield sb, config, baseline


def live_classes(sb: SandboxHandle, baseline: set[str]) -> dict:
    return {key_of(p): classes_of(p) for p in sb.list_all_plan_years() if p["id"] not in baseline}


@pytest.mark.parametrize("kind", ["error_after", "drop_after"])
def test_update_committed_then_failing_is_reported_updated(seeded, kind: str) -> None:
    # Every PUT commits, then its response is lost; the client retries and the last
    # attempt fails too. The report said "failed" for changes that were live.
    sb, config, baseline = seeded
    sb.set_faults(FaultSettings(**{kind: 1.0}, methods=frozenset({"PUT"})))
    result = run_apply(sb, config)
    wanted = wanted_plan_years(6, bump=5)
    assert compare_live(sb.list_all_plan_years(), wanted, baseline).exact
    assert [r.status for r in result.results] == ["updated"] * 6
    assert all(
        "re-reading shows the update was applied" in (r.message or "") for r in result.results
    )


def test_update_refused_before_writing_is_reported_failed(seeded) -> None:
    sb, config, baseline = seeded
    before = live_classes(sb, baseline)
    sb.set_faults(FaultSettings(error_before=1.0, methods=frozenset({"PUT"})))
    result = run_apply(sb, config)
    assert [r.status for r in result.results] == ["failed"] * 6
    assert live_classes(sb, baseline) == before  # nothing changed, as reported
    sb.set_faults(FaultSettings())
    assert run_apply(sb, config).ok  # and a re-run converges
    assert compare_live(sb.list_all_plan_years(), wanted_plan_years(6, bump=5), baseline).exact


@pytest.mark.parametrize("kind", ["error_after", "drop_after", "error_before"])
def test_create_report_matches_the_database(tmp_path: Path, kind: str) -> None:
    with running_sandbox(start_sandbox(allow_overlap=True)) as sb:
        baseline = {p["id"] for p in sb.list_all_plan_years()}
        sb.set_faults(FaultSettings(**{kind: 1.0}, methods=frozenset({"POST"})))
        config = tmp_path / "vitable.yaml"
        config.write_text(config_yaml(wanted_plan_years(6)))
        result = run_apply(sb, config)
        live = {key_of(p) for p in sb.list_all_plan_years() if p["id"] not in baseline}
        for r in result.results:
            key = (r.change.key.employer_id, r.change.key.benefit_product, "")
            found = any(k[0] == key[0] and k[1] == key[1] for k in live)
            if r.status == "created":
                assert found, r
            else:
                assert r.status == "failed"
                assert not found or "unknown" in (r.message or ""), r
        comparison = compare_live(sb.list_all_plan_years(), wanted_plan_years(6), baseline)
        assert comparison.duplicates == 0
        if kind == "error_before":  # nothing was ever written: every create failed
            assert {r.status for r in result.results} == {"failed"}
        else:  # committed every time: all found by re-reading, none sent twice
            assert comparison.exact and {r.status for r in result.results} == {"created"}
            posts = [r for r in sb.request_log if r.method == "POST"]
            assert len(posts) == 6
