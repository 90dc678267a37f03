"""Plan as a pull-request comment (GitHub-flavoured Markdown).

Summary on top (never truncated); blocked changes next, never collapsed; reach
and warnings; then one collapsible ``<details>`` section per employer with its
creates and updates; unmanaged plan years last. The comment is kept under
``max_chars`` by leaving out whole entries from the end of each part (never the
summary) and saying how many were omitted and how to see the full plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from vitable_config.engine.model import Plan, PlanYearChange
from vitable_config.engine.render import policy as P
from vitable_config.engine.render.escape import fence_line, html_text, md_code, md_text
from vitable_config.engine.render.labels import (
    SYMBOLS,
    coverage_label,
    employer_label,
    product_label,
    reach_line,
    summary_line,
)
from vitable_config.engine.render.text import field_change_line, follow_up_line

DEFAULT_MAX_CHARS = 65_000
TITLE = "## vitable-config plan"
_NOTE_RESERVE = 600  # room kept for the omission note
VIOLATIONS_PER_RULE = 20  # entries listed per rule (the count is always shown)
COST_ROWS = 50  # rows of each cost table (per employer, per plan year)


def _plain(text: str, **_kwargs: object) -> str:
    return text


def _fence(lines: Iterable[str]) -> str:
    body = "\n".join(fence_line(line) for line in lines)
    return f"```diff\n{body}\n```"


def _change_lines(change: PlanYearChange) -> list[str]:
    header = (
        f"{SYMBOLS[change.action]} {change.action} {product_label(change)} {coverage_label(change)}"
    )
    if change.live_id:
        header += f"  [{change.live_id}, {change.live_status}]"
    lines = [header]
    lines.extend("    " + field_change_line(fc, _plain) for fc in change.changes)
    if change.then_request:
        lines.append("    " + follow_up_line(change.then_request))
    lines.extend(f"    warning: {w}" for w in change.warnings)
    return lines


def _blocked_entry(change: PlanYearChange) -> str:
    since = ""
    reason = change.blocked_reason or ""
    if change.blocked_since and change.blocked_since.isoformat() not in reason:
        since = f" (since {change.blocked_since.isoformat()})"
    live = f" {md_code(change.live_id)} ({md_text(change.live_status)})" if change.live_id else ""
    head = (
        f"- **{md_text(employer_label(change))}** {md_code(product_label(change))} "
        f"{md_text(coverage_label(change))}{live}: {md_text(reason)}{since}"
    )
    if not change.changes:
        return head
    lines = [line.removeprefix("    ") for line in _change_lines(change)[1:]]
    body = "\n".join("  " + line for line in _fence(lines).splitlines())
    return f"{head}\n\n{body}"


def _employer_section(changes: list[PlanYearChange]) -> str:
    creates = sum(1 for c in changes if c.action == "create")
    updates = sum(1 for c in changes if c.action == "update")
    counts = ", ".join(
        part
        for part in (
            f"{creates} to create" if creates else "",
            f"{updates} to update" if updates else "",
        )
        if part
    )
    summary = f"<b>{html_text(employer_label(changes[0]))}</b>: {counts}"
    lines: list[str] = []
    for change in changes:
        lines.extend(_change_lines(change))
    return f"<details><summary>{summary}</summary>\n\n{_fence(lines)}\n\n</details>"


@dataclass(slots=True)
class _Budget:
    """Collects parts while they fit; counts what was left out, by kind."""

    limit: int
    used: int = 0
    parts: list[str] = field(default_factory=list)
    omitted: dict[str, int] = field(default_factory=dict)

    def add(self, text: str, kind: str | None = None, *, sep: str = "\n\n") -> bool:
        """Append ``text`` (after ``sep``); parts with a ``kind`` are optional and
        are dropped (and counted) when they would not fit."""
        piece = (sep if self.parts else "") + text
        if kind is not None and self.used + len(piece) > self.limit:
            self.omitted[kind] = self.omitted.get(kind, 0) + 1
            return False
        self.parts.append(piece)
        self.used += len(piece)
        return True

    def text(self) -> str:
        return "".join(self.parts)


def _grouped_change_warnings(changes: Iterable[PlanYearChange], shown: int = 5) -> list[str]:
    """One line per distinct warning with how many plan years it concerns (a rollout
    close to open enrollment would otherwise repeat the same line thousands of times)."""
    groups: dict[str, list[str]] = {}
    for change in changes:
        for warning in change.warnings:
            label = f"{change.key.employer_id} {product_label(change)} {change.key.coverage_start}"
            groups.setdefault(warning, []).append(label)
    lines = []
    for warning, where in groups.items():
        listed = ", ".join(where[:shown]) + (
            f", … ({len(where) - shown:,} more)" if len(where) > shown else ""
        )
        lines.append(
            f"{warning} — {len(where):,} plan year{'s' if len(where) != 1 else ''}: {listed}"
        )
    return lines


def _omission_note(omitted: dict[str, int], max_chars: int) -> str:
    what = ", ".join(f"{n:,} {kind}" for kind, n in omitted.items())
    return (
        f"> **Truncated:** {what} omitted to keep this comment under {max_chars:,} characters. "
        "Run `vitable-config plan` locally (or `vitable-config plan --format json`) "
        "to see the full plan."
    )


def _add_violations(budget: _Budget, plan: Plan) -> None:
    """Violations first, above the changes: one list per rule, the first entries of each."""
    if not plan.violations:
        return
    icon = "⛔" if plan.denied else "⚠️"
    budget.add(f"### {icon} Policy violations ({P.violation_counts(plan)})")
    for head, items in P.by_rule(plan.violations):
        rows = [f"- {md_text(P.violation_line(v, ' — '))}" for v in items[:VIOLATIONS_PER_RULE]]
        if len(items) > VIOLATIONS_PER_RULE:
            rows.append(
                f"- … {len(items) - VIOLATIONS_PER_RULE:,} more (see `vitable-config plan`)"
            )
        budget.add(f"**{md_text(head)}** ({len(items):,})\n\n" + "\n".join(rows), "rules")


def _capped(rows: list[str]) -> str:
    if len(rows) > COST_ROWS:
        rows = [*rows[:COST_ROWS], f"- … {len(rows) - COST_ROWS:,} more (see the JSON plan)"]
    return "\n".join(rows)


def _add_cost(budget: _Budget, plan: Plan) -> None:
    if P.needs_headcount(plan):
        budget.add(f"_{P.NEEDS_HEADCOUNT}_")
        return
    cost = plan.cost
    if cost is None:
        return
    lines = [f"### Cost impact (headcount file {md_code(cost.headcount_file)})"]
    blocked = P.blocked_line(plan)
    if blocked:
        lines.append(f"- **{blocked}**")
    unmatched = P.unmatched_line(plan)
    if unmatched:
        lines.append(f"- {unmatched}")
    budget.add("\n".join(lines))
    if cost.employers:
        rows = _capped([f"- {md_text(P.employer_line(e))}" for e in cost.employers])
        budget.add(
            f"<details><summary>Per employer ({len(cost.employers):,})</summary>\n\n"
            f"{rows}\n\n</details>",
            "cost tables",
        )
    if cost.plan_years:
        rows = _capped([f"- {md_text(P.plan_year_line(p))}" for p in cost.plan_years])
        budget.add(
            f"<details><summary>Per changed plan year ({len(cost.plan_years):,})</summary>"
            f"\n\n{rows}\n\n</details>",
            "cost tables",
        )


def render_markdown(plan: Plan, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    budget = _Budget(limit=max(0, max_chars - _NOTE_RESERVE))
    budget.add(TITLE)
    budget.add(f"**{summary_line(plan.summary)}**")
    if plan.cost is not None:
        budget.add("\n\n".join(f"**{line}**" for line in P.headline(plan)))
    if plan.duplicates:
        budget.add(
            f"### Duplicates ({len(plan.duplicates):,}): more than one live plan year per key\n\n"
            + "\n".join(
                f"- {md_code(key)}: {len(ids)} live plan years: "
                + ", ".join(md_code(i) for i in ids)
                for key, ids in plan.duplicates
            )
        )
    if not plan.has_changes and not plan.has_blocked and not plan.duplicates:
        budget.add("No changes. The live API matches the configuration.")
    _add_violations(budget, plan)
    _add_cost(budget, plan)

    blocked = [c for c in plan.changes if c.action == "blocked"]
    if blocked:
        budget.add(f"### Blocked ({len(blocked):,}): these changes can never be applied")
        for i, change in enumerate(blocked):
            budget.add(_blocked_entry(change), "blocked entries", sep="\n\n" if i == 0 else "\n")

    if plan.reach:
        budget.add("### Reach of template and rollout changes")
        budget.add("\n".join(f"- {md_text(reach_line(r))}" for r in plan.reach), "reach lists")

    warnings = list(plan.warnings) + _grouped_change_warnings(plan.changes)
    if warnings:
        budget.add(f"### Warnings ({len(warnings):,})")
        for i, warning in enumerate(warnings):
            budget.add(f"- {md_text(warning)}", "warnings", sep="\n\n" if i == 0 else "\n")

    by_employer: dict[str, list[PlanYearChange]] = {}
    for change in plan.changes:
        if change.action in ("create", "update"):
            by_employer.setdefault(change.key.employer_id, []).append(change)
    if by_employer:
        budget.add(f"### Changes by employer ({len(by_employer):,})")
        for changes in by_employer.values():
            budget.add(_employer_section(changes), "employer sections")

    unmanaged = [c for c in plan.changes if c.action == "unmanaged"]
    if unmanaged:
        rows = [
            f"- {md_code(c.live_id)} {md_text(c.key.employer_id)} {md_code(product_label(c))} "
            f"{c.key.coverage_start.isoformat()} ({md_text(c.live_status)})"
            for c in unmanaged
        ]
        budget.add(
            f"<details><summary>Unmanaged ({len(unmanaged):,}): live plan years not in the "
            f"config, never touched</summary>\n\n" + "\n".join(rows) + "\n\n</details>",
            "unmanaged lists",
        )

    if budget.omitted:
        budget.add(_omission_note(budget.omitted, max_chars))
    if plan.digest:
        budget.add(f"Plan digest: {md_code(plan.digest)}")
    return budget.text()
