"""`vitable-config apply`: make the live API match the configuration (or a saved plan)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import click

from vitable_config import collector
from vitable_config.cli.options import (
    ApiConnection,
    ApiOptions,
    api_from,
    api_options,
    connect,
    make_client,
    plan_live,
    run_async,
    safety_from,
    safety_options,
    scope_from,
    scope_options,
    stdin_is_tty,
    text_style,
    var_options,
    variables_from,
)
from vitable_config.cli.policy_options import headcount_from, headcount_option, refuse_denied
from vitable_config.cli.style import no_color_option
from vitable_config.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, UserError
from vitable_config.lock import DEFAULT_LOCK_TIMEOUT, LOCK_ENV

EPILOG = """\b
Examples:
  vitable-config apply examples/quickstart --sandbox --auto-approve
  vitable-config plan config/ --out plan.json && vitable-config apply plan.json
  VITABLE_CONNECT_API_KEY=... vitable-config apply config/ --auto-approve
  vitable-config apply config/ --auto-approve --lock redis://redis.internal:6379/0

\b
Before writing, apply takes the apply lock of the API (one apply at a time per
base URL on this machine; --lock redis://... for every machine of a team),
then re-reads every plan year it will write and drops the changes whose live
state moved since the plan (stale: exit 1). After writing it re-reads them
and checks each key has exactly one live plan year with the applied content.

\b
A saved plan (PLANFILE, from `plan --out`) is applied after re-deriving it
from the config it records and the live state, and after the same confirmation
as PATH (--auto-approve in CI): the whole
file is refused, with nothing written, unless the actions are identical, and
a live plan year that changed since makes it stale ("run plan again").

\b
Exit codes: 0 applied and verified; 1 any failure, unknown outcome, stale or
blocked change (blocked changes are never sent), or verification problem;
130 interrupted (Ctrl-C/SIGTERM: requests in flight finish, nothing new is
sent; a second Ctrl-C abandons them).
"""

PROGRESS_MIN_ACTIONS = 20
APPLY_FORMAT_VERSION = 1

# --format json: every human line goes to stderr and stdout carries one JSON report
# (schemas/apply.schema.json) built from the run's result.
_JSON_MODE: ContextVar[bool] = ContextVar("apply_json_mode", default=False)
_LAST_RESULT: ContextVar[Any] = ContextVar("apply_last_result", default=None)


def _echo(message: Any = None, nl: bool = True, err: bool = False) -> None:
    click.echo(message, nl=nl, err=err or _JSON_MODE.get())


def _confirm(plan: Any, label: str, auto_approve: bool) -> bool:
    """Ask before writing (``apply PATH`` and ``apply PLANFILE`` alike); refuse without a
    terminal unless --auto-approve. False: the user said no (nothing was changed)."""
    if auto_approve:
        return True
    if not stdin_is_tty():
        raise UserError(
            "refusing to apply without confirmation: stdin is not a terminal; "
            "pass --auto-approve to apply non-interactively (e.g. in CI)"
        )
    n = len(plan.actionable())
    if not click.confirm(f"Apply these {n} changes to {label}?", default=False):
        _echo("Apply cancelled: nothing was changed.", err=True)
        return False
    return True


def apply_report(result: Any, plan: Any, code: int) -> dict[str, Any]:
    """The JSON report of one apply (schemas/apply.schema.json)."""
    from vitable_config.engine.model import RESULT_STATUSES

    results = [] if result is None else result.results
    counts = {s: sum(1 for r in results if r.status == s) for s in RESULT_STATUSES}
    return {
        "format_version": APPLY_FORMAT_VERSION,
        "exit_code": code,
        "summary": counts,
        "interrupted": bool(result and result.interrupted),
        "not_started": result.not_started if result else 0,
        "verified": bool(result and result.verified),
        "stale": list(result.stale) if result else [],
        "verification": list(result.verification) if result else [],
        "digest": getattr(plan, "digest", None) if plan is not None else None,
        "results": [
            {
                "action": r.change.action,
                "employer_id": r.change.key.employer_id,
                "benefit_product_id": r.change.key.benefit_product,
                "coverage_start": r.change.key.coverage_start.isoformat(),
                "status": r.status,
                "live_id": r.live_id,
                "message": r.message,
                "recovered": r.recovered,
            }
            for r in results
        ],
    }


@click.command("apply", epilog=EPILOG)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...|PLANFILE")
@click.option(
    "--auto-approve",
    is_flag=True,
    help="Apply without asking (required when stdin is not a terminal, e.g. in CI).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one report of every action and the summary on stdout "
    "(schemas/apply.schema.json); the plan and progress go to stderr.",
)
@no_color_option
@headcount_option
@click.option(
    "--lock",
    "lock_spec",
    envvar=LOCK_ENV,
    default="local",
    show_default=True,
    metavar="local|none|redis://HOST:PORT[/DB]",
    help=f"The apply lock (env {LOCK_ENV}): 'local' = a lock file per API base URL in the "
    "user cache dir; redis://... = a lock shared by every machine using that Redis; "
    "'none' = no lock.",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_LOCK_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another apply holding the lock, then fail.",
)
@scope_options
@safety_options
@var_options
@api_options
def command(
    paths: tuple[str, ...],
    auto_approve: bool,
    fmt: str,
    lock_spec: str,
    lock_timeout: float,
    **kwargs: Any,
) -> int:
    """Create and update plan years so the live API matches PATH... (or PLANFILE).

    Shows the plan and asks for confirmation first (on a terminal), unless
    --auto-approve is given; a saved PLANFILE is verified first, then shown and asked
    about the same way.
    """
    from vitable_config.engine.saved import is_saved_plan
    from vitable_config.lock import parse_lock_spec

    api = api_from(kwargs)
    scope = scope_from(kwargs)
    safety = safety_from(kwargs)
    variables = variables_from(kwargs)
    headcount = headcount_from(kwargs)
    lock = parse_lock_spec(lock_spec)
    json_token = _JSON_MODE.set(fmt == "json")
    result_token = _LAST_RESULT.set(None)
    try:
        if len(paths) == 1 and is_saved_plan(paths[0]):
            if not scope.is_everything or variables or headcount is not None:
                raise UserError(
                    "--employer/--product/--shard/--var/--headcount are fixed when the plan is "
                    "made; they cannot be used with a saved plan (pass them to `plan --out`)"
                )
            code = _apply_saved(Path(paths[0]), api, safety, lock, lock_timeout, auto_approve)
        else:
            code = _apply_config(
                list(paths),
                variables,
                scope,
                safety,
                api,
                auto_approve,
                lock,
                lock_timeout,
                headcount,
            )
        if fmt == "json":
            result, plan = _LAST_RESULT.get() or (None, None)
            click.echo(json.dumps(apply_report(result, plan, code), indent=2))
        return code
    finally:
        _JSON_MODE.reset(json_token)
        _LAST_RESULT.reset(result_token)


@contextmanager
def _locked(target: ApiConnection, lock: Any, timeout: float) -> Iterator[None]:
    from vitable_config.lock import apply_lock

    def waiting(message: str) -> None:
        _echo(message, err=True)

    with apply_lock(target.label, lock, timeout=timeout, on_wait=waiting):
        yield


def _apply_config(
    paths: list[str],
    variables: dict[str, object] | None,
    scope: Any,
    safety: Any,
    api: ApiOptions,
    auto_approve: bool,
    lock: Any,
    lock_timeout: float,
    headcount: Any = None,
) -> int:
    from vitable_config.config import load_config
    from vitable_config.engine.run import check_safety

    state = load_config(paths, variables)  # bad config fails before any API call
    # The config is not scanned by the cyclic collector while the plan is made and
    # applied; the collector is paused while the plan is made (as for `plan`), and
    # apply_plan keeps the plan out of its reach while it writes.
    with (
        collector.existing_objects_frozen(),
        connect(api) as target,
        _locked(target, lock, lock_timeout),
    ):
        with collector.paused():
            plan, text = _make_plan(state, target, api, scope, headcount, paths, variables)
        _echo(text, nl=not text.endswith("\n"))
        refused = refuse_denied(plan)
        if refused is not None:
            return refused
        if not plan.has_changes:
            _echo("No changes to apply.")
            return _report_blocked(plan, _report_duplicates(plan, EXIT_OK))
        verdict = check_safety(plan, safety)
        if not verdict.allowed:
            raise UserError(verdict.message or "safety cap exceeded")
        if verdict.forced:
            _echo(f"warning: {verdict.message}", err=True)
        if not _confirm(plan, target.label, auto_approve):
            return EXIT_ERROR
        return _run_apply(plan, target, api, safety, saved=False)


def _make_plan(
    state: Any,
    target: ApiConnection,
    api: ApiOptions,
    scope: Any,
    headcount: Any,
    paths: list[str],
    variables: dict[str, object] | None,
) -> tuple[Any, str]:
    """The plan of ``state`` against the live API, and its text."""
    from vitable_config.engine.render import render_text

    plan = run_async(plan_live(state, target, api, scope, headcount, paths, variables))
    return plan, render_text(plan, style=text_style())


def _apply_saved(
    path: Path, api: ApiOptions, safety: Any, lock: Any, lock_timeout: float, auto_approve: bool
) -> int:
    from vitable_config.engine.run import check_base_url, load_plan
    from vitable_config.engine.saved import ensure_rederived

    plan = load_plan(path)
    refused = refuse_denied(plan)  # a saved plan records the violations it was made with
    if refused is not None:
        return refused
    with connect(api) as target:
        check_base_url(plan, target.label)
        s = plan.summary
        _echo(
            f"Applying saved plan {path} (made {plan.created_at:%Y-%m-%d %H:%M} UTC): "
            f"{s['create']} to create, {s['update']} to update, {s['blocked']} blocked"
        )
        if plan.digest:
            _echo(f"Plan digest: {plan.digest}")
        with _locked(target, lock, lock_timeout):

            async def check() -> None:
                async with make_client(target, api) as client:
                    # Stale (a live plan year changed) or edited (actions differ): refused.
                    await ensure_rederived(plan, client, today=target.today)

            asyncio.run(check())
            _echo("Saved plan verified: the config and the live state give exactly its actions.")
            if not plan.has_changes:
                _echo("No changes to apply.")
                return _report_blocked(plan, EXIT_OK)
            if not auto_approve and stdin_is_tty():  # show what is about to be approved
                from vitable_config.engine.render import render_text

                text = render_text(plan, style=text_style())
                _echo(text, nl=not text.endswith("\n"))
            if not _confirm(plan, target.label, auto_approve):
                return EXIT_ERROR
            return _run_apply(plan, target, api, safety, saved=True)


def _run_apply(
    plan: Any, target: ApiConnection, api: ApiOptions, safety: Any, *, saved: bool
) -> int:
    from vitable_config.engine.apply import ApplyOptions
    from vitable_config.engine.run import apply_plan

    stop, abandon = asyncio.Event(), asyncio.Event()

    def on_signal() -> None:
        if not stop.is_set():
            stop.set()
            _echo(
                "\nInterrupted: no new request will be sent; waiting for the ones in flight "
                "(interrupt again to abandon them).",
                err=True,
            )
        else:
            abandon.set()

    with _progress(len(plan.actionable())) as tick:

        async def run() -> Any:
            loop = asyncio.get_running_loop()
            installed = []
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, on_signal)
                    installed.append(sig)
                except (NotImplementedError, RuntimeError, ValueError):  # not main thread
                    pass
            try:
                async with make_client(target, api) as client:
                    return await apply_plan(
                        plan,
                        client,
                        concurrency=api.concurrency,
                        progress=tick,
                        verify_fresh=False,
                        # A saved plan was re-derived from the live state just now.
                        reread=not saved,
                        safety=safety,
                        options=ApplyOptions(
                            concurrency=api.concurrency,
                            unknown_wait_seconds=max(5.0, float(api.timeout)),
                        ),
                        stop=stop,
                        abandon=abandon,
                    )
            finally:
                for sig in installed:
                    loop.remove_signal_handler(sig)

        result = run_async(run())
    _LAST_RESULT.set((result, plan))
    # The report makes no cyclic garbage: a collection meanwhile would only traverse the
    # run's results (~40 ms after 2,000 creates).
    with collector.paused():
        return _report_result(result, plan)


def _report_result(result: Any, plan: Any) -> int:
    """Print what the apply did and verified; return the exit code."""
    for line in result_lines(result):
        _echo(line)
    _echo(result.summary_line())
    if plan.digest:
        _echo(f"Plan digest: {plan.digest}")
    if result.stale:
        _echo(
            f"error: {len(result.stale)} change{'s were' if len(result.stale) != 1 else ' was'} "
            "not sent: the live plan year changed after the plan read it (stale):",
            err=True,
        )
        for line in result.stale:
            _echo(f"  {line}", err=True)
        _echo("  run plan again to see the current state and review it", err=True)
    if result.verification:
        _echo(
            f"error: verification after writing found {len(result.verification)} problem"
            f"{'s' if len(result.verification) != 1 else ''}:",
            err=True,
        )
        for line in result.verification:
            _echo(f"  {line}", err=True)
    elif result.verified and not result.interrupted:
        _echo(
            "Verified: every key written has exactly one live plan year with the applied content."
        )
    code = _report_blocked(plan, _report_duplicates(plan, EXIT_OK))
    if result.interrupted:
        return EXIT_INTERRUPTED
    failed = result.count("failed") + result.count("unknown")
    if failed:
        _echo(
            "error: some actions failed or have an unknown outcome (see above); fix the cause "
            "and run apply again (a re-run converges: nothing is created twice)",
            err=True,
        )
    if not result.ok:
        return EXIT_ERROR
    return code


def result_lines(result: Any) -> list[str]:
    """One line per action, in plan order: symbol, status, key, live id, message.

    After an interrupt, only the actions that finished (or were in flight) are listed.
    """
    symbols = {"created": "+", "updated": "~", "failed": "!", "skipped": "-", "unknown": "?"}
    lines = []
    for r in result.results:
        if (
            result.interrupted
            and r.status == "skipped"
            and r.message
            and "not started" in r.message
        ):
            continue
        key = r.change.key
        product = r.change.product_code or key.benefit_product
        label = f"{key.employer_id}/{product}/{key.coverage_start.isoformat()}"
        text = f"{symbols[r.status]} {r.status:<8} {label}"
        if r.live_id:
            text += f"  {r.live_id}"
        if r.recovered:
            text += "  (found after an unknown outcome: not created twice)"
        if r.message:
            text += f"\n    {r.message}"
        lines.append(text)
    return lines


def _report_duplicates(plan: Any, code: int) -> int:
    """Managed keys with several live plan years (listed in the plan): exit 1."""
    n = len(plan.duplicates)
    if not n:
        return code
    _echo(
        f"error: {n} managed plan year{'s have' if n != 1 else ' has'} more than one live "
        "plan year (see the plan); nothing was written to them",
        err=True,
    )
    return EXIT_ERROR


def _report_blocked(plan: Any, code: int) -> int:
    """Report blocked changes (never sent); they fail the run (exit 1)."""
    n = plan.count("blocked")
    if not n:
        return code
    _echo(
        f"Blocked: {n} plan year{'s' if n != 1 else ''} not applied "
        "(the API cannot change them; see the plan)."
    )
    _echo(
        f"error: {n} blocked change{'s' if n != 1 else ''} can never be applied; "
        "make the config match what the API allows (see docs/guide/blocked.md)",
        err=True,
    )
    return EXIT_ERROR


@contextmanager
def _progress(total: int) -> Iterator[Callable[[Any], None] | None]:
    """A progress bar on stderr for long runs on a terminal; otherwise nothing."""
    if total <= PROGRESS_MIN_ACTIONS or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label="Applying", file=sys.stderr) as bar:

        def tick(_: Any) -> None:
            bar.update(1)

        yield tick
