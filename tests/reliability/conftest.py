"""Fixtures for the reliability tests.

Every test here runs with one known sandbox API key (``VITABLE_SANDBOX_API_KEY``,
so in-process and subprocess sandboxes accept the same key), and an autouse check
fails the test if that key shows up in anything the test captured: its stdout and
stderr (file descriptors, so subprocess output that was not piped counts too) and
every log record.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator

import pytest

from tests.reliability.rel_support import start_sandbox
from vitable_config.sandbox import SandboxHandle, running_sandbox


@pytest.fixture(scope="session")
def secret_key() -> str:
    return f"vc_test_{secrets.token_hex(16)}"


@pytest.fixture(autouse=True)
def key_never_in_output(
    secret_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Iterator[None]:
    monkeypatch.setenv("VITABLE_SANDBOX_API_KEY", secret_key)
    caplog.set_level(logging.INFO)  # httpcore's DEBUG traces are large and carry no headers
    caplog.set_level(logging.DEBUG, logger="vitable_config")
    yield
    out, err = capfd.readouterr()
    leaks = [where for where, text in (("stdout", out), ("stderr", err)) if secret_key in text]
    leaks += [
        f"log record {r.name}: {r.getMessage()[:80]}"
        for r in caplog.records
        if secret_key in r.getMessage()
    ]
    assert not leaks, f"the API key appeared in: {leaks}"


@pytest.fixture(scope="module")
def module_sandbox(secret_key: str) -> Iterator[SandboxHandle]:
    """One sandbox for a whole module (the corpus runs ~200 cases against it)."""
    with running_sandbox(start_sandbox(api_key=secret_key)) as sb:
        yield sb
