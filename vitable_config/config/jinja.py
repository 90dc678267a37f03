"""Jinja2 rendering for config values, in a locked-down sandbox.

Only values containing ``{{`` or ``{%`` are rendered, once, after the layers are
merged. A value that is exactly one ``{{ expression }}`` keeps its native type
(``{{ a * 2 }}`` gives the int ``76000``, not the string ``"76000"``); any other
template renders to a string.

The environment is an :class:`ImmutableSandboxedEnvironment` with
:class:`StrictUndefined`, no loader (no filesystem), no globals (no ``range``,
``lipsum``, ``cycler``, ``joiner``, ``namespace``), a short allow-list of filters
and string methods, and bounds on everything that can grow: ``*`` on strings and
lists, ``**``, ``%`` on strings, ``replace`` and the rendered output size.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import (
    StrictUndefined,
    Template,
    TemplateSyntaxError,
    Undefined,
    UndefinedError,
    meta,
    nodes,
)
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT_CHARS = 10_000
MAX_SOURCE_CHARS = 10_000
MAX_EXPONENT = 256

_SINGLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)

_ALLOWED_FILTERS = (
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "first",
    "float",
    "int",
    "join",
    "last",
    "length",
    "lower",
    "max",
    "min",
    "round",
    "string",
    "sum",
    "title",
    "trim",
    "truncate",
    "upper",
)
_ALLOWED_METHODS = frozenset(
    {
        "lower",
        "upper",
        "title",
        "capitalize",
        "strip",
        "lstrip",
        "rstrip",
        "startswith",
        "endswith",
        "split",
        "isdigit",
        "get",
        "keys",
        "values",
        "items",
    }
)


class TemplateFailure(Exception):
    """A value could not be rendered; ``str()`` is the user-facing message."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _check_size(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_OUTPUT_CHARS:
        raise SecurityError(f"result is longer than {MAX_OUTPUT_CHARS:,} characters")
    return value


def _safe_replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text = str(value)
    growth = max(0, len(str(new)) - len(str(old)))
    if len(text) + (text.count(str(old)) + 1) * growth > MAX_OUTPUT_CHARS:
        raise SecurityError(f"replace result would exceed {MAX_OUTPUT_CHARS:,} characters")
    return text.replace(str(old), str(new), -1 if count is None else count)


_REFUSED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.For,
    nodes.Macro,
    nodes.CallBlock,
    nodes.FilterBlock,
    nodes.Include,
    nodes.Import,
    nodes.FromImport,
    nodes.Extends,
    nodes.Block,
)


def _refuse_statements(tree: nodes.Template) -> None:
    """Values are small expressions: loops, macros, blocks and includes are refused,
    which bounds rendering time by the size of the source."""
    for node in tree.find_all(_REFUSED_NODES):
        name = type(node).__name__.lower()
        raise TemplateSyntaxError(
            f"'{name}' statements are not supported in config values; use expressions "
            "and {% if %}",
            node.lineno,
        )


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return attr in _ALLOWED_METHODS and super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        return None  # no str.format / format_map (unbounded padding widths)

    def call_binop(self, context: Context, op: str, left: Any, right: Any) -> Any:
        if op == "*":
            for seq, n in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(n, int)
                    and len(seq) * max(n, 0) > MAX_OUTPUT_CHARS
                ):
                    raise SecurityError(f"repetition would exceed {MAX_OUTPUT_CHARS:,} characters")
            return operator.mul(left, right)
        if op == "**":
            too_big = isinstance(right, int | float) and abs(right) > MAX_EXPONENT
            if isinstance(left, int) and isinstance(right, int | float):
                too_big = too_big or left.bit_length() * abs(right) > 64 * MAX_EXPONENT
            if too_big:
                raise SecurityError(f"power too large (exponent above {MAX_EXPONENT})")
            return operator.pow(left, right)
        if isinstance(left, str):  # op == "%"
            raise SecurityError("'%' string formatting is not allowed; join strings with '~'")
        return operator.mod(left, right)


def _make_environment() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, loader=None)
    env.globals.clear()
    filters = {name: env.filters[name] for name in _ALLOWED_FILTERS}
    filters["replace"] = _safe_replace
    env.filters.clear()
    env.filters.update(filters)
    return env


_MISSING = object()
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class _Compiled:
    is_expression: bool
    template: Template
    names: tuple[str, ...]  # variables the template reads


class Renderer:
    """Renders config values.

    Templates are compiled once per source text. Because a sandboxed template is
    a pure function of the variables it reads (no globals, no randomness),
    results are cached per (source, values of those variables): a template
    shared by thousands of employers renders once per distinct input.
    """

    def __init__(self) -> None:
        self._env = _make_environment()
        self._compiled: dict[str, _Compiled] = {}
        self._results: dict[tuple[Any, ...], Any] = {}

    def _compile(self, source: str) -> _Compiled:
        cached = self._compiled.get(source)
        if cached is not None:
            return cached
        if len(source) > MAX_SOURCE_CHARS:
            raise TemplateFailure(f"template is longer than {MAX_SOURCE_CHARS:,} characters")
        match = _SINGLE_EXPRESSION.match(source)
        try:
            tree = self._env.parse(source)
            _refuse_statements(tree)
            names = tuple(sorted(meta.find_undeclared_variables(tree)))
            if match and not any(t in match.group("expr") for t in ("{{", "}}", "{%", "{#")):
                expression = self._env.compile_expression(
                    match.group("expr"), undefined_to_none=False
                )
                compiled = _Compiled(True, expression._template, names)
            else:
                compiled = _Compiled(False, self._env.from_string(source), names)
        except TemplateSyntaxError as exc:
            raise TemplateFailure(
                f"Jinja syntax error: {exc.message}",
                "check the braces: expressions are written {{ name }} or {{ a * 2 }}",
            ) from None
        self._compiled[source] = compiled
        return compiled

    def variables_of(self, source: str) -> tuple[str, ...]:
        """The variables ``source`` reads, sorted (compiled once, cached)."""
        return self._compile(source).names

    def render(self, source: str, variables: Mapping[str, Any]) -> Any:
        """Render ``source``; raise :class:`TemplateFailure` on any problem."""
        compiled = self._compile(source)
        parts: list[Any] = [source]
        for name in compiled.names:
            value = variables.get(name, _MISSING)
            parts.append(type(value))
            parts.append(value)
        key: tuple[Any, ...] | None = tuple(parts)
        try:
            hit = self._results.get(key, _MISSING)  # type: ignore[arg-type]
        except TypeError:  # a list or mapping variable: not cacheable
            key, hit = None, _MISSING
        if hit is not _MISSING:
            return hit
        result = self._render(compiled, variables)
        if key is not None:
            if len(self._results) >= _CACHE_LIMIT:
                self._results.clear()
            self._results[key] = result
        return result

    def _render(self, compiled: _Compiled, variables: Mapping[str, Any]) -> Any:
        template = compiled.template
        try:
            # shared=True: read the variables in place instead of copying them.
            context = template.new_context(variables, shared=True)  # type: ignore[arg-type]
            if compiled.is_expression:
                for _ in template.root_render_func(context):
                    pass
                result = context.vars["result"]
                if isinstance(result, Undefined):
                    str(result)  # raises the UndefinedError / SecurityError it carries
                    raise UndefinedError("expression is undefined")
                return _check_size(result)
            out: list[str] = []
            size = 0
            for chunk in template.root_render_func(context):
                size += len(chunk)
                if size > MAX_OUTPUT_CHARS:
                    raise SecurityError(f"output is longer than {MAX_OUTPUT_CHARS:,} characters")
                out.append(chunk)
            return "".join(out)
        except SecurityError as exc:
            raise TemplateFailure(
                f"not allowed in a template: {exc}",
                "templates may only use variables, arithmetic and simple filters "
                f"({', '.join(sorted([*_ALLOWED_FILTERS, 'replace']))})",
            ) from None
        except UndefinedError as exc:
            raise TemplateFailure(
                f"undefined variable: {exc.message}",
                "define it under `variables:` (global, rollout or employer), as a CSV "
                "column, or pass --var NAME=VALUE",
            ) from None
        except TemplateSyntaxError as exc:
            raise TemplateFailure(f"Jinja syntax error: {exc.message}") from None
        except RecursionError:
            raise TemplateFailure("template nests too deeply") from None
        except Exception as exc:  # any failure inside user arithmetic/filters
            raise TemplateFailure(
                f"expression failed: {type(exc).__name__}: {exc}",
                "check the types of the variables used (numbers vs. text)",
            ) from None


_SYNTAX_ENV = _make_environment()


@functools.lru_cache(maxsize=4096)
def syntax_error(source: str) -> str | None:
    """The Jinja syntax error in ``source`` (``None`` when it compiles)."""
    if len(source) > MAX_SOURCE_CHARS:
        return f"template is longer than {MAX_SOURCE_CHARS:,} characters"
    try:
        _refuse_statements(_SYNTAX_ENV.parse(source))
        _SYNTAX_ENV.compile(source)
    except TemplateSyntaxError as exc:
        return f"Jinja syntax error: {exc.message}"
    return None
