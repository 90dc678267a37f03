"""Turn pydantic validation errors into :class:`Problem` entries with file:line:col.

The error's ``loc`` path is followed through the located YAML data
(:class:`LocDict`/:class:`LocList`) to find where the offending key or value was
written; an unknown key gets a "did you mean ...?" hint from the model's fields.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from vitable_config.config.yaml_loader import (
    container_location,
    key_location,
    value_location,
)
from vitable_config.errors import Problem, SourceLocation

_ENGLISH = {
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
    "dict_type": "expected a mapping (key: value)",
    "list_type": "expected a list (- item)",
    "string_type": "expected text",
    "int_type": "expected a whole number",
}


_QUOTE_HINT = "quote it (in YAML, true/false, whole numbers and dates are not text unless quoted)"


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if models else args[0]
        else:
            return tp


def _step(tp: Any, elem: Any) -> Any:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            if elem in (name, info.alias):
                return info.annotation
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is list and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def allowed_keys(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """The keys the model allows at ``path`` (empty when not a model there)."""
    tp: Any = model
    for elem in path:
        tp = _step(tp, elem)
        if tp is None:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [info.alias or name for name, info in tp.model_fields.items()]
    return []


def suggest(word: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def problems_from_validation(
    exc: ValidationError,
    data: Any,
    model: type[BaseModel],
    fallback: SourceLocation | None,
) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = _without_tags(data, tuple(err["loc"]))
        problems.append(_one(err, loc, data, model, fallback))
    return problems


def _without_tags(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the discriminator tags pydantic puts in the path of a tagged union (a policy
    rule's ``kind``), so the path walks the data as written."""
    out: list[Any] = []
    node = data
    for elem in loc:
        if isinstance(node, dict) and elem not in node and node.get("kind") == elem:
            continue
        out.append(elem)
        in_dict = isinstance(node, dict) and elem in node
        in_list = isinstance(node, list) and isinstance(elem, int) and 0 <= elem < len(node)
        node = node[elem] if in_dict or in_list else None
    return tuple(out)


def _walk(data: Any, path: tuple[Any, ...]) -> Any:
    node = data
    for elem in path:
        in_dict = isinstance(node, dict) and elem in node
        in_list = isinstance(node, list) and isinstance(elem, int) and 0 <= elem < len(node)
        if in_dict or in_list:
            node = node[elem]
        else:
            return None
    return node


def _one(
    err: Any,
    loc: tuple[Any, ...],
    data: Any,
    model: type[BaseModel],
    fallback: SourceLocation | None,
) -> Problem:
    kind = err["type"]
    msg = str(err["msg"]).removeprefix("Value error, ")
    if loc and loc[-1] == "[key]":
        key = loc[-2]
        parent = _walk(data, loc[:-2])
        where = key_location(parent, key) or container_location(parent) or fallback
        if kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",")]
            return Problem(
                f"unknown family status {key!r}; expected one of {expected}",
                where,
                hint=suggest(str(key), choices),
            )
        if kind == "string_type":
            # pydantic reports a bool key as an int; show the key as written.
            actual = next((k for k in parent if k == key), key) if isinstance(parent, dict) else key
            return Problem(
                f"expected a text key, got {_type_name(actual)}",
                where,
                hint=_QUOTE_HINT,
            )
        if msg.startswith("expected a text key"):
            return Problem(msg, where, hint=_QUOTE_HINT)
        return Problem(msg, where)
    parent = _walk(data, loc[:-1]) if loc else None
    last = loc[-1] if loc else None
    if kind == "extra_forbidden":
        choices = allowed_keys(model, loc[:-1])
        where = key_location(parent, last) or fallback
        hint = suggest(str(last), choices)
        if hint is None and choices:
            hint = f"allowed keys here: {', '.join(choices)}"
        return Problem(f"unknown key {last!r}", where, hint=hint)
    if kind == "missing":
        where = container_location(parent) or fallback
        return Problem(f"missing required key {last!r}", where)
    where = (value_location(parent, last) if loc else container_location(data)) or fallback
    if kind in _ENGLISH:
        msg = f"{_ENGLISH[kind]}, got {_type_name(err.get('input'))}"
    elif kind == "string_pattern_mismatch":
        msg = (
            f"{err.get('input')!r} is not a valid name: use letters, digits, '_', '.', '-' "
            "(starting with a letter or digit)"
        )
    elif kind == "literal_error":
        msg = f"expected {err.get('ctx', {}).get('expected')}, got {err.get('input')!r}"
    return Problem(msg, where)


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {value!r}" if len(value) < 40 else "text"
    return f"{type(value).__name__} {value!r}"
