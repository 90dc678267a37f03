"""`vitable-config apply`: make the live API match the configuration (or a saved plan)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from vitable_config.cli.options import (
    ApiConnection,
    ApiOptions,
    api_from,
    api_options,
    connect,
    make_client,
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
from vitable_config.errors import EXIT_ERROR, EXIT_OK, UserError

EPILOG = """\b
Examples:
  vitable-config apply examples/quickstart --sandbox --auto-approve
  vitable-config plan config/ --out plan.json && vitable-config apply plan.json
  VITABLE_CONNECT_API_KEY=... vitable-config apply config/ --auto-approve

\b
A saved plan (PLANFILE, from `plan --out`) is applied without asking again,
after checking that every live plan year it read is unchanged (else: "plan
is stale ... run plan again"). Exit code 1 if any action failed; blocked
changes are reported, not applied, and do not fail the run.
"""

PROGRESS_MIN_ACTIONS = 20


@click.command("apply", epilog=EPILOG)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...|PLANFILE")
@click.option(
    "--auto-approve",
    is_flag=True,
    help="Apply without asking (required when stdin is not a terminal, e.g. in CI).",
)
@no_color_option
@headcount_option
@scope_options
@safety_options
@var_options
@api_options
def command(paths: tuple[str, ...], auto_approve: bool, **kwargs: Any) -> int:
    """Create and update plan years so the live API matches PATH... (or PLANFILE).

    Shows the plan and asks for confirmation first (on a terminal), unless
    --auto-approve is given or PLANFILE is a saved plan.
    """
    from vitable_config.engine.saved import is_saved_plan

    api = api_from(kwargs)
    scope = scope_from(kwargs)
    safety = safety_from(kwargs)
    variables = variables_from(kwargs)
    headcount = headcount_from(kwargs)
    if len(paths) == 1 and is_saved_plan(paths[0]):
        if not scope.is_everything or variables or headcount is not None:
            raise UserError(
                "--employer/--product/--shard/--var/--headcount are fixed when the plan is made; "
                "they cannot be used with a saved plan (pass them to `plan --out`)"
            )
        return _apply_saved(Path(paths[0]), api, safety)
    return _apply_config(list(paths), variables, scope, safety, api, auto_approve, headcount)


def _apply_config(
    paths: list[str],
    variables: dict[str, object] | None,
    scope: Any,
    safety: Any,
    api: ApiOptions,
    auto_approve: bool,
    headcount: Any = None,
) -> int:
    from vitable_config.config import load_config
    from vitable_config.engine.render import render_text
    from vitable_config.engine.run import check_safety, plan_config

    state = load_config(paths, variables)  # bad config fails before any API call
    with connect(api) as target:

        async def make_plan() -> Any:
            async with make_client(target, api) as client:
                return await plan_config(
                    state,
                    client,
                    scope=scope,
                    today=target.today,
                    base_url=target.label,
                    headcount=headcount,
                )

        plan = asyncio.run(make_plan())
        text = render_text(plan, style=text_style())
        click.echo(text, nl=not text.endswith("\n"))
        refused = refuse_denied(plan)
        if refused is not None:
            return refused
        if not plan.has_changes:
            click.echo("No changes to apply.")
            _report_blocked(plan.count("blocked"))
            return EXIT_OK
        verdict = check_safety(plan, safety)
        if not verdict.allowed:
            raise UserError(verdict.message or "safety cap exceeded")
        if verdict.forced:
            click.echo(f"warning: {verdict.message}", err=True)
        if not auto_approve:
            if not stdin_is_tty():
                raise UserError(
                    "refusing to apply without confirmation: stdin is not a terminal; "
                    "pass --auto-approve to apply non-interactively (e.g. in CI)"
                )
            n = len(plan.actionable())
            if not click.confirm(f"Apply these {n} changes to {target.label}?", default=False):
                click.echo("Apply cancelled: nothing was changed.", err=True)
                return EXIT_ERROR
        return _run_apply(plan, target, api, safety, verify_fresh=False)


def _apply_saved(path: Path, api: ApiOptions, safety: Any) -> int:
    from vitable_config.engine.run import check_base_url, load_plan

    plan = load_plan(path)
    refused = refuse_denied(plan)  # a saved plan records the violations it was made with
    if refused is not None:
        return refused
    with connect(api) as target:
        check_base_url(plan, target.label)
        s = plan.summary
        click.echo(
            f"Applying saved plan {path} (made {plan.created_at:%Y-%m-%d %H:%M} UTC): "
            f"{s['create']} to create, {s['update']} to update, {s['blocked']} blocked"
        )
        if not plan.has_changes:
            click.echo("No changes to apply.")
            _report_blocked(plan.count("blocked"))
            return EXIT_OK
        return _run_apply(plan, target, api, safety, verify_fresh=True)


def _run_apply(
    plan: Any, target: ApiConnection, api: ApiOptions, safety: Any, *, verify_fresh: bool
) -> int:
    from vitable_config.engine.run import apply_plan

    with _progress(len(plan.actionable())) as tick:

        async def run() -> Any:
            async with make_client(target, api) as client:
                return await apply_plan(
                    plan,
                    client,
                    concurrency=api.concurrency,
                    progress=tick,
                    verify_fresh=verify_fresh,
                    safety=safety,
                )

        result = asyncio.run(run())
    for line in result_lines(result):
        click.echo(line)
    click.echo(result.summary_line())
    _report_blocked(plan.count("blocked"))
    if not result.ok:
        click.echo(
            "error: some actions failed (see above); fix the cause and run apply again "
            "(a re-run converges: nothing is created twice)",
            err=True,
        )
        return EXIT_ERROR
    return EXIT_OK


def result_lines(result: Any) -> list[str]:
    """One line per action, in plan order: symbol, status, key, live id, message."""
    symbols = {"created": "+", "updated": "~", "failed": "!", "skipped": "-"}
    lines = []
    for r in result.results:
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


def _report_blocked(n: int) -> None:
    if n:
        click.echo(
            f"Blocked: {n} plan year{'s' if n != 1 else ''} not applied "
            "(the API cannot change them; see the plan). Blocked changes are not failures."
        )


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
