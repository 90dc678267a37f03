"""Safety cap: refuse a run that would change too much of the estate at once.

A wrong template value or a bad variable can change every employer's
contributions in one merge. The cap stops that run unless a human says
``--force``.

Rule (checked when a plan is made and again right before apply writes):

* **Managed plan years** are the live plan years the config manages in this
  run's scope: those planned as update, blocked or unchanged.
* The run is refused when it would **update** more than ``max_change_percent``
  (default 30 %) of them, once there are at least ``min_managed`` (default 10).
  Below that size every run is allowed (a small account changes in large
  proportions routinely).
* **Creates do not count.** A create adds a brand-new plan year (the next
  coverage period, a new rollout wave); it never changes what employees have
  today, and rolling out a new plan year to every employer is the normal yearly
  event. Only updates of existing plan years — which change what people pay —
  are capped.
"""

from __future__ import annotations

from dataclasses import dataclass

from vitable_config.engine.model import Plan

DEFAULT_MAX_CHANGE_PERCENT = 30.0
DEFAULT_MIN_MANAGED = 10


@dataclass(frozen=True, slots=True)
class SafetyPolicy:
    max_change_percent: float = DEFAULT_MAX_CHANGE_PERCENT
    min_managed: int = DEFAULT_MIN_MANAGED
    force: bool = False


@dataclass(frozen=True, slots=True)
class SafetyVerdict:
    allowed: bool
    updates: int
    managed: int
    percent: float
    message: str | None = None  # why it was refused (or that --force overrode it)
    forced: bool = False


def check_safety(plan: Plan, policy: SafetyPolicy | None = None) -> SafetyVerdict:
    """Judge ``plan`` against ``policy``. Never raises; callers decide how to refuse."""
    policy = policy or SafetyPolicy()
    updates = plan.count("update")
    managed = updates + plan.count("blocked") + plan.count("unchanged")
    percent = 100.0 * updates / managed if managed else 0.0
    over = managed >= policy.min_managed and percent > policy.max_change_percent
    if not over:
        return SafetyVerdict(True, updates, managed, percent)
    text = (
        f"safety cap: this run would update {updates} of {managed} managed plan years "
        f"({percent:.0f}%), more than the {policy.max_change_percent:g}% allowed"
    )
    if policy.force:
        forced = f"{text}; overridden by --force"
        return SafetyVerdict(True, updates, managed, percent, forced, forced=True)
    return SafetyVerdict(
        False,
        updates,
        managed,
        percent,
        f"{text}.\n  Check the plan; if the change is intended, re-run with --force "
        f"(or raise --max-change-percent).",
    )
