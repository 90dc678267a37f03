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
from typing import Any

from vitable_config.engine.model import Plan, PlanYearChange
from vitable_config.engine.serialize import change_to_dict, key_to_dict, plan_to_dict, reach_to_dict

_compact: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, separators=(", ", ": ")
).encode  # = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _change_line(change: PlanYearChange) -> str:
    """One change, compact: exactly ``_compact(change_to_dict(change))``. An unchanged
    plan year's ``before`` and ``after`` are one shared dict: it is encoded once."""
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
