"""A create that commits slowly is never sent twice (issue 11, item 2).

Two ways to make a write land only *after* the client has given up: the sandbox's
``commit_late`` fault (body read, wait, then commit), and a loopback proxy that holds
each POST 3.5 s before forwarding it. The client's ``--timeout 2`` expires first
every time. Overlap is allowed, so only vitable-config can stop a duplicate.
"""

from __future__ import annotations

import time
from collections import Counter

from tests.e2e.e2e_support import PY, api_args, live_plan_years, run_cli
from tests.support.hostile import HostileProxy
from vitable_config.sandbox import FaultSettings

HOLD = 3.5
TIMEOUT = "2"


def plan_years() -> list[PY]:
    return [PY("empr_acme", "MEC"), PY("empr_acme", "VD", ee=1200, er=2400)]


def assert_no_duplicate_and_honest(sb, out: str, posts: int) -> None:
    time.sleep(HOLD + 0.5)  # let any late commit land before judging
    keys = Counter(
        (p["employer_id"], p["benefit_product_id"], str(p["coverage_start"]))
        for p in live_plan_years(sb)
    )
    dups = {k: n for k, n in keys.items() if n > 1}
    assert not dups, f"duplicates: {dups}\n{out[-2000:]}"
    assert posts == 2, f"{posts} POSTs for 2 creates: a create was sent again"
    for line in out.splitlines():
        if line.startswith("! failed"):
            raise AssertionError(f"a committed-late create reported failed: {line}\n{out}")
    created = sum(1 for line in out.splitlines() if line.startswith("+ created"))
    unknown = sum(1 for line in out.splitlines() if line.startswith("? unknown"))
    print(f"duplicates=0 posts={posts} reported created={created} unknown={unknown}")


def test_sandbox_commit_late_fault_is_not_sent_twice(make_sandbox, write_config) -> None:
    sb = make_sandbox(
        allow_overlap=True,
        faults=FaultSettings(commit_late=1.0, slow_ms=int(HOLD * 1000), methods={"POST"}),
    )
    cfg = write_config(plan_years())
    result = run_cli(["apply", cfg, "--auto-approve", "--timeout", TIMEOUT, *api_args(sb)])
    posts = sum(1 for r in sb.request_log if r.method == "POST" and r.path.startswith("/v1/"))
    assert "Traceback" not in result.err
    assert_no_duplicate_and_honest(sb, result.out + result.err, posts)
    # Every key is there once; a re-run converges with nothing to do.
    again = run_cli(["plan", cfg, "--detailed-exitcode", *api_args(sb)])
    assert again.code == 0, again.out


def test_proxy_holding_each_post_is_not_sent_twice(make_sandbox, write_config) -> None:
    sb = make_sandbox(allow_overlap=True)
    cfg = write_config(plan_years())
    with HostileProxy(sb.base_url, hold_post_seconds=HOLD) as proxy:
        args = ["--base-url", proxy.base_url, "--api-key", sb.api_key]
        result = run_cli(["apply", cfg, "--auto-approve", "--timeout", TIMEOUT, *args])
        time.sleep(HOLD + 0.5)
        posts = sum(1 for m, _ in proxy.writes if m == "POST")
    assert "Traceback" not in result.err
    assert_no_duplicate_and_honest(sb, result.out + result.err, posts)
    # A create whose outcome was still unknown at the end is said so, and the plan
    # made afterwards shows it converged.
    text = result.out + result.err
    if "outcome unknown" in text:
        assert "re-run later to converge" in text
        assert result.code == 1
    again = run_cli(["plan", cfg, "--detailed-exitcode", *api_args(sb)])
    assert again.code == 0, again.out
