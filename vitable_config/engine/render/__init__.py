"""Plan renderers: text (terminal), JSON (versioned document), Markdown (PR comment).

A plan is a value; renderers return strings and never do I/O.
"""

from vitable_config.engine.render.json import render_json
from vitable_config.engine.render.markdown import DEFAULT_MAX_CHARS, render_markdown
from vitable_config.engine.render.money import dollars
from vitable_config.engine.render.text import render_text

__all__ = ["DEFAULT_MAX_CHARS", "dollars", "render_json", "render_markdown", "render_text"]
