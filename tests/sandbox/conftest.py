"""Fixtures run once per dialect: ``wire`` (what a client sends and expects in that
dialect) and ``dialect_sandbox`` (a fresh sandbox serving it, seeded from the example
seed, clock 2026-11-21)."""

from __future__ import annotations

import pytest

from vitable_config.sandbox import SandboxHandle

from .helpers import MakeSandbox, Wire

CONTRACT_DIALECTS = ("2025-12", "2026-02")


@pytest.fixture(params=CONTRACT_DIALECTS)
def wire(request: pytest.FixtureRequest) -> Wire:
    return Wire(request.param)


@pytest.fixture
def dialect_sandbox(make_sandbox: MakeSandbox, wire: Wire) -> SandboxHandle:
    sb = make_sandbox(dialect=wire.dialect)
    assert sb.dialect == wire.dialect
    return sb
