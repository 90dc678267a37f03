"""vitable-config: declarative configuration-as-code for the Vitable Connect benefits API.

The Python API the CLI itself uses (names load on first use, so ``import vitable_config``
stays light)::

    from vitable_config import load_config, plan_config, apply_plan, ClientSettings, VitableClient

See ``docs/guide/python-api.md``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_config": "vitable_config.config",
    "plan_config": "vitable_config.engine.run",
    "apply_plan": "vitable_config.engine.run",
    "load_plan": "vitable_config.engine.run",
    "save_plan": "vitable_config.engine.run",
    "Scope": "vitable_config.engine.run",
    "Plan": "vitable_config.engine.model",
    "ApplyResult": "vitable_config.engine.model",
    "ClientSettings": "vitable_config.api.settings",
    "VitableClient": "vitable_config.api.client",
    "UserError": "vitable_config.errors",
}

__all__ = [
    "ApplyResult",
    "ClientSettings",
    "Plan",
    "Scope",
    "UserError",
    "VitableClient",
    "__version__",
    "apply_plan",
    "load_config",
    "load_plan",
    "plan_config",
    "save_plan",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vitable_config' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
