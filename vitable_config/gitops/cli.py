"""`vitable-config gitops …`: the small steps CI workflows need around `plan`.

Also runnable without registration as ``python -m vitable_config.gitops``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TextIO

import click

from vitable_config.api.settings import ENV_API_KEY
from vitable_config.errors import UserError
from vitable_config.gitops.comment import (
    DEFAULT_MAX_CHARS,
    DRIFT_HEADLINES,
    build_comment_body,
    decide_upsert,
    marker_for,
    parse_listing,
)
from vitable_config.gitops.outcome import combine
from vitable_config.gitops.rundir import read_runs


def _default_run_url() -> str | None:
    server = os.environ.get("GITHUB_SERVER_URL")
    repo = os.environ.get("GITHUB_REPOSITORY")
    run_id = os.environ.get("GITHUB_RUN_ID")
    if server and repo and run_id:
        return f"{server}/{repo}/actions/runs/{run_id}"
    return None


@click.group("gitops")
def command() -> None:
    """Helpers for CI workflows: PR comment, comment lookup, check status.

    \b
    Example (what examples/github-actions/plan.yml runs):
      scripts/run-plan.sh out config/
      vitable-config gitops comment-body out --json -o comment.json
      vitable-config gitops check out
    """


@command.command("comment-body")
@click.argument(
    "run_dirs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--key", default=None, help="Name this plan's comment (several plans on one PR).")
@click.option("--commit", default=None, help="Commit the plan was made for (shown in the footer).")
@click.option("--run-url", default=None, help="Link to the workflow run [default: from $GITHUB_*].")
@click.option("--title", default="vitable-config plan", show_default=True)
@click.option("--max-chars", default=DEFAULT_MAX_CHARS, show_default=True, type=int)
@click.option("--drift", is_flag=True, help="Word it as a drift report (scheduled runs).")
@click.option("--json", "as_json", is_flag=True, help='Print {"body": ...} for `gh api --input`.')
@click.option("--issue-title", default=None, help='With --json: add "title" (to open an issue).')
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def comment_body(
    run_dirs: tuple[Path, ...],
    key: str | None,
    commit: str | None,
    run_url: str | None,
    title: str,
    max_chars: int,
    drift: bool,
    as_json: bool,
    issue_title: str | None,
    out: Path | None,
) -> int:
    """Build the PR comment for one or more plan run directories.

    \b
    Example:
      vitable-config gitops comment-body out --commit "$SHA" --json -o comment.json
      vitable-config gitops comment-body shard-1 shard-2 shard-3 -o comment.md
    """
    runs = read_runs(list(run_dirs))
    secret = os.environ.get(ENV_API_KEY, "")
    body = build_comment_body(
        runs,
        key=key,
        commit=commit,
        run_url=run_url or _default_run_url(),
        title=title,
        secrets=[secret] if secret else [],
        max_chars=max_chars,
        headlines=DRIFT_HEADLINES if drift else None,
    )
    payload = {"body": body} if issue_title is None else {"title": issue_title, "body": body}
    text = json.dumps(payload) if as_json else body
    if out is None:
        click.echo(text, nl=not as_json)
    else:
        out.write_text(text, encoding="utf-8")
    return 0


@command.command("find-comment")
@click.argument("listing", type=click.File("r", encoding="utf-8"))
@click.option("--key", default=None, help="The --key the comment was built with.")
@click.option(
    "--author", default=None, help="Only comments by this login, e.g. github-actions[bot]."
)
@click.option(
    "--id-field",
    type=click.Choice(["id", "number"]),
    default="id",
    show_default=True,
    help="'id' for comments, 'number' for issues.",
)
def find_comment(listing: TextIO, key: str | None, author: str | None, id_field: str) -> int:
    """Decide whether to update the previous plan comment or create one.

    Reads a GitHub listing (LISTING, '-' for stdin; `gh api --paginate` output is fine)
    and prints `update ID` or `create`.

    \b
    Example:
      gh api --paginate "repos/$REPO/issues/$PR/comments" > comments.json
      vitable-config gitops find-comment comments.json --author 'github-actions[bot]'
    """
    items = parse_listing(listing.read())
    decision = decide_upsert(items, marker=marker_for(key), author=author, id_field=id_field)
    if decision.action == "update":
        click.echo(f"update {decision.target}")
    else:
        click.echo("create")
    return 0


@command.command("check")
@click.argument(
    "run_dirs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path)
)
def check(run_dirs: tuple[Path, ...]) -> int:
    """Pass (exit 0) when every run is in sync or has changes; fail (exit 1) on errors.

    Exit codes of `plan --detailed-exitcode` mean: 0 in sync, 2 changes pending,
    anything else an error (blocked changes are errors). Writes `outcome` and
    `exit_code` to $GITHUB_OUTPUT when set.

    \b
    Example:
      vitable-config gitops check out            # after scripts/run-plan.sh out config/
    """
    runs = read_runs(list(run_dirs))
    overall = combine(r.outcome for r in runs)
    for run in runs:
        code = "none" if run.exit_code is None else str(run.exit_code)
        click.echo(f"{run.label}: {run.outcome.value} (exit {code})")
    click.echo(f"overall: {overall.value} - {overall.headline}")
    github_output = os.environ.get("GITHUB_OUTPUT")
    if github_output:
        with open(github_output, "a", encoding="utf-8") as fh:
            fh.write(f"outcome={overall.value}\nexit_code={overall.exit_code}\n")
    if not overall.check_passes:
        if os.environ.get("GITHUB_ACTIONS") == "true":
            click.echo(f"::error title=vitable-config plan::{overall.headline}")
        raise UserError(overall.headline)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m vitable_config.gitops`` (the CLI's one error mapping)."""
    from vitable_config.cli.exits import run

    return run(command, argv, "vitable-config gitops")
