"""The versioned JSON plan document (schema: ``schemas/plan.schema.json``).

Layout: one top-level key per line and one change (or reach entry, or absent
key) per line, each compact. This keeps large plans fast to write (the C
encoder does each line) and readable/diffable line by line; any JSON parser
reads it the same as an indented document.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date
from typing import Any

from vitable_config.desired import PlanYearKey
from vitable_config.engine.model import Plan, PlanYearChange
from vitable_config.engine.serialize import change_to_dict, key_to_dict, plan_to_dict, reach_to_dict

_compact: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, separators=(", ", ": ")
).encode  # = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


_string: Callable[[str], str] = json.encoder.encode_basestring  # what _compact writes for a str


def _text_or_null(value: object) -> str:
    if value is None:
        return "null"
    if type(value) is not str:
        raise TypeError  # not for the fast path
    return _string(value)


def _unchanged_parts() -> tuple[tuple[str, ...], str]:
    """The keys of a change's head (before ``before``, then those of its ``key``) as
    change_to_dict writes them, and the tail (after ``after``) of a change with no field
    changes, warnings, block or request, which is the same text for every such change."""
    sample = PlanYearChange(action="unchanged", key=PlanYearKey("e", "p", date(2000, 1, 1)))
    data = change_to_dict(sample)
    keys = list(data)
    at = keys.index("before")
    tail = _compact({k: data[k] for k in keys[at + 2 :]})
    return (*keys[:at], *data["key"]), tail[1:]


_HEAD_KEYS, _EMPTY_TAIL = _unchanged_parts()
# The head _unchanged_line writes (the change's keys, then its key's): only used while
# change_to_dict writes the same.
_FAST_HEAD = (
    *("action", "key", "employer_name", "live_id", "live_status"),
    *("employer_id", "benefit_product_id", "product_code", "coverage_start"),
)


def _unchanged_line(change: PlanYearChange, shared: dict[str, Any]) -> str | None:
    """``_compact(change_to_dict(change))`` of a plan year whose before and after are one
    dict and that has nothing else to say (the common line of a plan in sync), written
    without building the dict; None for any other change."""
    if (
        change.changes
        or change.warnings
        or change.blocked_reason is not None
        or change.blocked_since is not None
        or change.request is not None
        or change.then_request is not None
        or _HEAD_KEYS != _FAST_HEAD
    ):
        return None
    key = change.key
    try:
        start = key.coverage_start.isoformat()
        head = (
            f'{{"action": {_text_or_null(change.action)}, "key": {{"employer_id": '
            f"{_text_or_null(key.employer_id)}, "
            f'"benefit_product_id": {_text_or_null(key.benefit_product)}, '
            f'"product_code": {_text_or_null(change.product_code)}, '
            f'"coverage_start": {_text_or_null(start)}}}, '
            f'"employer_name": {_text_or_null(change.employer_name)}, '
            f'"live_id": {_text_or_null(change.live_id)}, '
            f'"live_status": {_text_or_null(change.live_status)}'
        )
    except (TypeError, AttributeError):
        return None
    body = _compact(shared)
    return f'{head}, "before": {body}, "after": {body}, {_EMPTY_TAIL}'


def _change_line(change: PlanYearChange) -> str:
    """One change, compact: exactly ``_compact(change_to_dict(change))``. An unchanged
    plan year's ``before`` and ``after`` are one shared dict: it is encoded once."""
    shared = change.after
    if shared is not None and change.before is shared:
        line = _unchanged_line(change, shared)
        if line is not None:
            return line
    data = change_to_dict(change)
    shared = data["after"]
    if shared is None or data["before"] is not shared:
        return _compact(data)
    keys = list(data)
    at = keys.index("before")
    if keys[at + 1] != "after" or at == 0 or at + 2 == len(keys):  # pragma: no cover
        return _compact(data)
    head = _compact({k: data[k] for k in keys[:at]})
    tail = _compact({k: data[k] for k in keys[at + 2 :]})
    body = _compact(shared)
    return f'{head[:-1]}, "before": {body}, "after": {body}, {tail[1:]}'


_LINES: dict[str, Callable[[Any], str]] = {
    "changes": _change_line,
    "reach": lambda item: _compact(reach_to_dict(item)),
    "absent_keys": lambda item: _compact(key_to_dict(item)),
}


def render_json(plan: Plan) -> str:
    """The same document as :func:`plan_to_dict`, written change by change so a
    plan of 10,000 plan years never holds a second full copy as dicts."""
    header = plan_to_dict(dataclasses.replace(plan, changes=[], reach=[], absent_keys=[]))
    header["summary"] = plan.summary
    sources: dict[str, list[Any]] = {
        "changes": plan.changes,
        "reach": plan.reach,
        "absent_keys": plan.absent_keys,
    }
    keys = list(header)
    parts = ["{\n"]
    for index, key in enumerate(keys):
        comma = "," if index < len(keys) - 1 else ""
        items = sources.get(key)
        if items:
            line = _LINES[key]
            parts.append(f"  {json.dumps(key)}: [\n")
            parts.append(",\n".join(f"    {line(item)}" for item in items))
            parts.append(f"\n  ]{comma}\n")
        else:
            parts.append(f"  {json.dumps(key)}: {_compact(header[key])}{comma}\n")
    parts.append("}")
    return "".join(parts)
