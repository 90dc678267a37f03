"""Violations and cost reports <-> JSON-ready dicts (the plan document's optional
``violations`` and ``cost`` members; see docs/plan-format.md)."""

from __future__ import annotations

from typing import Any

from vitable_config.desired import PlanYearKey, Source
from vitable_config.errors import SourceLocation
from vitable_config.policy.model import (
    LEVELS,
    MONTHS_PER_YEAR,
    Allowance,
    CostLine,
    CostReport,
    Totals,
    Violation,
)


def _location(loc: SourceLocation | None) -> dict[str, Any] | None:
    return None if loc is None else {"file": loc.file, "line": loc.line, "column": loc.column}


def _location_from(data: dict[str, Any] | None) -> SourceLocation | None:
    if not data:
        return None
    return SourceLocation(str(data["file"]), int(data["line"]), int(data.get("column") or 1))


def violation_to_dict(v: Violation, key_to_dict: Any, source_to_dict: Any) -> dict[str, Any]:
    return {
        "rule": v.rule,
        "level": v.level,
        "denies": v.denies,
        "message": v.message,
        "detail": v.detail,
        "key": key_to_dict(v.key, v.product_code) if v.key else None,
        "employer_id": v.employer_id,
        "path": list(v.path) if v.path else None,
        "value": v.value,
        "source": source_to_dict(v.source),
        "rule_location": _location(v.rule_location),
        "allowed": None
        if v.allowed is None
        else {"reason": v.allowed.reason, "source": source_to_dict(v.allowed.source)},
    }


def violation_from_dict(
    data: dict[str, Any], key_from_dict: Any, source_from_dict: Any
) -> Violation:
    if data["level"] not in LEVELS:
        raise ValueError(f"unknown policy level {data['level']!r}")
    allowed = data.get("allowed")
    allowance = None
    if allowed is not None:
        source: Source | None = source_from_dict(allowed["source"])
        if source is None:
            raise ValueError("an exception without a source")
        allowance = Allowance(data["rule"], str(allowed["reason"]), source)
    key: PlanYearKey | None = key_from_dict(data["key"]) if data.get("key") else None
    return Violation(
        rule=str(data["rule"]),
        level=data["level"],
        message=str(data["message"]),
        detail=str(data["detail"]),
        key=key,
        product_code=(data.get("key") or {}).get("product_code"),
        employer_id=data.get("employer_id"),
        path=tuple(data["path"]) if data.get("path") else None,
        value=data.get("value"),
        source=source_from_dict(data.get("source")),
        rule_location=_location_from(data.get("rule_location")),
        allowed=allowance,
    )


def _totals(t: Totals) -> dict[str, int]:
    return {"employee": t.employee, "employer": t.employer}


def line_to_dict(line: CostLine, key_to_dict: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if line.key is not None:
        out["key"] = key_to_dict(line.key, line.product_code)
        out["action"] = line.action
    if line.employer_id is not None and line.key is None:
        out["employer_id"] = line.employer_id
    change = Totals(
        line.after.employee - line.before.employee, line.after.employer - line.before.employer
    )
    out["monthly"] = {
        "before": _totals(line.before),
        "after": _totals(line.after),
        "change": _totals(change),
    }
    out["annual"] = {
        name: {k: v * MONTHS_PER_YEAR for k, v in values.items()}
        for name, values in out["monthly"].items()
    }
    return out


def _line_from(data: dict[str, Any], key_from_dict: Any) -> CostLine:
    monthly = data["monthly"]
    key = key_from_dict(data["key"]) if data.get("key") else None
    return CostLine(
        before=Totals(**{k: int(v) for k, v in monthly["before"].items()}),
        after=Totals(**{k: int(v) for k, v in monthly["after"].items()}),
        key=key,
        product_code=(data.get("key") or {}).get("product_code"),
        employer_id=data.get("employer_id") or (key.employer_id if key else None),
        action=data.get("action"),
    )


def cost_to_dict(cost: CostReport | None, key_to_dict: Any) -> dict[str, Any] | None:
    if cost is None:
        return None
    return {
        "headcount_file": cost.headcount_file,
        "overall": line_to_dict(cost.overall, key_to_dict),
        "employers": [line_to_dict(e, key_to_dict) for e in cost.employers],
        "plan_years": [line_to_dict(p, key_to_dict) for p in cost.plan_years],
        "blocked": None if cost.blocked is None else line_to_dict(cost.blocked, key_to_dict),
        "unmatched_classes": cost.unmatched_classes,
    }


def cost_from_dict(data: dict[str, Any] | None, key_from_dict: Any) -> CostReport | None:
    if data is None:
        return None
    return CostReport(
        headcount_file=str(data["headcount_file"]),
        overall=_line_from(data["overall"], key_from_dict),
        employers=[_line_from(e, key_from_dict) for e in data.get("employers", [])],
        plan_years=[_line_from(p, key_from_dict) for p in data.get("plan_years", [])],
        blocked=_line_from(data["blocked"], key_from_dict) if data.get("blocked") else None,
        unmatched_classes=int(data.get("unmatched_classes", 0)),
    )
