"""Benchmark: load/validate a generated rollout of 5,000 employers x 3 products.

Generates, in a temporary directory, one config file with three templates
(MEC, VD, VV; 8 contribution classes each, employer shares computed by Jinja
from CSV variables), three rollouts over one CSV of 5,000 employers, and a few
employer overrides, i.e. 15,000 plan years. Then measures:

* ``load_config`` in-process (wall time of each run; the peak RSS of this process);
* ``vitable-config validate`` as a subprocess (wall time, peak RSS of the child).

Prints the figures and writes them to ``benchmarks/results/validate_large.json``.

``--config DIR`` measures an existing config directory instead (e.g. a flat export of
one file per employer) and writes ``validate_large-<DIR name>.json``; the CPU time of
the first load of a fresh process is measured too (a later load in the same process
finds its memory already allocated).

    .venv/bin/python benchmarks/validate_large.py [--employers 5000] [--runs 3]
    .venv/bin/python benchmarks/validate_large.py --config /work/perf/data/validate-flat
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "validate_large.json"

CONFIG = """\
# yaml-language-server: $schema=../../schemas/config.schema.json
version: 1
variables: {plan_year: 2027}
defaults:
  open_enrollment: {start: 2026-12-01, end: 2026-12-15}
  coverage: {start: "{{ plan_year }}-01-01", end: "{{ plan_year }}-12-31"}
templates:
%(templates)s
rollouts:
%(rollouts)s
employers:
%(overrides)s
"""

TEMPLATE = """\
  %(name)s:
    benefit_product: %(product)s
    contribution_classes:
      full_time:
        Unspecified: {employee: "$10.00", employer: "{{ base_cents }}"}
        EE: {employee: "$45.00", employer: "{{ base_cents }}"}
        ES: {employee: "$120.00", employer: "{{ (base_cents * 1.7) | round | int }}"}
        EC: {employee: "$110.00", employer: "{{ (base_cents * 1.6) | round | int }}"}
        EF: {employee: "$180.00", employer: "{{ (base_cents * 2.5) | round | int }}"}
      part_time:
        EE: {employee: 9000, employer: "{{ (base_cents * share) | round | int }}"}
        ES: {employee: 15000, employer: 20000}
        EF: {employee: 22000, employer: 30000}
"""

ROLLOUT = """\
  - name: wave-%(name)s
    template: %(name)s
    variables: {share: 0.5}
    employers: {csv: employers.csv}
"""

OVERRIDE = """\
  empr_b%(i)05d:
    plan_years:
      - benefit_product: MEC
        coverage: {start: 2027-01-01}
        contribution_classes: {full_time: {EE: {employer: "$500.00"}}}
"""


def generate(directory: Path, employers: int) -> int:
    products = [("mec", "MEC"), ("dental", "VD"), ("vision", "VV")]
    templates = "".join(TEMPLATE % {"name": n, "product": p} for n, p in products)
    rollouts = "".join(ROLLOUT % {"name": n} for n, _ in products)
    overrides = "".join(OVERRIDE % {"i": i} for i in range(0, employers, max(1, employers // 50)))
    (directory / "config.yaml").write_text(
        CONFIG % {"templates": templates, "rollouts": rollouts, "overrides": overrides}
    )
    rows = ["employer_id,base_cents,share"]
    rows += [f"empr_b{i:05d},{30000 + i},{0.4 + (i % 3) / 10:.1f}" for i in range(employers)]
    (directory / "employers.csv").write_text("\n".join(rows) + "\n")
    return employers * len(products)


def peak_rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # ru_maxrss is KiB on Linux


FIRST_LOAD = """\
import sys, time
from vitable_config.config import load_config
started = time.process_time()
load_config([sys.argv[1]])
print(time.process_time() - started)
"""


def first_load_cpu_seconds(directory: Path) -> float:
    """CPU seconds (user + system) of the first load_config of a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-c", FIRST_LOAD, str(directory)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employers", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not write the JSON result")
    parser.add_argument(
        "--config", type=Path, help="measure this config directory instead of a generated one"
    )
    args = parser.parse_args()

    from vitable_config.config import load_config

    results = RESULTS
    first_load_cpu: list[float] = []
    if args.config is not None:
        results = RESULTS.with_name(f"validate_large-{args.config.resolve().name}.json")
        for _ in range(args.runs):
            first_load_cpu.append(first_load_cpu_seconds(args.config))
    rss_before = peak_rss_mib(resource.RUSAGE_SELF)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if args.config is not None:
            directory = args.config
            expected = len(load_config([directory]).plan_years)
        else:
            expected = generate(directory, args.employers)
        in_process: list[float] = []
        in_process_cpu: list[float] = []
        for _ in range(args.runs):
            started, cpu = time.perf_counter(), time.process_time()
            state = load_config([directory])
            in_process.append(time.perf_counter() - started)
            in_process_cpu.append(time.process_time() - cpu)
            assert len(state.plan_years) == expected, len(state.plan_years)
            classes = sum(len(py.contribution_classes) for py in state.plan_years)
            del state
        rss_in_process = peak_rss_mib(resource.RUSAGE_SELF)

        cli_times: list[float] = []
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_before = children.ru_utime + children.ru_stime
        for _ in range(args.runs):
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "vitable_config", "validate", str(directory)],
                capture_output=True,
                text=True,
                check=False,
            )
            cli_times.append(time.perf_counter() - started)
            if proc.returncode != 0:
                print(proc.stderr[:2000], file=sys.stderr)
                return 1
        cli_output = proc.stdout.strip()
        rss_cli = peak_rss_mib(resource.RUSAGE_CHILDREN)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cli_cpu = (children.ru_utime + children.ru_stime - cpu_before) / args.runs

    result = {
        "benchmark": "validate_large",
        "config": str(args.config) if args.config is not None else "generated",
        "employers": args.employers if args.config is None else None,
        "products": 3 if args.config is None else None,
        "plan_years": expected,
        "contribution_classes": classes,
        "runs": args.runs,
        "load_config_seconds": [round(t, 3) for t in in_process],
        "load_config_median_seconds": round(statistics.median(in_process), 3),
        "load_config_cpu_seconds": [round(t, 3) for t in in_process_cpu],
        "first_load_config_cpu_seconds_fresh_process": [round(t, 3) for t in first_load_cpu],
        "process_peak_rss_mib_before_load": round(rss_before, 1),
        "process_peak_rss_mib_after_load": round(rss_in_process, 1),
        "cli_validate_seconds": [round(t, 3) for t in cli_times],
        "cli_validate_median_seconds": round(statistics.median(cli_times), 3),
        "cli_validate_mean_cpu_seconds": round(cli_cpu, 3),
        "cli_validate_peak_rss_mib": round(rss_cli, 1),
        "cli_output": cli_output,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(f"plan years: {expected:,} ({classes:,} contribution classes)")
    print(
        "load_config in-process: median {:.3f}s  runs {}  (CPU {})".format(
            result["load_config_median_seconds"],
            result["load_config_seconds"],
            result["load_config_cpu_seconds"],
        )
    )
    print(
        f"  peak RSS of this process: {rss_before:.1f} MiB before, "
        f"{rss_in_process:.1f} MiB after loading"
    )
    print(
        "vitable-config validate (subprocess): median {:.3f}s  runs {}  peak RSS {:.1f} MiB".format(
            result["cli_validate_median_seconds"], result["cli_validate_seconds"], rss_cli
        )
    )
    print(f"  mean CPU per run (user+sys, incl. interpreter start-up): {cli_cpu:.3f}s")
    print(f"  output: {cli_output}")
    if first_load_cpu:
        median_first = statistics.median(first_load_cpu)
        runs_first = [round(t, 3) for t in first_load_cpu]
        print(
            f"  first load_config of a fresh process, CPU: median {median_first:.3f}s  {runs_first}"
        )
    if not args.no_write:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
