"""Helpers for end-to-end tests: run the real CLI (``main``) against the sandbox over HTTP."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from vitable_config.cli.main import main

REPO = Path(__file__).resolve().parents[2]
ANSI = "\x1b["


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(
    args: list[str],
    *,
    env: Mapping[str, str | None] | None = None,
    input: str | None = None,
    tty: bool = False,
) -> CliResult:
    """Run ``vitable-config ARGS`` through ``main`` (the real error→exit-code mapping).

    ``tty=True`` makes stdin, stdout and stderr claim to be a terminal.
    """
    runner = CliRunner()
    with runner.isolation(input=input, env=dict(env or {}), color=tty) as (out, err, _):
        if tty:
            for stream in (sys.stdin, sys.stdout, sys.stderr):
                stream.isatty = lambda: True  # type: ignore[method-assign]
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # click may still exit for --help and the like
            code = int(exc.code or 0)
        sys.stdout.flush()
        sys.stderr.flush()
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())


def class_yaml(classes: Mapping[str, Mapping[str, tuple[int, int]]], indent: int) -> str:
    pad = " " * indent
    lines = [f"{pad}contribution_classes:"]
    for employment, tiers in classes.items():
        lines.append(f"{pad}  {employment}:")
        for tier, (employee, employer) in tiers.items():
            lines.append(f"{pad}    {tier}: {{employee: {employee}, employer: {employer}}}")
    return "\n".join(lines)


@dataclass
class PY:
    """A plan year to write into a test config."""

    employer: str
    product: str = "MEC"
    start: str = "2027-01-01"
    end: str = "2027-12-31"
    oe_start: str = "2026-12-01"
    oe_end: str = "2026-12-15"
    ee: int = 5000  # full_time EE employee cents
    er: int = 40000  # full_time EE employer cents


def config_yaml(plan_years: Iterable[PY]) -> str:
    by_employer: dict[str, list[PY]] = {}
    for py in plan_years:
        by_employer.setdefault(py.employer, []).append(py)
    lines = ["version: 1", "employers:"]
    for employer, items in by_employer.items():
        lines.append(f"  {employer}:")
        lines.append("    plan_years:")
        for py in items:
            lines += [
                f"      - benefit_product: {py.product}",
                f"        coverage: {{start: {py.start}, end: {py.end}}}",
                f"        open_enrollment: {{start: {py.oe_start}, end: {py.oe_end}}}",
                class_yaml(
                    {"full_time": {"EE": (py.ee, py.er)}, "part_time": {"EE": (9000, 20000)}}, 8
                ),
            ]
    return "\n".join(lines) + "\n"


def api_args(sb: Any) -> list[str]:
    return ["--base-url", sb.base_url, "--api-key", sb.api_key]


def live_plan_years(sb: Any) -> list[dict[str, Any]]:
    """Plan years straight from the sandbox's database (never the tool's report)."""
    out = []
    for py in sb.list_all_plan_years():
        out.append(py if isinstance(py, dict) else py.model_dump(mode="json"))
    return out


def keys_of(items: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted(
        (p["employer_id"], p["benefit_product_id"], str(p["coverage_start"])) for p in items
    )


def writes(sb: Any) -> list[Any]:
    """POST/PUT requests the sandbox received on the public API."""
    out = []
    for rec in sb.request_log:
        method = rec["method"] if isinstance(rec, dict) else rec.method
        path = rec["path"] if isinstance(rec, dict) else rec.path
        if method in ("POST", "PUT") and path.startswith("/v1/"):
            out.append(rec)
    return out


def put_plan_year(sb: Any, plan_year_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Change a live plan year behind the tool's back (as another user would)."""
    response = httpx.put(
        f"{sb.base_url}/v1/plan-years/{plan_year_id}",
        json=body,
        headers={"Authorization": f"Bearer {sb.api_key}"},
    )
    response.raise_for_status()
    return response.json()


TODAY = date(2026, 11, 21)
