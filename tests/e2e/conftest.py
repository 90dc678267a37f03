"""Fixtures for the end-to-end tests (helpers live in ``e2e_support``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tests.e2e.e2e_support import PY, config_yaml


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    def write(plan_years: Iterable[PY], name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(config_yaml(plan_years), encoding="utf-8")
        return path

    return write
