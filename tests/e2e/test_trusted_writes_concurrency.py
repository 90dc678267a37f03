"""Concurrent applies (issue 11, item 1): the apply lock, and duplicates detected when
two "machines" share no lock.

Each run is a real ``vitable-config apply`` subprocess against a sandbox that accepts
overlapping coverage (as the real API may), so nothing but vitable-config itself can
stop a duplicate. One cache directory (``XDG_CACHE_HOME``) = one machine: the local
apply lock lives there. What decides pass/fail is the sandbox's database.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from tests.support import cli
from tests.support.hostile import HostileProxy
from tests.support.services import redis_server
from vitable_config.lock import apply_lock

REPO = Path(__file__).resolve().parents[2]
ROLLOUT = REPO / "examples" / "rollout"
ROUNDS = 3


def duplicates(items: list[dict[str, Any]]) -> dict[tuple[str, str, str], list[str]]:
    by_key: dict[tuple[str, str, str], list[str]] = {}
    for p in items:
        key = (p["employer_id"], p["benefit_product_id"], str(p["coverage_start"]))
        by_key.setdefault(key, []).append(p["id"])
    return {k: ids for k, ids in by_key.items() if len(ids) > 1}


def writes_received(sb: Any) -> int:
    return sb.write_count()


def test_two_concurrent_applies_on_one_machine_create_no_duplicates(make_sandbox, tmp_path):
    """Both runs exit 0; the second waits for the lock, then finds nothing to do."""
    counts: Counter[str] = Counter()
    for round_no in range(ROUNDS):
        sb = make_sandbox(allow_overlap=True, latency_ms=20)
        before = len(sb.list_all_plan_years())
        env = cli.cli_env(sb.base_url, sb.api_key, tmp_path / f"machine-{round_no}")
        procs = [cli.start(["apply", ROLLOUT, "--auto-approve"], env) for _ in range(2)]
        results = [cli.finish(p) for p in procs]
        live = sb.list_all_plan_years()
        dups = duplicates(live)
        counts["rounds"] += 1
        counts["duplicates"] += sum(len(ids) - 1 for ids in dups.values())
        assert not dups, f"round {round_no}: {len(dups)} keys duplicated, e.g. {next(iter(dups))}"
        made = len(live) - before
        assert made >= 35, "every rollout plan year exists, once"
        for r in results:
            assert r.code == 0, r.text[-2000:]
            assert "Traceback" not in r.text
        created = sorted(len(re.findall(r"^\+ created ", r.out, re.M)) for r in results)
        assert created == [0, made], [r.out[-500:] for r in results]
    print(f"rounds={counts['rounds']} duplicates={counts['duplicates']}")


def test_two_machines_without_a_shared_lock_report_every_duplicate(make_sandbox, tmp_path):
    """Two machines (separate lock dirs) race through a proxy that holds each POST 1 s,
    so both plans see every key absent: duplicates are not prevented, but each run that
    made one exits 1 naming both ids, and the next plan fails under --detailed-exitcode."""
    sb = make_sandbox(allow_overlap=True)
    with HostileProxy(sb.base_url, hold_post_seconds=1.0) as proxy:
        procs = [
            cli.start(
                ["apply", ROLLOUT, "--auto-approve", "--employer", "empr_r00[1-3]"],
                cli.cli_env(proxy.base_url, sb.api_key, tmp_path / f"machine-{i}"),
            )
            for i in range(2)
        ]
        results = [cli.finish(p) for p in procs]
    dups = duplicates(sb.list_all_plan_years())
    assert dups, "the proxy's hold makes both runs create every key (the race is forced)"
    both = results[0].text + results[1].text
    for key, ids in dups.items():
        for i in ids:
            assert i in both, f"duplicate {key} id {i} not reported"
    assert any(r.code == 1 for r in results), [r.text[-1500:] for r in results]
    for r in results:
        assert "Traceback" not in r.text
        if r.code == 0:
            assert "duplicate" not in r.text.lower()

    plan = cli.run(
        ["plan", ROLLOUT, "--employer", "empr_r00[1-3]", "--detailed-exitcode"],
        cli.cli_env(sb.base_url, sb.api_key, tmp_path / "machine-0"),
    )
    assert plan.code == 1, plan.text[-2000:]
    first_lines = plan.out.splitlines()[:6]
    assert any("duplicate" in line.lower() for line in first_lines), plan.out[:1500]
    for ids in dups.values():
        for i in ids:
            assert i in plan.text
    print(f"duplicates={sum(len(i) - 1 for i in dups.values())} (two machines, no shared lock)")


def test_a_shared_redis_lock_serialises_two_machines(make_sandbox, tmp_path):
    """The same forced race, with --lock redis://…: zero duplicates, both exit 0."""
    sb = make_sandbox(allow_overlap=True)
    with redis_server(tmp_path) as url, HostileProxy(sb.base_url, hold_post_seconds=1.0) as px:
        procs = [
            cli.start(
                ["apply", ROLLOUT, "--auto-approve", "--employer", "empr_r00[1-3]"],
                cli.cli_env(
                    px.base_url,
                    sb.api_key,
                    tmp_path / f"machine-{i}",
                    {"VITABLE_CONFIG_LOCK": url},
                ),
            )
            for i in range(2)
        ]
        results = [cli.finish(p) for p in procs]
    assert not duplicates(sb.list_all_plan_years())
    for r in results:
        assert r.code == 0, r.text[-2000:]
    created = sorted(len(re.findall(r"^\+ created ", r.out, re.M)) for r in results)
    assert created == [0, 6], [r.out[-800:] for r in results]


def test_a_held_lock_times_out_with_a_clear_error_and_no_write(sandbox, tmp_path, monkeypatch):
    cache = tmp_path / "machine"
    env = cli.cli_env(sandbox.base_url, sandbox.api_key, cache)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    with apply_lock(sandbox.base_url, "local", timeout=1):
        n = writes_received(sandbox)
        r = cli.run(["apply", ROLLOUT, "--auto-approve", "--lock-timeout", "1"], env)
        assert writes_received(sandbox) == n
    assert r.code == 1, r.text
    assert "holds the apply lock" in r.err and "--lock-timeout" in r.err
    assert "Traceback" not in r.text
