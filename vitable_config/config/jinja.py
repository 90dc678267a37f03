"""Jinja2 rendering for config values, in a locked-down sandbox.

Only values containing ``{{`` or ``{%`` are rendered, once, after the layers are
merged (see :mod:`vitable_config.config.jinja_sandbox` for the sandbox, its
allow-lists and its render budget). This module is what the rest of the code
uses; it loads Jinja2 and builds the sandbox only when a value needs it, so a
config without any Jinja (a flat export) never imports Jinja2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vitable_config.config import jinja_sandbox


class TemplateFailure(Exception):
    """A value could not be rendered; ``str()`` is the user-facing message."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _sandbox() -> Any:
    from vitable_config.config import jinja_sandbox

    return jinja_sandbox


class Renderer:
    """Renders config values (see :class:`jinja_sandbox.Renderer`); the sandbox is
    made on the first value rendered or inspected."""

    __slots__ = ("_impl",)

    def __init__(self) -> None:
        self._impl: jinja_sandbox.Renderer | None = None

    def _engine(self) -> jinja_sandbox.Renderer:
        impl = self._impl
        if impl is None:
            impl = self._impl = _sandbox().Renderer()
        return impl

    def variables_of(self, source: str) -> tuple[str, ...]:
        """The variables ``source`` reads, sorted (compiled once, cached)."""
        return self._engine().variables_of(source)

    def render(self, source: str, variables: Mapping[str, Any]) -> Any:
        """Render ``source``; raise :class:`TemplateFailure` on any problem."""
        return self._engine().render(source, variables)


def syntax_error(source: str) -> str | None:
    """The Jinja syntax error in ``source`` (``None`` when it compiles)."""
    return _sandbox().syntax_error(source)  # type: ignore[no-any-return]
