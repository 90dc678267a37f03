"""Fixtures for the client contract tests: a sandbox seeded with ``seed_data`` and a client.

Every test that uses ``contract_sandbox`` / ``sbx`` / ``client`` runs once per API dialect
(``dialect``: the sandbox serves it and the client is told it, so no request waits for
a dialect-deciding read; ``client_for(..., api_dialect="auto")`` for detection tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from vitable_config.api import ClientSettings, RetryPolicy, VitableClient
from vitable_config.sandbox import SandboxHandle

from . import seed_data

# Tiny waits so retry tests stay fast; Retry-After hints are still honoured.
FAST_RETRIES = RetryPolicy(max_retries=3, wait_initial=0.005, wait_max=0.02, wait_jitter=0.005)

ClientFactory = Callable[..., VitableClient]
MakeContractSandbox = Callable[..., SandboxHandle]
CONTRACT_DIALECTS = ("2025-12", "2026-02")


@pytest.fixture(params=CONTRACT_DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    """The API dialect the contract sandbox serves (each test runs once per dialect)."""
    return str(request.param)


@pytest.fixture(scope="session")
def contract_seed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("client-seed") / "seed.yaml"
    path.write_text(yaml.safe_dump(seed_data.seed(), sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def contract_sandbox(
    make_sandbox: Callable[..., SandboxHandle], contract_seed_file: Path, dialect: str
) -> MakeContractSandbox:
    """Start a sandbox with the contract seed serving ``dialect``; keyword overrides go
    to SandboxSettings."""

    def make(**overrides: Any) -> SandboxHandle:
        values: dict[str, Any] = {
            "seed_file": contract_seed_file,
            "today": seed_data.TODAY,
            "dialect": dialect,
        }
        values.update(overrides)
        return make_sandbox(**values)

    return make


@pytest.fixture
def sbx(contract_sandbox: Callable[..., SandboxHandle]) -> SandboxHandle:
    return contract_sandbox()


@pytest.fixture
async def client_for() -> AsyncIterator[ClientFactory]:
    """``client_for(sandbox, **VitableClient kwargs)``; every client is closed afterwards."""
    made: list[VitableClient] = []

    def make(
        sandbox: SandboxHandle,
        *,
        api_key: str | None = None,
        api_dialect: str | None = None,
        **kwargs: Any,
    ) -> VitableClient:
        settings = ClientSettings.from_env(
            api_key=api_key or sandbox.api_key,
            base_url=sandbox.base_url,
            environ={},
            api_dialect=api_dialect or sandbox.dialect,
        )
        kwargs.setdefault("retry_policy", FAST_RETRIES)
        kwargs.setdefault("timeout", 5.0)
        client = VitableClient(settings, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def client(sbx: SandboxHandle, client_for: ClientFactory) -> VitableClient:
    return client_for(sbx)
