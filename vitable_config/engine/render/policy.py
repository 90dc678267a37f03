"""Policy violations and cost impact as lines, shared by the text and Markdown renderers."""

from __future__ import annotations

from vitable_config.engine.model import Plan
from vitable_config.engine.render.labels import source_label
from vitable_config.engine.render.money import dollars
from vitable_config.policy.model import MONTHS_PER_YEAR, CostLine, Totals, Violation

NEEDS_HEADCOUNT = (
    "Cost: totals need a headcount file (--headcount FILE, see docs/guide/policies.md); "
    "the amounts above are per enrollee."
)
SIDES: tuple[tuple[str, str], ...] = (("employer", "Employer"), ("employee", "Employee"))


def signed(cents: int) -> str:
    return ("+" if cents >= 0 else "") + dollars(cents)


def percent(before: int, after: int) -> str:
    if before == 0:
        return "new" if after else "±0%"
    return f"{100 * (after - before) / before:+.1f}%"


def violation_counts(plan: Plan) -> str:
    deny = sum(1 for v in plan.violations if v.denies)
    warn = sum(1 for v in plan.violations if v.level == "warn" and v.allowed is None)
    allowed = sum(1 for v in plan.violations if v.allowed is not None)
    parts = [f"{deny:,} deny", f"{warn:,} warn"]
    if allowed:
        parts.append(f"{allowed:,} excepted")
    return ", ".join(parts)


def violation_where(v: Violation) -> str:
    """``empr_r003 MEC 2027-01-01`` (a plan year), ``empr_r003`` or ``overall``."""
    key = v.key
    if key is not None:
        return f"{key.employer_id} {v.product_code or key.benefit_product} {key.coverage_start}"
    return v.employer_id or "overall"


def violation_head(v: Violation) -> str:
    tag = "ALLOWED" if v.allowed is not None else v.level.upper()
    return f"{tag} {v.rule}: {v.message}"


def violation_line(v: Violation, comment: str = "  # ") -> str:
    """``empr_r003 MEC 2032-01-01: <detail>  # from <layer (file:line)>`` (+ exception);
    ``comment`` introduces the provenance (Markdown uses a dash: ``#`` is markup)."""
    text = f"{violation_where(v)}: {v.detail}"
    source = source_label(v.source)
    if source:
        text += f"{comment}from {source}"
    if v.allowed is not None:
        at = source_label(v.allowed.source)
        text += f"  (allowed: {v.allowed.reason!r}{f', {at}' if at else ''})"
    return text


def by_rule(violations: list[Violation]) -> list[tuple[str, list[Violation]]]:
    """Violations grouped by (head line), keeping their order (failing denials first)."""
    groups: dict[str, list[Violation]] = {}
    for v in violations:
        groups.setdefault(violation_head(v), []).append(v)
    return list(groups.items())


def totals_line(label: str, before: int, after: int) -> str:
    """``Employer contributions +$12,480.00/month (+3.1%): $400,000.00 → $412,480.00
    a month, +$149,760.00/year``."""
    delta = after - before
    return (
        f"{label} contributions {signed(delta)}/month ({percent(before, after)}): "
        f"{dollars(before)} → {dollars(after)} a month, {signed(delta * MONTHS_PER_YEAR)}/year"
    )


def headline(plan: Plan) -> list[str]:
    """The overall change, employer first (Markdown leads with it)."""
    if plan.cost is None:
        return []
    o = plan.cost.overall
    return [
        totals_line(label, getattr(o.before, side), getattr(o.after, side)) for side, label in SIDES
    ]


def short_change(before: Totals, after: Totals) -> str:
    """``employer +$100.00/month (+2.0%), employee -$5.00/month (-1.0%)``."""
    return ", ".join(
        f"{side} {signed(getattr(after, side) - getattr(before, side))}/month "
        f"({percent(getattr(before, side), getattr(after, side))})"
        for side, _label in SIDES
    )


def blocked_line(plan: Plan) -> str | None:
    if plan.cost is None or plan.cost.blocked is None:
        return None
    b = plan.cost.blocked
    return (
        f"Blocked changes would cost {short_change(b.before, b.after)} "
        "but cannot be applied (not counted above)"
    )


def employer_line(line: CostLine) -> str:
    return f"{line.employer_id}: {short_change(line.before, line.after)}"


def plan_year_line(line: CostLine) -> str:
    key = line.key
    label = f"{key.employer_id} {line.product_code} {key.coverage_start}" if key else "?"
    note = " (blocked: cannot be applied)" if line.action == "blocked" else ""
    return f"{line.action} {label}: {short_change(line.before, line.after)}{note}"


def unmatched_line(plan: Plan) -> str | None:
    if plan.cost is None or not plan.cost.unmatched_classes:
        return None
    n = plan.cost.unmatched_classes
    return (
        f"{n:,} contribution class{'es' if n != 1 else ''} matched no headcount row "
        "(counted as 0 enrollees)"
    )


def needs_headcount(plan: Plan) -> bool:
    return plan.cost is None and (plan.has_changes or plan.has_blocked)
