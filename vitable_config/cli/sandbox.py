"""`vitable-config sandbox serve|reset`: the local Vitable Connect API sandbox."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import click

from vitable_config.errors import UserError
from vitable_config.sandbox.runtime import SandboxRuntime
from vitable_config.sandbox.server import serve_forever
from vitable_config.sandbox.settings import (
    DEFAULT_DIALECT,
    DEFAULT_SEED_PATH,
    DEFAULT_STATE_PATH,
    DIALECT_ENV,
    DIALECTS,
    SANDBOX_API_KEY_ENV,
    TODAY_ENV,
    FaultSettings,
    SandboxSettings,
    parse_today,
)

_FAULT_HELP = {
    "error_before": "Probability of a 500 before the write (nothing written).",
    "error_after": "Probability of a 500 after the write committed.",
    "drop_after": "Probability of closing the connection, without a response, after the "
    "write committed.",
    "slow": "Probability of a slow response (--slow-ms) after the write committed.",
    "throttle": "Probability of a 429 with Retry-After before the write (nothing written).",
    "commit_late": "Probability of a write that commits only after --slow-ms, once a client "
    "with a shorter --timeout has given up.",
}


def _probability(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        f"--fault-{name.replace('_', '-')}",
        name,
        type=click.FloatRange(0.0, 1.0),
        default=0.0,
        show_default=True,
        metavar="P",
        help=_FAULT_HELP[name],
    )


@click.group("sandbox")
def command() -> None:
    """Run a local sandbox of the Vitable Connect API (no account needed).

    \b
    Examples:
      vitable-config sandbox serve --port 0 --today 2026-11-21
      vitable-config sandbox reset
    """


@command.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port; 0 picks a free port.",
)
@click.option(
    "--state",
    "state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file for the state (default: in memory, gone on exit).",
)
@click.option(
    "--seed",
    "seed",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Seed YAML loaded into an empty database [default: built-in seed].",
)
@click.option(
    "--api-key",
    envvar=SANDBOX_API_KEY_ENV,
    help=f"Accepted API key (env {SANDBOX_API_KEY_ENV}; default: a generated vc_test_... key).",
)
@click.option(
    "--today",
    metavar="YYYY-MM-DD",
    help=f"The sandbox clock (env {TODAY_ENV}; default: the real date).",
)
@click.option(
    "--latency-ms",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Latency added to every request.",
)
@click.option(
    "--rate-limit",
    "rate_limit",
    type=click.FloatRange(0, min_open=True),
    metavar="RPS",
    help="Requests per second per API key before 429.",
)
@_probability("error_before")
@_probability("error_after")
@_probability("drop_after")
@_probability("slow")
@_probability("throttle")
@_probability("commit_late")
@click.option(
    "--slow-ms",
    type=click.IntRange(0),
    default=1000,
    show_default=True,
    help="Delay of a 'slow' or 'commit_late' fault.",
)
@click.option(
    "--fault-seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the fault draws (same seed + same requests = same faults).",
)
@click.option(
    "--fault-methods",
    metavar="METHODS",
    help="Comma-separated HTTP methods faults apply to (default: all), e.g. POST,PUT.",
)
@click.option(
    "--fault-path",
    "fault_paths",
    multiple=True,
    metavar="PATTERN",
    help="Apply faults only to paths matching this glob (repeatable), "
    "e.g. '/v1/benefit-products/*/plan-years'.",
)
@click.option(
    "--allow-overlap",
    is_flag=True,
    help="Accept plan years with overlapping coverage (turns off rule 3).",
)
@click.option(
    "--dialect",
    type=click.Choice(DIALECTS),
    envvar=DIALECT_ENV,
    default=DEFAULT_DIALECT,
    show_default=True,
    help=f"API dialect to serve (env {DIALECT_ENV}): 2025-12 (bare objects and arrays, "
    'family_status), 2026-02 ({"data": ...} envelopes, coverage_tier, ...), or removed '
    "(2026-02 without /v1/benefit-products and /v1/plan-years, which answer 404).",
)
def serve(
    host: str,
    port: int,
    state: Path | None,
    seed: Path | None,
    api_key: str | None,
    today: str | None,
    latency_ms: int,
    rate_limit: float | None,
    error_before: float,
    error_after: float,
    drop_after: float,
    slow: float,
    throttle: float,
    commit_late: float,
    slow_ms: int,
    fault_seed: int,
    fault_methods: str | None,
    fault_paths: tuple[str, ...],
    allow_overlap: bool,
    dialect: str,
) -> None:
    """Serve the sandbox API until interrupted (Ctrl-C).

    \b
    Examples:
      vitable-config sandbox serve --port 0
      vitable-config sandbox serve --state sandbox.db --latency-ms 50 --rate-limit 100
      vitable-config sandbox serve --allow-overlap --fault-error-after 0.2 --fault-seed 7
      vitable-config sandbox serve --dialect 2026-02

    Prints the base URL and the API key to use, e.g.

    \b
      export VITABLE_CONNECT_BASE_URL=http://127.0.0.1:8765
      export VITABLE_CONNECT_API_KEY=<the printed key>
    """
    clock: date | None = None
    if today is not None:
        clock = parse_today(today, "--today")
    elif os.environ.get(TODAY_ENV):
        clock = parse_today(os.environ[TODAY_ENV])
    seed_file = seed if seed is not None else DEFAULT_SEED_PATH
    if not Path(seed_file).is_file():
        raise UserError(f"--seed: no such file: {seed_file}")
    try:
        faults = FaultSettings(
            error_before=error_before,
            error_after=error_after,
            drop_after=drop_after,
            slow=slow,
            throttle=throttle,
            commit_late=commit_late,
            slow_ms=slow_ms,
            seed=fault_seed,
            methods=frozenset(m.strip() for m in fault_methods.split(",") if m.strip())
            if fault_methods
            else None,
            paths=fault_paths or None,
        )
    except ValueError as exc:
        raise UserError(f"--fault-*: {exc}") from None
    settings = SandboxSettings(
        seed_file=seed_file,
        state_path=state,
        today=clock,
        latency_ms=latency_ms,
        rate_limit=rate_limit,
        allow_overlap=allow_overlap,
        faults=faults,
        api_key=api_key,
        host=host,
        port=port,
        dialect=dialect,
    )

    def announce(base_url: str, runtime: SandboxRuntime) -> None:
        where = f"state in {state}" if state else "state in memory"
        if runtime.dialect != DEFAULT_DIALECT:
            where += f"; dialect {runtime.dialect}"
        click.echo(f"Vitable Connect sandbox ({where}; clock {runtime.today.isoformat()})")
        click.echo(f"Base URL: {base_url}")
        click.echo(f"API key: {runtime.api_key}")
        click.echo("Press Ctrl-C to stop.", nl=True)

    try:
        serve_forever(settings, announce)
    except KeyboardInterrupt:  # Ctrl-C: uvicorn has already shut down gracefully
        click.echo("Sandbox stopped.")
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@command.command("reset")
@click.option(
    "--state",
    "state",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_STATE_PATH,
    show_default=True,
    help="SQLite state file to delete.",
)
def reset(state: Path) -> None:
    """Delete the sandbox state (it is re-seeded on the next start).

    \b
    Example:
      vitable-config sandbox reset
      vitable-config sandbox reset --state sandbox.db
    """
    removed = False
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{state}{suffix}")
        if path.exists():
            path.unlink()
            removed = True
    click.echo(f"Deleted {state}" if removed else f"Nothing to delete: {state} does not exist")
