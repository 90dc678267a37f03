"""The JSON Schema of the config format, generated from the pydantic models.

Regenerate the shipped copy with::

    python -m vitable_config.config.schema > schemas/config.schema.json
"""

from __future__ import annotations

import json
from typing import Any

from vitable_config.config.models import ConfigDocument

REGENERATE = "python -m vitable_config.config.schema > schemas/config.schema.json"


def config_schema() -> dict[str, Any]:
    schema = ConfigDocument.model_json_schema()
    target = schema["$defs"]["EmployerTarget"]
    list_items = schema["$defs"]["Targets"]["properties"]["list"]["anyOf"][0]
    list_items["items"] = {
        "anyOf": [
            {"type": "string", "pattern": target["properties"]["employer_id"]["pattern"]},
            {"$ref": "#/$defs/EmployerTarget"},
        ]
    }
    _close_pattern_maps(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "vitable-config configuration file",
        "description": "Plan years and contribution classes for Vitable Connect employers: "
        "defaults -> templates -> rollouts -> employer overrides. See docs/config-format.md.",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def _close_pattern_maps(node: Any) -> None:
    """Keys that do not match ``patternProperties`` (e.g. an employer id without
    ``empr_``) are errors, as they are for the loader."""
    if isinstance(node, dict):
        if "patternProperties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _close_pattern_maps(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_maps(value)


def render_schema() -> str:
    return json.dumps(config_schema(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_schema(), end="")
