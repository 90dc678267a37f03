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

from vitable_config.engine.model import Plan
from vitable_config.engine.serialize import change_to_dict, key_to_dict, plan_to_dict, reach_to_dict

_LISTS_ONE_PER_LINE: dict[str, Callable[[Any], Any]] = {
    "changes": change_to_dict,
    "reach": reach_to_dict,
    "absent_keys": key_to_dict,
}


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


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
            to_dict = _LISTS_ONE_PER_LINE[key]
            parts.append(f"  {json.dumps(key)}: [\n")
            parts.append(",\n".join(f"    {_compact(to_dict(item))}" for item in items))
            parts.append(f"\n  ]{comma}\n")
        else:
            parts.append(f"  {json.dumps(key)}: {_compact(header[key])}{comma}\n")
    parts.append("}")
    return "".join(parts)
