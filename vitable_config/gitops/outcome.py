"""What a `vitable-config plan --detailed-exitcode` exit code means for a CI check.

The contract the workflows rely on (same as ``terraform plan -detailed-exitcode``):

* ``0`` — in sync: nothing to do. The check passes.
* ``2`` — changes pending (creates/updates). The check passes: a pending change is
  what a pull request is for; it is applied on merge.
* ``1`` (or anything else) — an error: bad config, API failure, or a *blocked*
  change (a plan year that can no longer be edited). The check fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from vitable_config.errors import EXIT_CHANGES, EXIT_ERROR
from vitable_config.errors import EXIT_OK as EXIT_IN_SYNC


class PlanOutcome(Enum):
    """The outcome of one plan run, ordered by severity (in sync < changes < error)."""

    IN_SYNC = "in-sync"
    CHANGES = "changes"
    ERROR = "error"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @property
    def exit_code(self) -> int:
        """The ``--detailed-exitcode`` value that stands for this outcome."""
        return {
            PlanOutcome.IN_SYNC: EXIT_IN_SYNC,
            PlanOutcome.CHANGES: EXIT_CHANGES,
            PlanOutcome.ERROR: EXIT_ERROR,
        }[self]

    @property
    def check_passes(self) -> bool:
        """Whether a pull-request check should pass (errors and blocked changes fail it)."""
        return self is not PlanOutcome.ERROR

    @property
    def headline(self) -> str:
        return {
            PlanOutcome.IN_SYNC: "No changes: the live API matches the configuration.",
            PlanOutcome.CHANGES: "Changes pending: they will be applied when this is merged.",
            PlanOutcome.ERROR: "Plan failed: errors or blocked changes. Fix them before merging.",
        }[self]

    @property
    def icon(self) -> str:
        return {
            PlanOutcome.IN_SYNC: "✅",
            PlanOutcome.CHANGES: "📝",
            PlanOutcome.ERROR: "❌",
        }[self]


_SEVERITY = {PlanOutcome.IN_SYNC: 0, PlanOutcome.CHANGES: 1, PlanOutcome.ERROR: 2}


def outcome_for_exit_code(code: int) -> PlanOutcome:
    """Map a ``plan --detailed-exitcode`` exit code to an outcome.

    Only 0 and 2 are successes; every other code (1, a crash's 120, a signal's
    130/137, a missing code) is an error, so a broken run can never pass a check.
    """
    if code == EXIT_IN_SYNC:
        return PlanOutcome.IN_SYNC
    if code == EXIT_CHANGES:
        return PlanOutcome.CHANGES
    return PlanOutcome.ERROR


def combine(outcomes: Iterable[PlanOutcome]) -> PlanOutcome:
    """The outcome of several runs (e.g. shards): the most severe one wins.

    No runs at all is an error: a check that planned nothing must not pass.
    """
    items = list(outcomes)
    if not items:
        return PlanOutcome.ERROR
    return max(items, key=lambda o: o.severity)
