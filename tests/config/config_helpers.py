"""Helpers for config tests: write files, load them, collect formatted errors."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from vitable_config.config import load_config
from vitable_config.desired import DesiredPlanYear, DesiredState
from vitable_config.errors import UserError

MODELINE = "# yaml-language-server: $schema=../../schemas/config.schema.json\n"

BASE_TEMPLATE = """
version: 1
defaults:
  open_enrollment: {start: 2026-12-01, end: 2026-12-15}
templates:
  standard-2027:
    benefit_product: MEC
    coverage: {start: 2027-01-01, end: 2027-12-31}
    contribution_classes:
      full_time:
        EE: {employee: "$120.00", employer: "{{ ee_employer_cents }}"}
        EF: {employee: 45000, employer: "{{ (ee_employer_cents * 2.5) | int }}"}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load(paths: list[Path] | Path, variables: dict[str, Any] | None = None) -> DesiredState:
    items = paths if isinstance(paths, list) else [paths]
    return load_config(items, variables)


def errors(paths: list[Path] | Path, variables: dict[str, Any] | None = None) -> str:
    """The formatted error text; fails the test when loading succeeds."""
    with pytest.raises(UserError) as info:
        load(paths, variables)
    return info.value.format()


def one(state: DesiredState, employer_id: str, product: str = "MEC") -> DesiredPlanYear:
    found = [
        py
        for py in state.plan_years
        if py.employer_id == employer_id and py.benefit_product == product
    ]
    assert len(found) == 1, [str(py.key) for py in state.plan_years]
    return found[0]


def cents(py: DesiredPlanYear, employment: str, tier: str) -> tuple[int, int]:
    cls = py.contribution_classes[(employment, tier)]
    return cls.employee_contribution_cents, cls.employer_contribution_cents
