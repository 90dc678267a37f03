"""Issue-16 benchmark: the cost of policies and cost impact on the 1,000 x 2 plan.

    .venv/bin/python benchmarks/policies.py [--runs 5] [--employers 1000]

The plan-all scenario of ``benchmarks/perf.py`` (a sandbox process with 50 ms per
request, 1,000 employers x MEC and VD in sync), planned through the CLI as a
subprocess, alternately:

* ``without``: the config alone (no ``policies:``, no ``--headcount``),
* ``with``: the same config plus a policy file with every built-in rule kind, a
  custom expression and two cost guardrails, and ``--headcount`` (a '*' row per class
  and 100 per-employer rows).

Wall time is spawn to exit (median of ``--runs``); peak memory is the measured
process's own VmHWM. The in-process time of evaluating policies and costs alone
(``assess_plan``) is printed too. Writes ``benchmarks/results/policies.json``.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf import ROOT, RUN_CLI, Sandbox, employer_ids, run_measured, write_config, write_seed

POLICIES = """\
version: 1
variables:
  ee_cap: 10000
policies:
  half:
    kind: employer_share_min
    level: deny
    percent: 50
  affordable:
    kind: employee_share_max
    level: deny
    max: {EE: "{{ ee_cap }}", ES: "$250.00", EC: "$250.00", EF: "$350.00"}
  order: {kind: tier_order, level: deny}
  keep: {kind: no_employer_decrease, level: warn}
  offer-all:
    kind: required_classes
    level: deny
    scope: {products: [MEC]}
  family:
    kind: expression
    level: warn
    expr: "desired.full_time.EF.employer >= desired.full_time.EE.employer"
  budget: {kind: cost_change_max, level: deny, amount: "$100000.00"}
  step: {kind: cost_change_max, level: warn, per: employer, percent: 10}
"""


def write_headcount(path: Path, employers: list[str]) -> Path:
    rows = ["employer,benefit_product,employment,tier,count"]
    for product, classes in (("MEC", ("EE", "ES", "EC", "EF")), ("VD", ("EE", "EF"))):
        rows += [f"*,{product},full_time,{tier},{n}" for n, tier in enumerate(classes, 3)]
    rows.append("*,MEC,part_time,EE,2")
    rows += [f"{e},MEC,full_time,EE,25" for e in employers[:100]]
    path.write_text("\n".join(rows) + "\n")
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(sandbox: Sandbox, config: Path, extra: list[str]) -> tuple[float, float, float, str]:
    """(wall s, peak RSS MB, CPU s of the CLI process, stdout) of one plan."""
    args = ["plan", str(config), "--base-url", sandbox.base_url, "--detailed-exitcode", *extra]
    cpu = _children_cpu()
    wall, rss, _delta, out = run_measured(RUN_CLI, args, sandbox, expect_rc=0)
    return wall, rss, _children_cpu() - cpu, out


def assess_only(sandbox: Sandbox, config: Path, headcount: Path) -> float:
    """In-process seconds of assess_plan (policies + cost) on the real 2,000-year plan."""
    import asyncio

    from pydantic import SecretStr

    from vitable_config.api.client import VitableClient
    from vitable_config.api.settings import ClientSettings
    from vitable_config.config import load_config
    from vitable_config.engine.run import plan_config
    from vitable_config.policy.cost import read_headcount
    from vitable_config.policy.evaluate import assess_plan

    state = load_config([config])

    async def plan() -> Any:
        settings = ClientSettings(
            api_key=SecretStr("vc_test_perf_harness"), base_url=sandbox.base_url
        )
        async with VitableClient(settings) as client:
            return await plan_config(state, client)

    result = asyncio.run(plan())
    started = time.perf_counter()
    assess_plan(result, state.policies, read_headcount(headcount))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--employers", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        everyone = employer_ids(args.employers)
        seed = write_seed_file(tmp, everyone)
        plain = write_config(tmp / "without", everyone)
        with_policies = write_config(tmp / "with", everyone)
        (with_policies / "policies.yaml").write_text(POLICIES)
        headcount = write_headcount(tmp / "headcount.csv", everyone)
        sandbox = Sandbox(seed, args.latency_ms)
        try:
            runs: dict[str, list[tuple[float, float, float]]] = {"without": [], "with": []}
            for i in range(args.runs):
                for name in ("without", "with") if i % 2 == 0 else ("with", "without"):
                    if name == "without":
                        wall, rss, cpu, _ = measure(sandbox, plain, [])
                    else:
                        wall, rss, cpu, out = measure(
                            sandbox, with_policies, ["--headcount", str(headcount)]
                        )
                        assert "Cost impact" in out, out[-2000:]
                    runs[name].append((wall, rss, cpu))
                    print(
                        f"run {i + 1} {name:>7}: {wall:.3f} s wall, {cpu:.3f} s CPU, {rss:.1f} MB",
                        flush=True,
                    )
            assess_s = assess_only(sandbox, with_policies, headcount)
        finally:
            sandbox.close()
    summary: dict[str, Any] = {}
    for name, values in runs.items():
        summary[name] = {
            "median_wall_s": round(statistics.median(v[0] for v in values), 3),
            "walls_s": [round(v[0], 3) for v in values],
            "median_cpu_s": round(statistics.median(v[2] for v in values), 3),
            "cpu_s": [round(v[2], 3) for v in values],
            "peak_rss_mb": round(max(v[1] for v in values), 1),
        }
    summary["wall_ratio"] = round(
        summary["with"]["median_wall_s"] / summary["without"]["median_wall_s"], 3
    )
    summary["cpu_ratio"] = round(
        summary["with"]["median_cpu_s"] / summary["without"]["median_cpu_s"], 3
    )
    summary["rss_ratio"] = round(
        summary["with"]["peak_rss_mb"] / summary["without"]["peak_rss_mb"], 3
    )
    summary["assess_plan_s_in_process"] = round(assess_s, 4)
    doc = {
        "benchmark": "policies (issue 16)",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "plan_years": 2 * args.employers,
        "latency_ms": args.latency_ms,
        "runs": args.runs,
        **summary,
    }
    out = ROOT / "benchmarks" / "results" / "policies.json"
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


def write_seed_file(tmp: Path, employers: list[str]) -> Path:
    seed = tmp / "seed.yaml"
    write_seed(seed, employers, with_plan_years=True)
    return seed


if __name__ == "__main__":
    main()
