"""``--sandbox``: run the sandbox API in-process so a first command needs no account.

The state lives in ``.vitable-sandbox/state.db`` (relative to the working
directory), seeded on first use from ``examples/sandbox-seed.yaml`` when that
file exists, else from the seed shipped in the package. ``vitable-config
sandbox reset`` deletes it. The clock is the real date unless
``VITABLE_SANDBOX_TODAY=YYYY-MM-DD`` is set.

Plans made against the embedded sandbox record the base URL as
``sandbox:<state path>`` (the port changes every run), so ``plan --sandbox --out
FILE`` then ``apply FILE --sandbox`` match.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

EXAMPLES_SEED = Path("examples") / "sandbox-seed.yaml"


@dataclass(frozen=True, slots=True)
class EmbeddedSandbox:
    base_url: str  # the real loopback URL the client talks to
    api_key: str
    label: str  # what plans record as their base URL
    today: date  # the sandbox's clock

    def __repr__(self) -> str:  # never show the key
        return f"EmbeddedSandbox(base_url={self.base_url!r}, label={self.label!r})"


def default_seed() -> Path:
    from vitable_config.sandbox import DEFAULT_SEED_PATH

    return EXAMPLES_SEED if EXAMPLES_SEED.is_file() else Path(DEFAULT_SEED_PATH)


@contextmanager
def embedded_sandbox(
    state_path: str | Path | None = None, seed_file: str | Path | None = None
) -> Iterator[EmbeddedSandbox]:
    """Start the sandbox on a free loopback port for the duration of the block."""
    from vitable_config.sandbox import SandboxSettings, running_sandbox
    from vitable_config.sandbox.settings import DEFAULT_STATE_PATH

    state = Path(state_path) if state_path is not None else DEFAULT_STATE_PATH
    state.parent.mkdir(parents=True, exist_ok=True)
    settings = SandboxSettings(seed_file=seed_file or default_seed(), state_path=state)
    today = settings.resolved_today()
    with running_sandbox(settings) as sb:
        yield EmbeddedSandbox(
            base_url=sb.base_url, api_key=sb.api_key, label=f"sandbox:{state}", today=today
        )
