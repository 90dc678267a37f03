"""Jinja2 rendering for config values, in a locked-down sandbox (the engine behind
:mod:`vitable_config.config.jinja`, imported on first use).

Only values containing ``{{`` or ``{%`` are rendered, once, after the layers are
merged. A value that is exactly one ``{{ expression }}`` keeps its native type
(``{{ a * 2 }}`` gives the int ``76000``, not the string ``"76000"``); any other
template renders to a string.

The environment is an :class:`ImmutableSandboxedEnvironment` with
:class:`StrictUndefined`, no loader (no filesystem), no globals (no ``range``,
``lipsum``, ``cycler``, ``joiner``, ``namespace``), a short allow-list of filters
and string methods, and bounds on everything that can grow: ``*`` on strings and
lists, ``**``, ``%`` on strings, ``replace`` and the rendered output size.

A render **budget** bounds every intermediate value, not just the result: each
arithmetic operator, ``~``, list/tuple/dict literal, method call and filter is
checked (before allocating, where the size is known in advance: ``*``, ``+``,
``~``, ``join``, ``replace``), so no value inside a template — a string, a list
counted element by element, an int counted in bits — exceeds
:data:`MAX_OUTPUT_CHARS` characters / :data:`MAX_INT_BITS` bits; and each render
may do at most :data:`MAX_OPERATIONS` such operations producing at most
:data:`MAX_WORK_CHARS` characters in total. Exceeding either is a
:class:`TemplateFailure` in milliseconds, at the value's file:line.

The ``int`` and ``float`` filters are strict: text is read by the one number
parser (:mod:`vitable_config.config.money`: ``"045000"|int``, ``"1:30"|int`` and
``"abc"|int`` are errors, never ``0`` or another number), and a decimal written in a
file (``450.00``) is not silently truncated to an amount by ``|int``.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import threading
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
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from vitable_config.config.jinja import TemplateFailure
from vitable_config.config.money import (
    DECIMAL_FRACTION,
    DECIMAL_INT,
    DecimalNumber,
    number_like_hint,
)

MAX_OUTPUT_CHARS = 10_000
MAX_SOURCE_CHARS = 10_000
MAX_EXPONENT = 256
MAX_INT_BITS = 64 * MAX_EXPONENT  # the largest int ``**`` may produce
MAX_OPERATIONS = 5_000  # checked operations per render
MAX_WORK_CHARS = 1_000_000  # total size of all checked values per render
MAX_NESTING = 50  # depth of the parsed expression tree
MAX_TREE_NODES = 3_000  # parts of the parsed template

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


def measure(value: Any, limit: int = MAX_OUTPUT_CHARS) -> int:
    """The size of ``value`` in characters: a string's length, an int's digits, the
    sum over a list/tuple/dict's items (nested; a shared item counts each time it is
    reachable, as it would when printed). Stops counting once past ``limit``, so it
    costs at most ~``limit`` steps whatever the value."""
    total = 0
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 1
        elif isinstance(item, int):
            total += max(1, item.bit_length() * 3 // 10)
        elif isinstance(item, list | tuple):
            total += 1
            stack.extend(item)
        elif isinstance(item, dict):
            total += 1
            for k, v in item.items():
                stack.append(k)
                stack.append(v)
        else:
            total += 1
        if total > limit:
            return total
    return total


class _Budget(threading.local):
    def __init__(self) -> None:
        self.operations = 0
        self.work = 0

    def reset(self) -> None:
        self.operations = 0
        self.work = 0

    def spend(self, size: int) -> None:
        self.operations += 1
        self.work += size
        if self.operations > MAX_OPERATIONS:
            raise SecurityError(
                f"the template does too much work (more than {MAX_OPERATIONS:,} operations)"
            )
        if self.work > MAX_WORK_CHARS:
            raise SecurityError(
                f"the template does too much work (its values total more than "
                f"{MAX_WORK_CHARS:,} characters)"
            )


_BUDGET = _Budget()


def _too_long(what: str) -> SecurityError:
    return SecurityError(f"{what} would be longer than {MAX_OUTPUT_CHARS:,} characters")


def _check_size(value: Any, what: str = "a value") -> Any:
    """Charge ``value`` to the render budget; refuse it when it is too large."""
    if isinstance(value, str):  # the common cases first
        if len(value) > MAX_OUTPUT_CHARS:
            raise _too_long(what)
        _BUDGET.spend(len(value))
        return value
    if isinstance(value, float | bool) or value is None:
        _BUDGET.spend(1)
        return value
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise SecurityError(f"a number in the template is larger than {MAX_INT_BITS:,} bits")
        _BUDGET.spend(1)
        return value
    size = measure(value)
    if size > MAX_OUTPUT_CHARS:
        raise _too_long(what)
    _BUDGET.spend(size)
    return value


def _safe_replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old_s, new_s = str(value), str(old), str(new)
    growth = max(0, len(new_s) - len(old_s))
    hits = text.count(old_s) if old_s else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * growth > MAX_OUTPUT_CHARS:
        raise _too_long("the result of replace")
    return _check_size(text.replace(old_s, new_s, -1 if count is None else count))  # type: ignore[no-any-return]


def _safe_join(value: Any, d: Any = "", attribute: Any = None) -> str:
    items = list(value)
    if measure(items) > MAX_OUTPUT_CHARS:
        raise _too_long("the list to join")
    if attribute is not None:
        raise SecurityError("join(attribute=...) is not supported; join a list of values")
    sep = str(d)
    parts = [str(item) for item in items]
    total = sum(len(p) for p in parts) + len(sep) * max(0, len(parts) - 1)
    if total > MAX_OUTPUT_CHARS:
        raise _too_long("the result of join")
    return _check_size(sep.join(parts))  # type: ignore[no-any-return]


def _number_text_error(value: str, wanted: str) -> SecurityError:
    hint = number_like_hint(value)
    tail = f": {hint}" if hint else ""
    return SecurityError(f"{value!r}|{wanted} is not a number{tail}")


def _strict_int(value: Any, default: Any = None, base: int = 10) -> int:
    """``|int`` that never guesses: a bool, unreadable text or a decimal written in a
    file (``450.00``: dollars or cents?) is an error instead of ``0`` or a truncation."""
    if isinstance(value, bool):
        raise SecurityError(f"{str(value).lower()}|int: a boolean is not a number")
    if isinstance(value, DecimalNumber):
        raise SecurityError(
            f"{value.text}|int: a decimal as written is not an amount; compute one, "
            f"e.g. ({value.text} * 100) | round | int for dollars as cents"
        )
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SecurityError(f"{value!r}|int is not a number")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if DECIMAL_INT.fullmatch(text) and len(text) <= 4300:
            return int(text)
        raise _number_text_error(text, "int")
    raise SecurityError(f"{type(value).__name__} value|int is not a number")


def _strict_float(value: Any, default: Any = None) -> float:
    if isinstance(value, bool):
        raise SecurityError(f"{str(value).lower()}|float: a boolean is not a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if (DECIMAL_INT.fullmatch(text) or DECIMAL_FRACTION.fullmatch(text)) and len(text) <= 40:
            return float(text)
        raise _number_text_error(text, "float")
    raise SecurityError(f"{type(value).__name__} value|float is not a number")


def _numbers_only_sum(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
        if isinstance(start, bool) or not isinstance(start, int | float):
            raise SecurityError("sum(start=...) must be a number; sum adds numbers")
        return func(environment, iterable, attribute, start)

    return wrapper


def _budgeted(func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose result is charged to the render budget (keeps Jinja's
    ``pass_context``/``pass_environment`` marker, copied by ``functools.wraps``)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _check_size(func(*args, **kwargs), "a filter's result")

    return wrapper


class _CheckingCodeGenerator(CodeGenerator):
    """Compiles ``~`` and list/tuple/dict literals through the budget checks (the
    sandbox intercepts operators and calls, but not these)."""

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self.write("environment.checked_value(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx == "store":
            super().visit_Tuple(node, frame)
            return
        self.write("environment.checked_value(")
        super().visit_Tuple(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("environment.checked_value(")
        super().visit_Dict(node, frame)
        self.write(")")


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
    which bounds rendering time by the size of the source; so are trees nested deeper
    than :data:`MAX_NESTING` or larger than :data:`MAX_TREE_NODES` (Jinja's compiler
    is recursive and its constant folding is cubic in the nesting depth)."""
    stack: list[tuple[nodes.Node, int]] = [(tree, 0)]
    count = 0
    while stack:
        node, depth = stack.pop()
        if isinstance(node, _REFUSED_NODES):
            name = type(node).__name__.lower()
            raise TemplateSyntaxError(
                f"'{name}' statements are not supported in config values; use expressions "
                "and {% if %}",
                node.lineno,
            )
        count += 1
        if depth > MAX_NESTING or count > MAX_TREE_NODES:
            raise TemplateSyntaxError(
                f"the template is too complex (nested more than {MAX_NESTING} deep or more "
                f"than {MAX_TREE_NODES:,} parts); split it into variables",
                node.lineno,
            )
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})
    code_generator_class = _CheckingCodeGenerator

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return attr in _ALLOWED_METHODS and super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        return None  # no str.format / format_map (unbounded padding widths)

    def checked_value(self, value: Any) -> Any:
        return _check_size(value)

    def checked_concat(self, parts: tuple[Any, ...]) -> str:
        texts = [str(part) for part in parts]
        if sum(len(t) for t in texts) > MAX_OUTPUT_CHARS:
            raise _too_long("the result of '~'")
        return _check_size("".join(texts))  # type: ignore[no-any-return]

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        return _check_size(super().call(__context, __obj, *args, **kwargs), "a call's result")

    def getattr(self, obj: Any, attribute: str) -> Any:
        _BUDGET.spend(1)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _BUDGET.spend(1)
        return super().getitem(obj, argument)

    def call_unop(self, context: Context, operator: str, arg: Any) -> Any:
        return _check_size(super().call_unop(context, operator, arg))

    def call_binop(self, context: Context, op: str, left: Any, right: Any) -> Any:
        if op == "*":
            for seq, n in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(n, int)
                    and measure(seq) * max(n, 0) > MAX_OUTPUT_CHARS
                ):
                    raise SecurityError(f"repetition would exceed {MAX_OUTPUT_CHARS:,} characters")
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1
            ):
                raise SecurityError(f"a product larger than {MAX_INT_BITS:,} bits")
            return _check_size(operator.mul(left, right))
        if op == "**":
            too_big = isinstance(right, int | float) and abs(right) > MAX_EXPONENT
            if isinstance(left, int) and isinstance(right, int | float):
                too_big = too_big or left.bit_length() * abs(right) > MAX_INT_BITS
            if too_big:
                raise SecurityError(f"power too large (exponent above {MAX_EXPONENT})")
            return _check_size(operator.pow(left, right))
        if op == "%" and isinstance(left, str):
            raise SecurityError("'%' string formatting is not allowed; join strings with '~'")
        if (
            op == "+"
            and isinstance(left, str | list | tuple)
            and measure(left) + measure(right) > MAX_OUTPUT_CHARS
        ):
            raise _too_long("the result of '+'")
        func = {
            "+": operator.add,
            "-": operator.sub,
            "/": operator.truediv,
            "//": operator.floordiv,
            "%": operator.mod,
        }[op]
        return _check_size(func(left, right))


def _make_environment() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, loader=None)
    env.globals.clear()
    filters: dict[str, Callable[..., Any]] = {
        name: _budgeted(env.filters[name]) for name in _ALLOWED_FILTERS
    }
    filters["sum"] = _budgeted(_numbers_only_sum(env.filters["sum"]))
    filters["int"] = _budgeted(_strict_int)
    filters["float"] = _budgeted(_strict_float)
    filters["join"] = _safe_join
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
        except RecursionError:
            raise TemplateFailure(
                "Jinja syntax error: the template nests too deeply",
                "split the expression into variables",
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
        _BUDGET.reset()
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
    except RecursionError:
        return "Jinja syntax error: the template nests too deeply"
    return None
