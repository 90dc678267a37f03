"""Human plan output for a terminal (``vitable-config plan``).

Summary first; then one block per create/update/blocked plan year with its
field changes (``before → after``), dollars for cents, and the layer that set
each desired value; reach lines; warnings; unmanaged plan years briefly.
Unchanged plan years are only counted. Without a ``style`` it emits no ANSI codes.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from vitable_config.engine.model import FieldChange, Plan, PlanYearChange
from vitable_config.engine.render import policy as P
from vitable_config.engine.render.escape import one_line
from vitable_config.engine.render.labels import (
    SYMBOLS,
    coverage_label,
    employer_label,
    path_label,
    product_label,
    reach_line,
    source_label,
    summary_line,
    value_label,
)
from vitable_config.engine.render.money import CENTS_FIELDS

Style = Callable[..., str]
_COLORS = {"create": "green", "update": "yellow", "blocked": "red", "unmanaged": "cyan"}
_KIND_SYMBOL = {"add": "+", "remove": "-", "change": "~"}


def plain(text: str, **_kwargs: object) -> str:
    """The default style: no ANSI codes."""
    return text


def _change_text(fc: FieldChange) -> str:
    label = path_label(fc.path)
    if fc.kind == "add":
        text = f"+ {label}: {value_label(fc.path, fc.after)}"
    elif fc.kind == "remove":
        text = f"- {label}: {value_label(fc.path, fc.before)} (removed)"
    else:
        text = f"~ {label}: {value_label(fc.path, fc.before)} → {value_label(fc.path, fc.after)}"
    return one_line(text)  # live values (employment names) come from the server


_NoneType = type(None)
_SCALARS = (str, int, bool, _NoneType)
# A change's text without its source, by (kind, path, shown values with their types;
# of a class dict only the amounts ``value_label`` reads): a plan shows the same dates
# and classes in many plan years. Bounded; keys and texts are immutable.
_TEXTS: dict[tuple[Any, ...], str] = {}
_TEXTS_MAX = 8192
_amounts = itemgetter(*CENTS_FIELDS) if len(CENTS_FIELDS) > 1 else None


def _value_key(value: Any) -> tuple[Any, ...] | None:
    """What ``value_label`` shows of ``value``, as a hashable key (None: not cached)."""
    kind = value.__class__
    if kind is dict:
        if _amounts is not None:
            try:
                return (dict, *_amounts(value))
            except KeyError:
                pass
        return (dict, *(value.get(name) for name in CENTS_FIELDS))
    if kind in _SCALARS:
        return (kind, value)
    return None


def _text_key(fc: FieldChange) -> tuple[Any, ...] | None:
    kind = fc.kind
    if kind == "add":
        shown = _value_key(fc.after)
        return None if shown is None else (kind, fc.path, shown)
    if kind == "remove":
        shown = _value_key(fc.before)
        return None if shown is None else (kind, fc.path, shown)
    before, after = _value_key(fc.before), _value_key(fc.after)
    return None if before is None or after is None else (kind, fc.path, before, after)


def field_change_line(fc: FieldChange, style: Style) -> str:
    key = _text_key(fc)
    try:
        text = None if key is None else _TEXTS.get(key)
    except TypeError:  # an unhashable amount
        key = text = None
    if text is None:
        text = _change_text(fc)
        if key is not None:
            if len(_TEXTS) >= _TEXTS_MAX:
                _TEXTS.clear()
            _TEXTS[key] = text
    source = source_label(fc.source)
    if source:
        text += "  " + style(f"# from {source}", dim=True)
    return text


def change_block(change: PlanYearChange, style: Style) -> list[str]:
    color = _COLORS.get(change.action)
    header = (
        f"{SYMBOLS[change.action]} {change.action} {employer_label(change)} "
        f"{product_label(change)} {coverage_label(change)}"
    )
    if change.live_id:
        header += f"  [{change.live_id}, {change.live_status}]"
    lines = [style(one_line(header), fg=color, bold=True)]
    if change.action == "blocked":
        lines.append("    " + style(one_line(f"blocked: {change.blocked_reason}"), fg="red"))
        if change.blocked_since:
            lines.append(f"    since: {change.blocked_since.isoformat()}")
    lines.extend("    " + field_change_line(fc, style) for fc in change.changes)
    if change.then_request:
        lines.append("    " + one_line(follow_up_line(change.then_request)))
    lines.extend("    " + style(one_line(f"warning: {w}"), fg="yellow") for w in change.warnings)
    return lines


def follow_up_line(then_request: dict[str, object]) -> str:
    """How a create's follow-up PUT is shown: the plan says exactly what apply sends."""
    what = ", ".join(f"{k} {v}" for k, v in sorted(then_request.items()))
    return f"then: PUT {what} right after the create (a create cannot carry it)"


def render_text(plan: Plan, *, style: Style | None = None) -> str:
    """The plan as text; ``style`` (click.style-compatible, passed in by the CLI) colours it."""
    style = style or plain
    lines = [style(summary_line(plan.summary), bold=True)]
    lines.extend(style(line, fg="red", bold=True) for line in duplicate_lines(plan))
    lines.extend(policy_lines(plan, style))
    for change in plan.changes:
        if change.action in ("create", "update", "blocked"):
            lines.append("")
            lines.extend(change_block(change, style))
    if plan.reach:
        lines += ["", style("Reach of template and rollout changes:", bold=True)]
        lines.extend(f"  {one_line(reach_line(r))}" for r in plan.reach)
    if plan.warnings:
        lines += ["", style("Warnings:", fg="yellow", bold=True)]
        lines.extend(f"  {one_line(w)}" for w in plan.warnings)
    unmanaged = [c for c in plan.changes if c.action == "unmanaged"]
    if unmanaged:
        lines += [
            "",
            style("Unmanaged (in managed employers/products, not in config; never touched):"),
        ]
        lines.extend(
            one_line(
                f"  {c.live_id}  {c.key.employer_id} {product_label(c)} "
                f"{c.key.coverage_start.isoformat()}  {c.live_status}"
            )
            for c in unmanaged
        )
    lines.extend(cost_lines(plan, style))
    if not plan.has_changes and not plan.has_blocked and not plan.duplicates:
        lines += ["", "No changes. The live API matches the configuration."]
    if plan.digest:
        lines += ["", one_line(f"Plan digest: {plan.digest}")]
    return "\n".join(lines)


def policy_lines(plan: Plan, style: Style) -> list[str]:
    """Policy violations, failing denials first (shown above the changes)."""
    if not plan.violations:
        return []
    color = "red" if plan.denied else "yellow"
    lines = ["", style(f"Policy violations ({P.violation_counts(plan)}):", fg=color, bold=True)]
    for head, items in P.by_rule(plan.violations):
        fg = "red" if items[0].denies else ("yellow" if items[0].allowed is None else None)
        lines.append("  " + style(head, fg=fg, bold=True))
        lines.extend(f"    {P.violation_line(v)}" for v in items)
    return lines


def cost_lines(plan: Plan, style: Style) -> list[str]:
    """Cost impact from the headcount file (or the note that totals need one)."""
    if P.needs_headcount(plan):
        # In a terminal only for a config with policies (the PR comment always says it).
        return ["", P.NEEDS_HEADCOUNT] if plan.policies_checked else []
    cost = plan.cost
    if cost is None:
        return []
    lines = ["", style(f"Cost impact (headcount: {cost.headcount_file}):", bold=True)]
    lines.extend(f"  {line}" for line in P.headline(plan))
    blocked = P.blocked_line(plan)
    if blocked:
        lines.append("  " + style(blocked, fg="red"))
    if cost.employers:
        lines.append("  Per employer:")
        lines.extend(f"    {P.employer_line(e)}" for e in cost.employers)
    if cost.plan_years:
        lines.append("  Per changed plan year:")
        lines.extend(f"    {P.plan_year_line(p)}" for p in cost.plan_years)
    unmatched = P.unmatched_line(plan)
    if unmatched:
        lines.append(f"  {unmatched}")
    return lines


def duplicate_lines(plan: Plan) -> list[str]:
    """One error line per managed key with several live plan years (shown first)."""
    return [
        one_line(
            f"error: duplicate: {key} has {len(ids)} live plan years ({', '.join(ids)}); apply "
            "cannot tell which one the config means, and the API has no delete"
        )
        for key, ids in plan.duplicates
    ]
