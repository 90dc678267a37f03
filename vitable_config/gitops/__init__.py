"""CI/GitOps helpers: plan outcomes, the pull-request comment, run directories.

Used by the scripts in ``examples/github-actions/scripts/`` through
``vitable-config gitops …`` (or ``python -m vitable_config.gitops …``).
"""

from vitable_config.gitops.comment import (
    DEFAULT_MAX_CHARS,
    MARKER,
    CommentAction,
    build_comment_body,
    decide_upsert,
    marker_for,
    parse_listing,
)
from vitable_config.gitops.outcome import PlanOutcome, combine, outcome_for_exit_code
from vitable_config.gitops.rundir import PlanRun, read_run, read_runs
from vitable_config.gitops.truncate import truncate_markdown

__all__ = [
    "DEFAULT_MAX_CHARS",
    "MARKER",
    "CommentAction",
    "PlanOutcome",
    "PlanRun",
    "build_comment_body",
    "combine",
    "decide_upsert",
    "marker_for",
    "outcome_for_exit_code",
    "parse_listing",
    "read_run",
    "read_runs",
    "truncate_markdown",
]
