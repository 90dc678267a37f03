"""Plan <-> JSON-ready dict (format_version 1; see docs/plan-format.md).

``plan_from_dict(plan_to_dict(plan))`` equals ``plan`` except for each change's
``desired`` (the in-memory config object, never serialised). No API key or
other credential is part of a Plan, so none can reach the document.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from vitable_config.api.wire import DIALECTS as API_DIALECTS
from vitable_config.desired import PlanYearKey, Source
from vitable_config.engine.model import (
    ACTIONS,
    FORMAT_VERSION,
    FieldChange,
    Plan,
    PlanYearChange,
    Reach,
)
from vitable_config.errors import SourceLocation, UserError
from vitable_config.policy import serialize as policy_json


def source_to_dict(source: Source | None) -> dict[str, Any] | None:
    if source is None:
        return None
    loc = source.location
    out: dict[str, Any] = {
        "kind": source.kind,
        "name": source.name,
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
        "column": loc.column if loc else None,
    }
    if source.variables:
        out["variables"] = list(source.variables)
    return out


def source_from_dict(data: dict[str, Any] | None) -> Source | None:
    if data is None:
        return None
    location = None
    if data.get("file") is not None and data.get("line") is not None:
        location = SourceLocation(data["file"], int(data["line"]), int(data.get("column") or 1))
    return Source(
        kind=data["kind"],
        name=data.get("name"),
        location=location,
        variables=tuple(data.get("variables") or ()),
    )


def key_to_dict(key: PlanYearKey, product_code: str | None = None) -> dict[str, Any]:
    return {
        "employer_id": key.employer_id,
        "benefit_product_id": key.benefit_product,
        "product_code": product_code,
        "coverage_start": key.coverage_start.isoformat(),
    }


def key_from_dict(data: dict[str, Any]) -> PlanYearKey:
    return PlanYearKey(
        data["employer_id"],
        data["benefit_product_id"],
        date.fromisoformat(data["coverage_start"]),
    )


def field_change_to_dict(fc: FieldChange) -> dict[str, Any]:
    return {
        "path": list(fc.path),
        "kind": fc.kind,
        "before": fc.before,
        "after": fc.after,
        "source": source_to_dict(fc.source),
    }


def field_change_from_dict(data: dict[str, Any]) -> FieldChange:
    return FieldChange(
        path=tuple(data["path"]),
        kind=data["kind"],
        before=data.get("before"),
        after=data.get("after"),
        source=source_from_dict(data.get("source")),
    )


def change_to_dict(change: PlanYearChange) -> dict[str, Any]:
    return {
        "action": change.action,
        "key": key_to_dict(change.key, change.product_code),
        "employer_name": change.employer_name,
        "live_id": change.live_id,
        "live_status": change.live_status,
        "before": change.before,
        "after": change.after,
        "field_changes": [field_change_to_dict(fc) for fc in change.changes],
        "blocked_reason": change.blocked_reason,
        "blocked_since": change.blocked_since.isoformat() if change.blocked_since else None,
        "warnings": list(change.warnings),
        "request": change.request,
        "then_request": change.then_request,
    }


def change_from_dict(data: dict[str, Any]) -> PlanYearChange:
    if data["action"] not in ACTIONS:
        raise ValueError(f"unknown action {data['action']!r}")
    since = data.get("blocked_since")
    return PlanYearChange(
        action=data["action"],
        key=key_from_dict(data["key"]),
        product_code=data["key"].get("product_code"),
        employer_name=data.get("employer_name"),
        live_id=data.get("live_id"),
        live_status=data.get("live_status"),
        before=data.get("before"),
        after=data.get("after"),
        changes=[field_change_from_dict(fc) for fc in data.get("field_changes", [])],
        blocked_reason=data.get("blocked_reason"),
        blocked_since=date.fromisoformat(since) if since else None,
        warnings=list(data.get("warnings", [])),
        request=data.get("request"),
        then_request=data.get("then_request"),
    )


def reach_to_dict(reach: Reach) -> dict[str, Any]:
    return {
        "layer": source_to_dict(reach.layer),
        "path": list(reach.path),
        "changed": reach.changed,
        "overridden": reach.overridden,
        "changed_employers": reach.changed_employers,
        "overridden_employers": reach.overridden_employers,
        "blocked": reach.blocked,
    }


def reach_from_dict(data: dict[str, Any]) -> Reach:
    layer = source_from_dict(data["layer"])
    if layer is None:
        raise ValueError("reach entry without a layer")
    return Reach(
        layer=layer,
        path=tuple(data["path"]),
        changed=int(data["changed"]),
        overridden=int(data["overridden"]),
        changed_employers=int(data.get("changed_employers", 0)),
        overridden_employers=int(data.get("overridden_employers", 0)),
        blocked=int(data.get("blocked", 0)),
    )


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The documented plan document (``render_json`` dumps exactly this)."""
    dialect = {} if plan.api_dialect is None else {"api_dialect": plan.api_dialect}
    return {
        "format_version": plan.format_version,
        "created_at": plan.created_at.isoformat(),
        "base_url": plan.base_url,
        **dialect,
        "summary": plan.summary,
        "scope": plan.scope,
        "changes": [change_to_dict(c) for c in plan.changes],
        "reach": [reach_to_dict(r) for r in plan.reach],
        "warnings": list(plan.warnings),
        "fingerprints": dict(sorted(plan.fingerprints.items())),
        "absent_keys": [key_to_dict(k) for k in plan.absent_keys],
        "violations": [
            policy_json.violation_to_dict(v, key_to_dict, source_to_dict) for v in plan.violations
        ],
        "cost": policy_json.cost_to_dict(plan.cost, key_to_dict),
        "duplicates": [{"key": key_to_dict(k), "ids": list(ids)} for k, ids in plan.duplicates],
        "inputs": dict(plan.inputs),
        "digest": plan.digest,
    }


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """Rebuild a Plan; a document from another format version is a UserError."""
    version = data.get("format_version") if isinstance(data, dict) else None
    dialect = data.get("api_dialect") if isinstance(data, dict) else None
    if dialect is not None and dialect not in API_DIALECTS:
        raise UserError(
            f"the plan file's api_dialect {str(dialect)[:40]!r} is not one of "
            f"{', '.join(API_DIALECTS)}; run plan --out FILE again"
        )
    if version != FORMAT_VERSION:
        raise UserError(
            f"unsupported plan format_version {version!r} (this vitable-config reads "
            f"version {FORMAT_VERSION}); make the plan again with this version: "
            "vitable-config plan PATH --out FILE"
        )
    try:
        return Plan(
            changes=[change_from_dict(c) for c in data["changes"]],
            created_at=datetime.fromisoformat(data["created_at"]),
            base_url=data["base_url"],
            fingerprints=dict(data.get("fingerprints", {})),
            absent_keys=[key_from_dict(k) for k in data.get("absent_keys", [])],
            reach=[reach_from_dict(r) for r in data.get("reach", [])],
            warnings=list(data.get("warnings", [])),
            scope=dict(data.get("scope") or {}),
            format_version=version,
            api_dialect=dialect,
            violations=[
                policy_json.violation_from_dict(v, key_from_dict, source_from_dict)
                for v in data.get("violations") or []
            ],
            cost=policy_json.cost_from_dict(data.get("cost"), key_from_dict),
            inputs=dict(data.get("inputs") or {}),
            digest=data.get("digest"),
            duplicates=[
                (key_from_dict(d["key"]), [str(i) for i in d["ids"]])
                for d in data.get("duplicates", [])
            ],
        )
    except KeyError as exc:
        raise UserError(
            f"the plan file is not a valid vitable-config plan: it has no {exc} field where "
            "one is required (edited by hand?); make it again with: "
            "vitable-config plan PATH --out FILE"
        ) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise UserError(
            "the plan file is not a valid vitable-config plan: a field has the wrong type or "
            f"value ({exc}); make it again with: vitable-config plan PATH --out FILE"
        ) from None
