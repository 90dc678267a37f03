"""A plan run recorded in a directory, the hand-off between workflow steps.

``examples/github-actions/scripts/run-plan.sh OUTDIR ...`` writes, per run:

* ``plan.md`` — what ``vitable-config plan --format markdown`` printed (may be empty on error);
* ``plan.json`` — the saved plan (``--out``), for ``apply`` on merge;
* ``stderr.log`` — the messages of ``validate`` / ``plan`` (errors with file:line);
* ``exit-code`` — the ``--detailed-exitcode`` value, as text;
* ``label`` — optional, a name for the run (e.g. ``shard 2/4``).

A directory is also what a workflow uploads as an artifact, so sharded runs are
combined by downloading every shard's directory and reading them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vitable_config.errors import UserError
from vitable_config.gitops.outcome import PlanOutcome, outcome_for_exit_code

PLAN_MARKDOWN = "plan.md"
SAVED_PLAN = "plan.json"
STDERR_LOG = "stderr.log"
EXIT_CODE = "exit-code"
LABEL = "label"


@dataclass(frozen=True, slots=True)
class PlanRun:
    """One recorded plan run."""

    label: str
    exit_code: int | None  # None when the step never recorded one (cancelled, crashed)
    markdown: str
    log: str

    @property
    def outcome(self) -> PlanOutcome:
        if self.exit_code is None:
            return PlanOutcome.ERROR
        return outcome_for_exit_code(self.exit_code)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def read_exit_code(directory: Path) -> int | None:
    """The recorded exit code, or None if it is missing or not an integer."""
    text = _read_text(directory / EXIT_CODE).strip()
    try:
        return int(text)
    except ValueError:
        return None


def read_run(directory: Path) -> PlanRun:
    """Read one run directory. A directory that does not exist is a user error."""
    if not directory.is_dir():
        raise UserError(
            f"{directory}: no such plan run directory; expected the OUTDIR written by "
            "run-plan.sh (plan.md, exit-code, stderr.log)"
        )
    label = _read_text(directory / LABEL).strip() or directory.name
    log = _read_text(directory / STDERR_LOG)
    exit_code = read_exit_code(directory)
    if exit_code is None:
        note = (
            f"[gitops] {directory / EXIT_CODE}: missing or not an integer; "
            "the plan step was cancelled or crashed before it finished.\n"
        )
        log = note + log
    return PlanRun(
        label=label,
        exit_code=exit_code,
        markdown=_read_text(directory / PLAN_MARKDOWN),
        log=log,
    )


def read_runs(directories: list[Path]) -> list[PlanRun]:
    """Read several run directories (e.g. one per shard), in the order given."""
    if not directories:
        raise UserError("no plan run directories given; pass at least one OUTDIR")
    return [read_run(d) for d in directories]
