"""Shared fixtures: a real sandbox server on loopback, fresh for each test.

* ``sandbox`` — a running :class:`~vitable_config.sandbox.SandboxHandle` with an
  in-memory database seeded from ``examples/sandbox-seed.yaml`` and the clock at
  2026-11-21 (``sandbox.base_url``, ``sandbox.api_key``, ``sandbox.set_today(...)``,
  ``sandbox.set_faults(...)``, ``sandbox.request_log``, ``sandbox.write_count()``,
  ``sandbox.list_all_plan_years()``).
* ``make_sandbox(**settings)`` — start another one with any
  :class:`~vitable_config.sandbox.SandboxSettings` field overridden, e.g.
  ``make_sandbox(faults=FaultSettings(error_after=1.0), allow_overlap=True,
  rate_limit=5)``. Stopped at the end of the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from vitable_config.sandbox import SandboxHandle, SandboxSettings, running_sandbox

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SEED = REPO_ROOT / "examples" / "sandbox-seed.yaml"
SANDBOX_TODAY = date(2026, 11, 21)

MakeSandbox = Callable[..., SandboxHandle]


@pytest.fixture
def make_sandbox() -> Iterator[MakeSandbox]:
    with ExitStack() as stack:

        def make(**overrides: Any) -> SandboxHandle:
            values: dict[str, Any] = {
                "seed_file": EXAMPLE_SEED,
                "state_path": None,
                "today": SANDBOX_TODAY,
            }
            values.update(overrides)
            return stack.enter_context(running_sandbox(SandboxSettings(**values)))

        yield make


@pytest.fixture
def sandbox(make_sandbox: MakeSandbox) -> SandboxHandle:
    return make_sandbox()
