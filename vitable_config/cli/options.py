"""Options shared by ``plan``, ``apply`` and ``export``, and the connection they open.

Each group is a decorator that adds its click options; commands read them back
with the matching ``*_from`` helper. The API key comes from ``--api-key`` or
``VITABLE_CONNECT_API_KEY`` and is never echoed: it goes straight into a
:class:`pydantic.SecretStr` and every ``-v`` log line is filtered for it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import click
from click_option_group import optgroup

from vitable_config.api.client import VitableClient
from vitable_config.api.redaction import redact
from vitable_config.api.settings import ENV_API_KEY, ENV_BASE_URL, ClientSettings
from vitable_config.api.wire import AUTO, CHOICES, ENV_API_DIALECT, DialectState
from vitable_config.cli.variables import var_options as _var_options
from vitable_config.cli.variables import variables_from as _variables_from
from vitable_config.engine.safety import DEFAULT_MAX_CHANGE_PERCENT, SafetyPolicy
from vitable_config.engine.scope import Scope, parse_shard
from vitable_config.errors import UserError

# engine.apply.DEFAULT_CONCURRENCY, written here so that the options of `plan` do not
# import the apply engine (a test keeps the two equal).
DEFAULT_CONCURRENCY = 16

DEFAULT_TIMEOUT = 30.0

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R")


def run_async(coro: Coroutine[Any, Any, R]) -> R:
    """``asyncio.run(coro)``, without asyncio ever taking the repr of the result.

    At its end asyncio.run reads back the SIGINT handler it installed, a partial bound
    to the main task; ``signal.getsignal`` formats that partial (an enum lookup that
    fails) and with it the task, whose repr holds ``repr()`` of its result: for a plan,
    the whole Plan (~45 ms at 2,000 plan years, and every fingerprint). So the result
    is handed over outside the task.
    """
    box: list[R] = []

    async def main() -> None:
        box.append(await coro)

    asyncio.run(main())
    return box[0]


def _stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(f: F) -> F:
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


# --- API connection -----------------------------------------------------------

api_options = _stack(
    optgroup.group("API connection"),
    optgroup.option(
        "--sandbox",
        is_flag=True,
        help="Run against a local sandbox API started in-process "
        "(state in .vitable-sandbox/state.db; no account needed).",
    ),
    optgroup.option(
        "--api-key",
        envvar=ENV_API_KEY,
        show_envvar=True,
        metavar="KEY",
        help="Vitable Connect API key (prefer the environment variable; never printed).",
    ),
    optgroup.option(
        "--base-url",
        envvar=ENV_BASE_URL,
        show_envvar=True,
        metavar="URL",
        help="API base URL [default: https://api.vitablehealth.com].",
    ),
    optgroup.option(
        "--insecure", is_flag=True, help="Allow plain http:// to a host that is not loopback."
    ),
    optgroup.option(
        "--api-dialect",
        envvar=ENV_API_DIALECT,
        show_envvar=True,
        type=click.Choice(CHOICES, case_sensitive=False),
        default=AUTO,
        show_default=True,
        help="The API's published dialect: 2025-12 (bare JSON, family_status) or 2026-02 "
        '({"data": ...} envelopes, coverage_tier); auto: the first read decides, before '
        "anything is written.",
    ),
    optgroup.group("Requests"),
    optgroup.option(
        "--concurrency",
        type=click.IntRange(1, 256),
        default=DEFAULT_CONCURRENCY,
        show_default=True,
        help="Maximum requests in flight.",
    ),
    optgroup.option(
        "--rate-limit",
        type=click.FloatRange(min=0.1),
        default=None,
        metavar="RPS",
        help=(
            "Fixed client-side ceiling in requests per second [default: none; the client "
            "learns the server's limit from 429s and paces itself]."
        ),
    ),
    optgroup.option(
        "--timeout",
        type=click.FloatRange(min=0.01),
        default=DEFAULT_TIMEOUT,
        show_default=True,
        metavar="SECONDS",
        help="Per-request timeout. A create that times out is resolved by re-reading, "
        "never resent blindly.",
    ),
    optgroup.option(
        "-v",
        "--verbose",
        is_flag=True,
        help="Log each HTTP call (method, path, status, ms) to stderr.",
    ),
)


@dataclass(frozen=True, slots=True)
class ApiOptions:
    sandbox: bool
    api_key: str | None
    base_url: str | None
    insecure: bool
    api_dialect: str
    concurrency: int
    rate_limit: float | None
    timeout: float
    verbose: bool

    def __repr__(self) -> str:  # never show the key
        return f"ApiOptions(sandbox={self.sandbox}, base_url={self.base_url!r})"


def api_from(kwargs: dict[str, Any]) -> ApiOptions:
    return ApiOptions(
        sandbox=kwargs.pop("sandbox"),
        api_key=kwargs.pop("api_key"),
        base_url=kwargs.pop("base_url"),
        insecure=kwargs.pop("insecure"),
        api_dialect=kwargs.pop("api_dialect", AUTO),
        concurrency=kwargs.pop("concurrency"),
        rate_limit=kwargs.pop("rate_limit"),
        timeout=kwargs.pop("timeout"),
        verbose=kwargs.pop("verbose"),
    )


@dataclass(frozen=True, slots=True)
class ApiConnection:
    """Where a command talks to: client settings, the base URL plans record, and the
    date when it is known up front (the embedded sandbox's clock); None: the API's
    own date (its Date header) is used, the local date only when it gives none."""

    settings: ClientSettings
    label: str
    today: date | None
    # One dialect per run: every client of the run (plan, then apply) shares it.
    dialect: DialectState


@contextmanager
def connect(opts: ApiOptions) -> Iterator[ApiConnection]:
    """Resolve the API target (starting the embedded sandbox for ``--sandbox``)."""
    if opts.sandbox:
        if opts.base_url and ENV_BASE_URL not in os.environ:
            raise UserError("--sandbox and --base-url cannot be combined: choose one")
        from vitable_config.cli.embedded import embedded_sandbox

        with embedded_sandbox() as sb:
            settings = ClientSettings.from_env(
                api_key=sb.api_key, base_url=sb.base_url, api_dialect=opts.api_dialect
            )
            with verbose_logging(opts.verbose, settings.api_key.get_secret_value()):
                yield ApiConnection(settings, sb.label, sb.today, DialectState(opts.api_dialect))
        return
    settings = ClientSettings.from_env(
        api_key=opts.api_key,
        base_url=opts.base_url,
        insecure=opts.insecure,
        api_dialect=opts.api_dialect,
    )
    with verbose_logging(opts.verbose, settings.api_key.get_secret_value()):
        yield ApiConnection(settings, settings.base_url, None, DialectState(settings.api_dialect))


def make_client(target: ApiConnection, opts: ApiOptions) -> VitableClient:
    return VitableClient(
        target.settings,
        max_concurrency=opts.concurrency,
        rate_limit=opts.rate_limit,
        timeout=opts.timeout,
        dialect=target.dialect,
    )


class _RedactFilter(logging.Filter):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secret:
            text = record.getMessage()
            clean = redact(text, self._secret)
            if clean != text:
                record.msg, record.args = clean, ()
        return True


VERBOSE_LOGGERS = ("vitable_config.http", "vitable_config.apply")


async def plan_live(
    state: Any,
    target: ApiConnection,
    api: ApiOptions,
    scope: Any,
    headcount: Any = None,
    paths: list[str] | None = None,
    variables: dict[str, object] | None = None,
) -> Any:
    """The plan of a loaded config against the API of ``target`` (plan and apply)."""
    from vitable_config.engine.run import plan_config

    async with make_client(target, api) as client:
        return await plan_config(
            state,
            client,
            scope=scope,
            today=target.today,
            base_url=target.label,
            headcount=headcount,
            paths=paths,
            variables=variables,
        )


@contextmanager
def verbose_logging(enabled: bool, secret: str) -> Iterator[None]:
    """With ``-v``, send the HTTP (and apply) loggers to stderr for the block."""
    if not enabled:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    handler.addFilter(_RedactFilter(secret))
    saved: list[tuple[logging.Logger, int]] = []
    for name in VERBOSE_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
        handler.flush()


# --- scope --------------------------------------------------------------------

scope_options = _stack(
    optgroup.group("Scope"),
    optgroup.option(
        "--employer",
        "employers",
        multiple=True,
        metavar="GLOB",
        help="Only employers whose id matches (repeatable), e.g. 'empr_r0*'.",
    ),
    optgroup.option(
        "--product",
        "products",
        multiple=True,
        metavar="GLOB",
        help="Only benefit products whose code or bprd_ id matches (repeatable), e.g. MEC.",
    ),
    optgroup.option(
        "--shard",
        metavar="K/N",
        help="Only employers in shard K of N (stable hash of the id), for parallel CI jobs.",
    ),
)


def scope_from(kwargs: dict[str, Any]) -> Scope:
    shard_text = kwargs.pop("shard")
    return Scope(
        employers=kwargs.pop("employers"),
        products=kwargs.pop("products"),
        shard=parse_shard(shard_text) if shard_text else None,
    )


# --- variables ----------------------------------------------------------------

# One definition in cli/variables.py (light: validate and render use it too).
var_options = _var_options
variables_from = _variables_from


# --- safety -------------------------------------------------------------------

safety_options = _stack(
    optgroup.group("Safety"),
    optgroup.option(
        "--max-change-percent",
        type=click.FloatRange(0, 100),
        default=DEFAULT_MAX_CHANGE_PERCENT,
        show_default=True,
        metavar="P",
        help="Refuse to update more than P% of managed plan years "
        "(once there are 10 or more; creates do not count).",
    ),
    optgroup.option("--force", is_flag=True, help="Override the safety cap."),
)


def safety_from(kwargs: dict[str, Any]) -> SafetyPolicy:
    return SafetyPolicy(
        max_change_percent=kwargs.pop("max_change_percent"), force=kwargs.pop("force")
    )


# --- output -------------------------------------------------------------------


def use_color(stream: Any = None) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (any value)."""
    if "NO_COLOR" in os.environ:
        return False
    s = stream if stream is not None else sys.stdout
    try:
        return bool(s.isatty())
    except (AttributeError, ValueError):
        return False


def text_style(stream: Any = None) -> Callable[..., str] | None:
    """click.style when colour is on (see :func:`use_color`), else None (plain text)."""
    return click.style if use_color(stream) else None


def stdin_is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False
