"""Helpers for the reliability tests: the real CLI, generated configs, sandbox processes.

Everything that decides whether a test passes reads the sandbox's database
(``list_all_plan_years()`` in-process, ``GET /_sandbox/plan-years`` for a sandbox
in another process), never the tool's own report.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from vitable_config.cli.main import main
from vitable_config.sandbox import SandboxSettings

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "examples" / "sandbox-seed.yaml"
TODAY = date(2026, 11, 21)
EMPLOYERS = [f"empr_r{i:03d}" for i in range(1, 31)]
PRODUCTS = {"MEC": "bprd_mec", "VD": "bprd_dental"}
CLI = [sys.executable, "-m", "vitable_config"]

Key = tuple[str, str, str]  # employer, product id, coverage start
Classes = dict[tuple[str, str], tuple[int, int]]  # (employment, tier) -> (employee, employer)


def start_sandbox(**overrides: Any) -> SandboxSettings:
    """Settings for an in-process sandbox: the example seed, the test clock, in memory."""
    values: dict[str, Any] = {"seed_file": SEED, "state_path": None, "today": TODAY}
    values.update(overrides)
    return SandboxSettings(**values)


# --- running the CLI ------------------------------------------------------------


@dataclass
class CliResult:
    code: int
    out: str
    err: str
    exception: BaseException | None = None

    @property
    def text(self) -> str:
        return self.out + self.err


def run_cli(args: Sequence[object], env: Mapping[str, str | None] | None = None) -> CliResult:
    """``vitable-config ARGS`` through ``main`` (the real error → exit-code mapping).

    An exception escaping ``main`` would be a traceback for a user: it is caught
    here and returned in ``exception`` so the test can fail on it.
    """
    runner = CliRunner()
    with runner.isolation(env=dict(env or {})) as (out, err, _):
        exception: BaseException | None = None
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        except Exception as exc:
            code, exception = -1, exc
        sys.stdout.flush()
        sys.stderr.flush()
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode(), exception)


def api_args(base_url: str, api_key: str) -> list[str]:
    return ["--base-url", base_url, "--api-key", api_key]


# --- desired plan years -----------------------------------------------------------


@dataclass(frozen=True)
class WantedPlanYear:
    employer: str
    product: str  # product code
    year: int
    employee_cents: int
    employer_cents: int

    @property
    def key(self) -> Key:
        return (self.employer, PRODUCTS[self.product], f"{self.year}-01-01")

    def classes(self) -> Classes:
        return {
            ("full_time", "EE"): (self.employee_cents, self.employer_cents),
            ("part_time", "EE"): (self.employee_cents * 2, self.employer_cents // 2),
        }


def wanted_plan_years(n: int, *, bump: int = 0) -> list[WantedPlanYear]:
    """``n`` distinct plan years (≤ 300): 30 employers x MEC/VD x 2027-2031.

    Amounts differ per plan year (``bump`` shifts them all, to force updates).
    """
    out: list[WantedPlanYear] = []
    for year in range(2027, 2032):
        for product in PRODUCTS:
            for i, employer in enumerate(EMPLOYERS):
                if len(out) == n:
                    return out
                base = 1000 + 7 * len(out) + bump
                out.append(WantedPlanYear(employer, product, year, base, 30000 + i + bump))
    if len(out) < n:
        raise ValueError(f"at most {len(out)} plan years")
    return out


def config_yaml(plan_years: Iterable[WantedPlanYear]) -> str:
    by_employer: dict[str, list[WantedPlanYear]] = {}
    for py in plan_years:
        by_employer.setdefault(py.employer, []).append(py)
    lines = ["version: 1", "employers:"]
    for employer, items in by_employer.items():
        lines += [f"  {employer}:", "    plan_years:"]
        for py in items:
            lines += [
                f"      - benefit_product: {py.product}",
                f"        coverage: {{start: {py.year}-01-01, end: {py.year}-12-31}}",
                f"        open_enrollment: {{start: {py.year - 1}-12-01, "
                f"end: {py.year - 1}-12-15}}",
                "        contribution_classes:",
            ]
            by_employment: dict[str, list[str]] = {}
            for (employment, tier), (ee, er) in py.classes().items():
                by_employment.setdefault(employment, []).append(
                    f"            {tier}: {{employee: {ee}, employer: {er}}}"
                )
            for employment, rows in by_employment.items():
                lines += [f"          {employment}:", *rows]
    return "\n".join(lines) + "\n"


def create_body(py: WantedPlanYear) -> dict[str, Any]:
    """The POST body the API expects for ``py`` (used by the naive client)."""
    return {
        "employer_id": py.employer,
        "coverage_start": f"{py.year}-01-01",
        "coverage_end": f"{py.year}-12-31",
        "open_enrollment_start": f"{py.year - 1}-12-01",
        "open_enrollment_end": f"{py.year - 1}-12-15",
        "contribution_classes": [
            {
                "employment": employment,
                "family_status": tier,
                "employee_contribution_cents": ee,
                "employer_contribution_cents": er,
            }
            for (employment, tier), (ee, er) in py.classes().items()
        ],
    }


# --- comparing with the sandbox's database -------------------------------------------


def key_of(item: Mapping[str, Any]) -> Key:
    return (item["employer_id"], item["benefit_product_id"], str(item["coverage_start"]))


def classes_of(item: Mapping[str, Any]) -> Classes:
    return {
        (c["employment"], c["family_status"]): (
            c["employee_contribution_cents"],
            c["employer_contribution_cents"],
        )
        for c in item["contribution_classes"]
    }


def duplicate_count(items: Iterable[Mapping[str, Any]]) -> int:
    """Plan years beyond the first for each (employer, product, coverage start)."""
    counts = Counter(key_of(i) for i in items)
    return sum(n - 1 for n in counts.values() if n > 1)


@dataclass
class Comparison:
    missing: list[Key] = field(default_factory=list)
    wrong_content: list[Key] = field(default_factory=list)
    unexpected: list[Key] = field(default_factory=list)
    duplicates: int = 0

    @property
    def exact(self) -> bool:
        return not (self.missing or self.wrong_content or self.unexpected or self.duplicates)

    def __str__(self) -> str:
        return (
            f"missing={self.missing[:5]} ({len(self.missing)}), "
            f"wrong_content={self.wrong_content[:5]} ({len(self.wrong_content)}), "
            f"unexpected={self.unexpected[:5]} ({len(self.unexpected)}), "
            f"duplicates={self.duplicates}"
        )


def compare_live(
    live: Sequence[Mapping[str, Any]],
    wanted: Sequence[WantedPlanYear],
    baseline: Iterable[str] = (),
) -> Comparison:
    """Live plan years (minus the ids in ``baseline``) against the desired ones, exactly."""
    skip = set(baseline)
    ours = [p for p in live if p["id"] not in skip]
    want = {w.key: w for w in wanted}
    result = Comparison(duplicates=duplicate_count(ours))
    seen: set[Key] = set()
    for item in ours:
        key = key_of(item)
        seen.add(key)
        w = want.get(key)
        if w is None:
            result.unexpected.append(key)
        elif classes_of(item) != w.classes() or str(item["coverage_end"]) != f"{w.year}-12-31":
            result.wrong_content.append(key)
    result.missing = [k for k in want if k not in seen]
    return result


# --- apply's report -------------------------------------------------------------------

RESULT_LINE = re.compile(
    r"^[+~!?-] (created|updated|failed|skipped|unknown)\s+(\S+?)/(\S+?)/(\d{4}-\d{2}-\d{2})(.*)\n?"
    r"(?:    (.*))?$",
    re.M,
)


@dataclass(frozen=True)
class Reported:
    status: str
    key: Key
    line: str
    message: str  # the indented line under it ("" when there is none)

    @property
    def outcome_unknown(self) -> bool:
        return self.status == "unknown" or "unknown" in self.line or "unknown" in self.message


def reported_actions(out: str) -> list[Reported]:
    """apply's per-action lines: ``+ created empr_x/MEC/2027-01-01  plyr_...``, each
    with the message on the indented line below it, if any."""
    found = []
    for m in RESULT_LINE.finditer(out):
        product = PRODUCTS.get(m[3], m[3])
        found.append(Reported(m[1], (m[2], product, m[4]), m[0].split("\n")[0], m[6] or ""))
    return found


# --- a sandbox in its own process --------------------------------------------------------


class SandboxProcess:
    """``vitable-config sandbox serve`` in a subprocess, on a fixed port and ``--state`` file."""

    def __init__(
        self,
        state: Path,
        api_key: str,
        *,
        port: int = 0,
        extra: Sequence[str] = (),
    ) -> None:
        self.state = state
        self.api_key = api_key
        self.port = port
        self.extra = list(extra)
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.log_path = state

    def start(self) -> SandboxProcess:
        args = [
            *CLI,
            "sandbox",
            "serve",
            "--port",
            str(self.port),
            "--state",
            str(self.state),
            "--seed",
            str(SEED),
            "--today",
            TODAY.isoformat(),
            *self.extra,
        ]
        env = {**os.environ, "VITABLE_SANDBOX_API_KEY": self.api_key}
        # Output to a file, never an unread pipe: a full pipe would stall the server.
        self.log_path = self.state.with_name(f"{self.state.name}.{time.monotonic_ns()}.log")
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            text = self.log_path.read_text(errors="replace")
            url = re.search(r"^Base URL: (\S+)$", text, re.M)
            key = re.search(r"^API key: (\S+)$", text, re.M)
            if url and key:
                assert key[1] == self.api_key
                self.base_url = url[1]
                self.port = int(self.base_url.rsplit(":", 1)[1])
                self._wait_ready()
                return self
            time.sleep(0.02)
        raise RuntimeError(f"sandbox did not start: {self.log_path.read_text()[-2000:]}")

    def _wait_ready(self) -> None:
        for _ in range(200):
            try:
                self.admin("GET", "/_sandbox/clock")
                return
            except httpx.TransportError:
                time.sleep(0.02)
        raise RuntimeError("sandbox not answering")

    def admin(self, method: str, path: str, json: Any = None) -> Any:
        response = httpx.request(
            method,
            f"{self.base_url}{path}",
            json=json,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def plan_years(self) -> list[dict[str, Any]]:
        return list(self.admin("GET", "/_sandbox/plan-years"))

    def request_log(self) -> list[dict[str, Any]]:
        return list(self.admin("GET", "/_sandbox/requests"))

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, whatever is in flight is cut."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def cli_env(base_url: str, api_key: str) -> dict[str, str]:
    """Environment for ``vitable-config`` as a subprocess (key via the environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VITABLE_")}
    env.update(
        {
            "VITABLE_CONNECT_BASE_URL": base_url,
            "VITABLE_CONNECT_API_KEY": api_key,
            "NO_COLOR": "1",
        }
    )
    return env
