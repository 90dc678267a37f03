"""The versioned JSON plan document (schema: ``schemas/plan.schema.json``)."""

from __future__ import annotations

import json

from vitable_config.engine.model import Plan
from vitable_config.engine.serialize import plan_to_dict


def render_json(plan: Plan) -> str:
    """Stable, sorted-keys-free but deterministic JSON (2-space indent)."""
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False)
