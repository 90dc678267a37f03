"""Issue-6 performance harness: vitable-config against a naive reconciler, one command.

    .venv/bin/python benchmarks/perf.py              # 3 runs of vitable-config, naive once
    .venv/bin/python benchmarks/perf.py --quick      # 1 run each
    .venv/bin/python benchmarks/perf.py --skip-naive --scenarios plan-all,apply

Starts ``vitable-config sandbox serve`` in a separate process with 50 ms latency
per request and a generated seed (1,000 employers, products MEC and VD), then
measures each scenario of issue 6:

* vitable-config through its library API (``engine.run.plan_config`` /
  ``apply_plan``) in a fresh worker process (wall time measured inside it, from
  loading the config to the result; imports and interpreter start excluded),
* vitable-config through the CLI as a subprocess (wall time from spawn to exit:
  what a user waits for, Python start-up included),
* the naive reconciler of ``benchmarks/naive.py`` (one list call per employer and
  product, then sequential creates), ONCE per scenario: at 50 ms per request it
  takes minutes.

Requests and 429s are counted by the sandbox itself (``GET /_sandbox/stats``);
peak memory is the max RSS of each measured process (``os.wait4``). After every
apply the sandbox's plan years are checked: exactly 2,000, no duplicates.
Prints a table and writes ``benchmarks/results/perf.json``. Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import yaml  # type: ignore[import-untyped]
from sandbox_process import start_sandbox

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "vc_test_perf_harness"  # the sandbox's own key: not a secret
TODAY = "2026-11-21"
PRODUCTS = (("bprd_mec", "MEC", "Medical"), ("bprd_dental", "VD", "Dental"))
COVERAGE = ("2027-01-01", "2027-12-31")
OPEN_ENROLLMENT = ("2026-12-01", "2026-12-15")
# (employment, family_status, employee cents, employer cents) per product code
CLASSES: dict[str, list[tuple[str, str, int, int]]] = {
    "MEC": [
        ("full_time", "EE", 4500, 38000),
        ("full_time", "ES", 12000, 64600),
        ("full_time", "EC", 11000, 60800),
        ("full_time", "EF", 18000, 95000),
        ("part_time", "EE", 9000, 19000),
    ],
    "VD": [("full_time", "EE", 1200, 2400), ("full_time", "EF", 3500, 4000)],
}
SCENARIOS = ("plan-all", "plan-few", "apply", "apply-rate-limited", "engine-only")


# --- fixtures ---------------------------------------------------------------------


def employer_ids(n: int) -> list[str]:
    return [f"empr_p{i:05d}" for i in range(n)]


def create_body(employer_id: str, code: str) -> dict[str, Any]:
    return {
        "employer_id": employer_id,
        "coverage_start": COVERAGE[0],
        "coverage_end": COVERAGE[1],
        "open_enrollment_start": OPEN_ENROLLMENT[0],
        "open_enrollment_end": OPEN_ENROLLMENT[1],
        "contribution_classes": [
            {
                "employment": emp,
                "family_status": tier,
                "employee_contribution_cents": ee,
                "employer_contribution_cents": er,
            }
            for emp, tier, ee, er in CLASSES[code]
        ],
    }


def write_seed(path: Path, employers: list[str], *, with_plan_years: bool) -> None:
    products = [
        {
            "id": pid,
            "name": f"Vitable {code}",
            "product_code": code,
            "category": category,
            "carrier_plans": [
                {"id": f"cplan_{code.lower()}_core", "name": f"{code} Core",
                 "monthly_premium_cents": 8900, "tier": "Bronze"},
            ],
        }
        for pid, code, category in PRODUCTS
    ]  # fmt: skip
    doc: dict[str, Any] = {
        "benefit_products": products,
        "employers": [{"id": e, "name": e, "legal_name": f"{e} LLC"} for e in employers],
    }
    if with_plan_years:
        doc["plan_years"] = [
            {"benefit_product_id": pid, **create_body(e, code)}
            for e in employers
            for pid, code, _ in PRODUCTS
        ]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def write_config(directory: Path, employers: list[str]) -> Path:
    """A config as a user writes it: two templates, two rollouts over one CSV."""
    directory.mkdir(parents=True, exist_ok=True)
    templates = {
        f"{code.lower()}-2027": {
            "benefit_product": code,
            "coverage": {"start": COVERAGE[0], "end": COVERAGE[1]},
            "contribution_classes": _class_tree(code),
        }
        for _, code, _ in PRODUCTS
    }
    rollouts = [
        {"name": f"{code.lower()}-wave", "template": f"{code.lower()}-2027",
         "employers": {"csv": "employers.csv"}}
        for _, code, _ in PRODUCTS
    ]  # fmt: skip
    doc = {
        "version": 1,
        "defaults": {"open_enrollment": {"start": OPEN_ENROLLMENT[0], "end": OPEN_ENROLLMENT[1]}},
        "templates": templates,
        "rollouts": rollouts,
    }
    (directory / "vitable.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    (directory / "employers.csv").write_text("employer_id\n" + "\n".join(employers) + "\n")
    return directory


def _class_tree(code: str) -> dict[str, dict[str, dict[str, int]]]:
    tree: dict[str, dict[str, dict[str, int]]] = {}
    for emp, tier, ee, er in CLASSES[code]:
        tree.setdefault(emp, {})[tier] = {"employee": ee, "employer": er}
    return tree


def write_desired(path: Path, employers: list[str]) -> Path:
    """The naive reconciler's input: the same plan years as the config, as create bodies."""
    items = [
        {"benefit_product_id": pid, "body": create_body(e, code)}
        for e in employers
        for pid, code, _ in PRODUCTS
    ]
    path.write_text(json.dumps(items))
    return path


# --- the sandbox process ----------------------------------------------------------


class Sandbox:
    """``vitable-config sandbox serve`` in a child process, with admin helpers."""

    def __init__(self, seed: Path, latency_ms: int) -> None:
        self.proc, self.base_url, _ = start_sandbox(
            "--seed", str(seed), "--latency-ms", str(latency_ms), "--today", TODAY,
            api_key=API_KEY,
        )  # fmt: skip
        self.admin = httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=120
        )

    def stats(self) -> dict[str, Any]:
        return dict(self.admin.get("/_sandbox/stats").raise_for_status().json())

    def reset(self) -> None:
        self.admin.post("/_sandbox/reset").raise_for_status()

    def set_rate_limit(self, rps: float | None) -> None:
        self.admin.post("/_sandbox/rate-limit", json={"rate_limit": rps}).raise_for_status()

    def plan_year_keys(self) -> tuple[int, int]:
        """(plan years, distinct (employer, product, coverage_start) keys)."""
        rows = self.admin.get("/_sandbox/plan-years").raise_for_status().json()
        keys = {(r["employer_id"], r["benefit_product_id"], r["coverage_start"]) for r in rows}
        return len(rows), len(keys)

    def cpu_s(self) -> float:
        """CPU time (user + sys) the sandbox process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.admin.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- measuring one process --------------------------------------------------------


@dataclass
class Measure:
    """One measured process: wall time, the sandbox's request counts, peak RSS."""

    wall_s: float
    requests: int
    rate_limited: int
    peak_rss_mb: float
    detail: dict[str, Any]


# Peak memory of a measured process is its own VmHWM (/proc/self/status), written at
# exit. Not ru_maxrss from wait4: on Linux a child's ru_maxrss starts at the
# *parent's* high-water mark (recorded at exec), so every child would report >= the
# harness's own RSS.
_HWM_PRELUDE = """\
import atexit, os, re
def _report_hwm():
    found = re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read())
    with open(os.environ["VC_PERF_HWM_FILE"], "w") as f:
        f.write(found.group(1) if found else "")
atexit.register(_report_hwm)
"""
# python -c RUN_SCRIPT script.py args...: run a script as __main__, as `python script.py`
# would (with the script's folder first on sys.path, so sibling modules import)
RUN_SCRIPT = (
    _HWM_PRELUDE
    + "import os, runpy, sys\nsys.argv = sys.argv[1:]\n"
    + "sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))\n"
    + ("runpy.run_path(sys.argv[0], run_name='__main__')\n")
)
# python -c RUN_CLI args...: exactly what the vitable-config console script does
RUN_CLI = _HWM_PRELUDE + (
    "import sys\nfrom vitable_config.cli.main import entry\n"
    "sys.argv[0] = 'vitable-config'\nsys.exit(entry())\n"
)


def compile_package() -> None:
    """Write vitable_config's bytecode, as an installed package has it (pip compiles at
    install): with PYTHONDONTWRITEBYTECODE set (this machine sets it) and an editable
    install, every measured process would otherwise compile the package's modules
    again (~80 ms per run, measured)."""
    compileall.compile_dir(ROOT / "vitable_config", quiet=1)


def run_measured(
    code: str, args: list[str], sandbox: Sandbox | None, *, expect_rc: int | None = 0
) -> tuple[float, float, dict[str, Any], str]:
    """Run ``python -c code args...``; return (spawn-to-exit wall, peak RSS MB, sandbox
    stats delta, stdout)."""
    before = sandbox.stats() if sandbox else {}
    cmd = [sys.executable, "-c", code, *args]
    with (
        tempfile.TemporaryFile(mode="w+") as out,
        tempfile.TemporaryFile(mode="w+") as err,
        tempfile.NamedTemporaryFile(mode="r", suffix=".hwm") as hwm,
    ):
        env = {**os.environ, "VITABLE_CONNECT_API_KEY": API_KEY, "NO_COLOR": "1",
               "VC_PERF_HWM_FILE": hwm.name}  # fmt: skip
        started = time.perf_counter()
        sandbox_cpu = sandbox.cpu_s() if sandbox else 0.0
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        # wait4: the child's own CPU time (user + sys), which the machine's other load
        # changes far less than the wall time.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        peak_kb = hwm.read().strip()
    if not peak_kb:
        raise SystemExit(f"no peak memory reported by {' '.join(args[:2])}: {stderr[-2000:]}")
    if expect_rc is not None and proc.returncode != expect_rc:
        raise SystemExit(
            f"{' '.join(args[:3])}... exited {proc.returncode} (expected {expect_rc}):\n"
            f"{stderr[-3000:]}\n{stdout[-2000:]}"
        )
    delta: dict[str, Any] = {"rc": proc.returncode, "cpu_s": usage.ru_utime + usage.ru_stime}
    if sandbox:
        delta["sandbox_cpu_s"] = sandbox.cpu_s() - sandbox_cpu
        after = sandbox.stats()
        delta["requests"] = after["requests"] - before["requests"]
        delta["rate_limited"] = after["by_status"].get("429", 0) - before["by_status"].get("429", 0)
    return wall, int(peak_kb) / 1024, delta, stdout


def measure_lib(sandbox: Sandbox, action: str, config: Path, concurrency: int) -> Measure:
    args = [__file__, "_lib", action, sandbox.base_url, str(config), str(concurrency)]
    _, rss, delta, stdout = run_measured(RUN_SCRIPT, args, sandbox)
    detail = json.loads(stdout.strip().splitlines()[-1])
    return Measure(detail["wall_s"], delta["requests"], delta["rate_limited"], rss, detail)


def measure_cli(sandbox: Sandbox, action: str, config: Path, concurrency: int) -> Measure:
    args = [action, str(config), "--base-url", sandbox.base_url,
            "--concurrency", str(concurrency)]  # fmt: skip
    args += ["--detailed-exitcode"] if action == "plan" else ["--auto-approve"]
    # apply exits 1 when an action failed: recorded (missing plan years), not fatal
    wall, rss, delta, _ = run_measured(
        RUN_CLI, args, sandbox, expect_rc=0 if action == "plan" else None
    )
    return Measure(wall, delta["requests"], delta["rate_limited"], rss, {"rc": delta["rc"]})


def measure_naive(sandbox: Sandbox, desired: Path, *, write: bool) -> Measure:
    args = [str(ROOT / "benchmarks" / "naive.py"), str(desired), "--base-url", sandbox.base_url]
    _, rss, delta, stdout = run_measured(RUN_SCRIPT, args + (["--write"] if write else []), sandbox)
    detail = json.loads(stdout.strip().splitlines()[-1])
    if detail["failed"]:
        raise SystemExit(f"naive reconciler failed: {detail}")
    return Measure(detail["wall_s"], delta["requests"], delta["rate_limited"], rss, detail)


# --- worker: the library API in a fresh process -----------------------------------


async def _lib_worker(action: str, base_url: str, config: str, concurrency: int) -> dict[str, Any]:
    from pydantic import SecretStr

    from vitable_config.api.client import VitableClient
    from vitable_config.api.settings import ClientSettings
    from vitable_config.engine.run import apply_plan, plan_config

    settings = ClientSettings(api_key=SecretStr(API_KEY), base_url=base_url)
    started = time.perf_counter()
    async with VitableClient(settings, max_concurrency=concurrency) as client:
        plan = await plan_config([config], client)
        planned = time.perf_counter()
        out: dict[str, Any] = {"summary": plan.summary}
        if action == "apply":
            result = await apply_plan(plan, client, concurrency=concurrency)
            out["apply"] = result.summary_line()
            failed = [r for r in result.results if r.status == "failed"]
            out["failed"] = len(failed)
            out["first_failure"] = failed[0].message if failed else None
        done = time.perf_counter()
        out["client_stats"] = client.stats.as_dict()
        out["learned_rate"] = client.learned_rate
    out.update(wall_s=done - started, plan_s=planned - started, cpu_s=time.process_time())
    if action == "apply":
        out["apply_s"] = done - planned
    return out


# --- scenarios --------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    target: str
    lib: list[Measure]
    cli: list[Measure]
    naive: Measure | None
    checks: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        def summary(ms: list[Measure]) -> dict[str, Any] | None:
            if not ms:
                return None
            walls = [m.wall_s for m in ms]
            return {
                "median_wall_s": round(statistics.median(walls), 3),
                "walls_s": [round(w, 3) for w in walls],
                "requests": [m.requests for m in ms],
                "rate_limited": [m.rate_limited for m in ms],
                "peak_rss_mb": round(max(m.peak_rss_mb for m in ms), 1),
            }

        lib = summary(self.lib)
        if lib and self.lib and "apply_s" in self.lib[0].detail:
            lib["median_apply_s"] = round(
                statistics.median(m.detail["apply_s"] for m in self.lib), 3
            )
            lib["median_plan_s"] = round(statistics.median(m.detail["plan_s"] for m in self.lib), 3)
            lib["learned_rate_at_end"] = [
                round(m.detail["learned_rate"], 1) if m.detail.get("learned_rate") else None
                for m in self.lib
            ]
        naive = None
        if self.naive:
            naive = {
                "wall_s": round(self.naive.wall_s, 3),
                "requests": self.naive.requests,
                "rate_limited": self.naive.rate_limited,
                "peak_rss_mb": round(self.naive.peak_rss_mb, 1),
                "runs": 1,
            }
        return {
            "scenario": self.scenario,
            "target": self.target,
            "vitable_config_lib": lib,
            "vitable_config_cli": summary(self.cli),
            "naive": naive,
            "ratio_naive_over_lib": _ratio(self.naive, self.lib),
            "ratio_naive_over_cli": _ratio(self.naive, self.cli),
            "checks": self.checks,
        }


def _ratio(naive: Measure | None, ours: list[Measure]) -> float | None:
    if naive is None or not ours:
        return None
    return round(naive.wall_s / statistics.median(m.wall_s for m in ours), 1)


def repeat(
    runs: int, fn: Callable[[], Measure], before: Callable[[], None] | None = None
) -> list[Measure]:
    out = []
    for _ in range(runs):
        if before:
            before()
        out.append(fn())
    return out


def _check_apply(sandbox: Sandbox, expected: int, measure: Measure) -> Measure:
    """Duplicates stop the harness; missing plan years are recorded (the run failed)."""
    total, distinct = sandbox.plan_year_keys()
    if total != distinct:
        raise SystemExit(f"after apply: {total} plan years but {distinct} distinct: duplicates")
    measure.detail["plan_years_after"] = total
    measure.detail["missing"] = expected - total
    if total != expected:
        print(f"  !! {expected - total} of {expected} plan years missing after this run")
    return measure


def plan_rows(args: argparse.Namespace, tmp: Path, wanted: set[str]) -> list[Row]:
    everyone = employer_ids(args.employers)
    few = everyone[: args.few]
    seed = tmp / "seed-in-sync.yaml"
    write_seed(seed, everyone, with_plan_years=True)
    configs = {"plan-all": write_config(tmp / "config-all", everyone),
               "plan-few": write_config(tmp / "config-few", few)}  # fmt: skip
    desired = {"plan-all": write_desired(tmp / "desired-all.json", everyone),
               "plan-few": write_desired(tmp / "desired-few.json", few)}  # fmt: skip
    targets = {
        "plan-all": f"<= 2 s, <= 60 requests, >= 30x naive ({len(everyone) * 2} in sync)",
        "plan-few": f"<= 0.5 s ({len(few)} of {len(everyone)} employers configured)",
    }
    rows: list[Row] = []
    sandbox = Sandbox(seed, args.latency_ms)
    try:
        for name in ("plan-all", "plan-few"):
            if name not in wanted:
                continue
            expected = 2 * (len(everyone) if name == "plan-all" else len(few))
            print(f"[{name}] vitable-config library x{args.runs} ...", flush=True)
            lib = repeat(
                args.runs, partial(measure_lib, sandbox, "plan", configs[name], args.concurrency)
            )
            print(f"[{name}] vitable-config CLI x{args.runs} ...", flush=True)
            cli = repeat(
                args.runs, partial(measure_cli, sandbox, "plan", configs[name], args.concurrency)
            )
            naive = None
            if not args.skip_naive:
                print(f"[{name}] naive reconciler x1 ...", flush=True)
                naive = measure_naive(sandbox, desired[name], write=False)
            checks = {
                "lib_summary": lib[0].detail["summary"],
                "in_sync": lib[0].detail["summary"].get("unchanged") == expected
                and not lib[0].detail["summary"].get("create"),
                "naive_unchanged": naive.detail["unchanged"] if naive else None,
            }
            rows.append(Row(name, targets[name], lib, cli, naive, checks))
    finally:
        sandbox.close()
    return rows


def apply_rows(args: argparse.Namespace, tmp: Path, wanted: set[str]) -> list[Row]:
    everyone = employer_ids(args.employers)
    expected = 2 * len(everyone)
    seed = tmp / "seed-empty.yaml"
    write_seed(seed, everyone, with_plan_years=False)
    config = write_config(tmp / "config-apply", everyone)
    desired = write_desired(tmp / "desired-apply.json", everyone)
    cases = {
        "apply": (None, f"<= 8 s ({expected} creates, concurrency {args.concurrency})"),
        "apply-rate-limited": (
            float(args.rate_limit),
            f"<= 23 s, < 1% of requests 429 (sandbox limit {args.rate_limit} req/s)",
        ),
    }
    rows: list[Row] = []
    sandbox = Sandbox(seed, args.latency_ms)

    def fresh() -> None:
        sandbox.reset()
        time.sleep(1.1)  # the server's token bucket refills: every run starts alike

    try:
        for name, (rate, target) in cases.items():
            if name not in wanted:
                continue
            sandbox.set_rate_limit(rate)
            print(f"[{name}] vitable-config library x{args.runs} ...", flush=True)
            lib = repeat(
                args.runs,
                lambda: _check_apply(
                    sandbox, expected, measure_lib(sandbox, "apply", config, args.concurrency)
                ),
                fresh,
            )
            print(f"[{name}] vitable-config CLI x{args.runs} ...", flush=True)
            cli = repeat(
                args.runs,
                lambda: _check_apply(
                    sandbox, expected, measure_cli(sandbox, "apply", config, args.concurrency)
                ),
                fresh,
            )
            naive = None
            if not args.skip_naive:
                print(f"[{name}] naive reconciler x1 (minutes) ...", flush=True)
                fresh()
                naive = _check_apply(sandbox, expected, measure_naive(sandbox, desired, write=True))
            checks = {
                "expected_plan_years": expected,
                "duplicates": 0,
                "missing_per_run": [m.detail["missing"] for m in lib + cli]
                + ([naive.detail["missing"]] if naive else []),
                "failed_actions_lib": [m.detail.get("failed") for m in lib],
                "first_failure_lib": next(
                    (m.detail["first_failure"] for m in lib if m.detail.get("first_failure")), None
                ),
            }
            rows.append(Row(name, target, lib, cli, naive, checks))
    finally:
        sandbox.close()
    return rows


def concurrency_sweep(
    args: argparse.Namespace, tmp: Path, levels: list[int]
) -> list[dict[str, Any]]:
    """Apply 2,000 creates (library API, no rate limit) at each concurrency level."""
    everyone = employer_ids(args.employers)
    seed = tmp / "seed-empty.yaml"
    write_seed(seed, everyone, with_plan_years=False)
    config = write_config(tmp / "config-apply", everyone)
    sandbox = Sandbox(seed, args.latency_ms)
    out = []
    try:
        for level in levels:
            runs = []
            for _ in range(args.runs):
                sandbox.reset()
                measure = measure_lib(sandbox, "apply", config, level)
                runs.append(_check_apply(sandbox, 2 * len(everyone), measure))
            out.append({
                "concurrency": level,
                "median_apply_s": round(statistics.median(m.detail["apply_s"] for m in runs), 3),
                "apply_s": [round(m.detail["apply_s"], 3) for m in runs],
                "ideal_s": round(2 * len(everyone) * args.latency_ms / 1000 / level, 2),
                "client_cpu_s": [round(m.detail["cpu_s"], 2) for m in runs],
                "missing": [m.detail["missing"] for m in runs],
            })  # fmt: skip
            print(
                f"concurrency {level:>3}: apply {out[-1]['median_apply_s']:.2f} s "
                f"(ideal {out[-1]['ideal_s']:.2f} s), client CPU {out[-1]['client_cpu_s']} s",
                flush=True,
            )
    finally:
        sandbox.close()
    return out


def engine_row(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    out = tmp / "engine_only.json"
    script = [str(ROOT / "benchmarks" / "engine_only.py"), "--runs", str(args.runs)]
    print(f"[engine-only] benchmarks/engine_only.py --runs {args.runs} ...", flush=True)
    wall, rss, _, _ = run_measured(RUN_SCRIPT, [*script, "--out", str(out)], None)
    data = json.loads(out.read_text())
    return {
        "scenario": "engine-only",
        "target": "<= 3 s wall, peak RSS <= 300 MB (10,000 plan years x 8 classes, no network)",
        "engine_wall_s": round(data["median"]["engine_s"], 3),
        "engine_cpu_s": round(data["median"]["engine_cpu_s"], 3),
        "plan_s": round(data["median"]["plan_s"], 3),
        "render_s": round(data["median"]["render_s"], 3),
        "peak_rss_mb": round(rss, 1),
        "process_wall_s": round(wall, 3),
        "plan_summary": data["plan_summary"],
        "runs": args.runs,
    }


# --- verdicts and the table ---------------------------------------------------------


def verdict(row: dict[str, Any]) -> tuple[str, str]:
    """(figure the target is judged on, 'met'/'MISSED')."""
    name = row["scenario"]
    if name == "engine-only":
        ok = row["engine_wall_s"] <= 3 and row["peak_rss_mb"] <= 300
        return f"{row['engine_wall_s']:.2f} s, {row['peak_rss_mb']:.0f} MB", _met(ok)
    lib = row["vitable_config_lib"]
    reqs = max(lib["requests"])
    if name == "plan-all":
        ratio = row["ratio_naive_over_lib"]
        ok = lib["median_wall_s"] <= 2 and reqs <= 60 and (ratio is None or ratio >= 30)
        return f"{lib['median_wall_s']:.2f} s, {reqs} req, {ratio or '?'}x", _met(ok)
    if name == "plan-few":
        return f"{lib['median_wall_s']:.2f} s", _met(lib["median_wall_s"] <= 0.5)
    limit = 8.0 if name == "apply" else 23.0
    share = max(r / q for r, q in zip(lib["rate_limited"], lib["requests"], strict=True))
    missing = sum(row["checks"]["missing_per_run"])
    ok = lib["median_apply_s"] <= limit and share < 0.01 and missing == 0
    if missing:
        return f"{missing} plan years not created", _met(False)
    return f"{lib['median_apply_s']:.2f} s, 429s {share:.2%}", _met(ok)


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| scenario | vc library | vc CLI | requests | 429s | peak RSS | naive | naive req"
            " | naive / vc | target | judged on | result |")  # fmt: skip
    lines = [head, "|" + "---|" * 12]
    for row in rows:
        judged, result = verdict(row)
        if row["scenario"] == "engine-only":
            lines.append(
                f"| engine-only | {row['engine_wall_s']:.2f} s | – | 0 | 0 | "
                f"{row['peak_rss_mb']:.0f} MB | – | – | – | {row['target']} | {judged} | {result} |"
            )
            continue
        lib, cli, naive = row["vitable_config_lib"], row["vitable_config_cli"], row["naive"]
        lib_wall = f"{lib['median_wall_s']:.2f} s"
        if "median_apply_s" in lib:
            lib_wall += f" (apply {lib['median_apply_s']:.2f} s)"
        lines.append(
            f"| {row['scenario']} | {lib_wall} | {cli['median_wall_s']:.2f} s | "
            f"{_span(lib['requests'])} / {_span(cli['requests'])} | "
            f"{_span(lib['rate_limited'])} / {_span(cli['rate_limited'])} | "
            f"{lib['peak_rss_mb']:.0f} / {cli['peak_rss_mb']:.0f} MB | "
            + (
                f"{naive['wall_s']:.1f} s | {naive['requests']} | "
                f"{row['ratio_naive_over_lib']}x / {row['ratio_naive_over_cli']}x | "
                if naive
                else "not run | – | – | "
            )
            + f"{row['target']} | {judged} | {result} |"
        )
    return "\n".join(lines)


def _span(values: list[int]) -> str:
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo}–{hi}"


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": commit,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_lib":
        action, base_url, config, concurrency = sys.argv[2:6]
        print(json.dumps(asyncio.run(_lib_worker(action, base_url, config, int(concurrency)))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of vitable-config (median)")
    parser.add_argument("--quick", action="store_true", help="one run of everything")
    parser.add_argument("--skip-naive", action="store_true", help="do not run the naive side")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--employers", type=int, default=1000)
    parser.add_argument("--few", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--rate-limit", type=float, default=100.0, help="sandbox req/s")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "perf.json")
    parser.add_argument(
        "--sweep",
        metavar="LEVELS",
        help="only sweep apply concurrency, e.g. 8,16,32,64 (kept in --out as concurrency_sweep)",
    )
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="do not write vitable_config's bytecode first (measure compiling on every run)",
    )
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    if not args.no_compile:
        compile_package()
    if args.sweep:
        with tempfile.TemporaryDirectory(prefix="vc-perf-") as tmp_name:
            levels = [int(x) for x in args.sweep.split(",")]
            sweep = concurrency_sweep(args, Path(tmp_name), levels)
        previous = json.loads(args.out.read_text()) if args.out.exists() else {}
        previous["concurrency_sweep"] = {
            "command": "python " + " ".join(["benchmarks/perf.py", *sys.argv[1:]]),
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_average_after": os.getloadavg(),
            "levels": sweep,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(previous, indent=2) + "\n")
        return
    wanted = set(args.scenarios.split(","))
    if unknown := wanted - set(SCENARIOS):
        parser.error(f"unknown scenarios {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
    started = time.perf_counter()
    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="vc-perf-") as tmp_name:
        tmp = Path(tmp_name)
        rows += [r.as_dict() for r in plan_rows(args, tmp, wanted)]
        rows += [r.as_dict() for r in apply_rows(args, tmp, wanted)]
        if "engine-only" in wanted:
            rows.append(engine_row(args, tmp))
    result: dict[str, Any] = {
        "command": "python " + " ".join(["benchmarks/perf.py", *sys.argv[1:]]),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "latency_ms": args.latency_ms,
        "runs": args.runs,
        "naive_runs": 0 if args.skip_naive else 1,
        "machine": machine(),
        "load_average_before_after": [load_before, os.getloadavg()],
        "harness_wall_s": round(time.perf_counter() - started, 1),
        "rows": rows,
    }
    if args.out.exists():  # keep the last concurrency sweep
        sweep = json.loads(args.out.read_text()).get("concurrency_sweep")
        if sweep:
            result["concurrency_sweep"] = sweep
    print()
    print(table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {args.out} ({result['harness_wall_s']} s)")


if __name__ == "__main__":
    main()
