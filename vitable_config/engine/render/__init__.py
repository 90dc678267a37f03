"""Plan renderers: text (terminal), JSON (versioned document), Markdown (PR comment).

A plan is a value; renderers return strings and never do I/O. Each renderer's module
is imported on first use (a ``plan --format json`` does not load the Markdown one).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vitable_config.engine.render.json import render_json
    from vitable_config.engine.render.markdown import DEFAULT_MAX_CHARS, render_markdown
    from vitable_config.engine.render.money import dollars
    from vitable_config.engine.render.text import render_text

_MODULES = {
    "DEFAULT_MAX_CHARS": "vitable_config.engine.render.markdown",
    "dollars": "vitable_config.engine.render.money",
    "render_json": "vitable_config.engine.render.json",
    "render_markdown": "vitable_config.engine.render.markdown",
    "render_text": "vitable_config.engine.render.text",
}

__all__ = ["DEFAULT_MAX_CHARS", "dollars", "render_json", "render_markdown", "render_text"]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
