"""The one-pass located build (``yaml_loader._build``) gives exactly what PyYAML's own
construction with the located constructors gives: the same values and types, the same
file:line:col for every key, value, mapping and sequence, and the same problems.

Differential: every document is loaded both ways (``parse_yaml`` and the loader's
``construct_document``, the construction used before the one-pass build).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitable_config.config import yaml_loader as Y
from vitable_config.errors import UserError


def _outcome(text: str) -> tuple[str, Any]:
    try:
        data = Y.parse_yaml(text, "f.yaml")
    except UserError as exc:
        return "error", [f"{p.location}: {p.message}" for p in exc.problems]
    return "ok", data


def _reference(text: str) -> tuple[str, Any]:
    """parse_yaml as it was: PyYAML's construct_document, and the alias count always."""
    build = Y._build
    Y._build = lambda loader, node: loader.construct_document(node)
    try:
        return _outcome(text)
    finally:
        Y._build = build


def _locations(data: Any, path: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(data, Y.LocDict):
        out.append((path, str(data.loc)))
        for key, value in data.items():
            out.append((f"{path}/{key!r}@key", str(Y.key_location(data, key))))
            out.append((f"{path}/{key!r}@value", str(Y.value_location(data, key))))
            out += _locations(value, f"{path}/{key!r}")
    elif isinstance(data, Y.LocList):
        out.append((path, str(data.loc)))
        for i, value in enumerate(data):
            out.append((f"{path}/{i}", str(Y.value_location(data, i))))
            out += _locations(value, f"{path}/{i}")
    return out


def _same(text: str) -> None:
    ref, ours = _reference(text), _outcome(text)
    assert ours[0] == ref[0], (ours, ref)
    assert ours[1] == ref[1] and repr(ours[1]) == repr(ref[1])  # values, types, problems
    if ours[0] == "ok":
        assert _locations(ours[1]) == _locations(ref[1])


SCALARS = st.sampled_from(
    [
        "0", "045000", "0x1F", "1_000", "+1", "-7", "1.5", "0.50", ".inf", "1e3", "true", "True",
        "yes", "no", "on", "~", "null", "", "2027-01-01", "2027-02-30", "2027-01-01 10:00:00",
        '"$450.00"', "'quoted'", "plain text", "{{ x }}", '"{{ x * 2 }}"', "12:30", "é",
    ]
)  # fmt: skip
KEYS = st.sampled_from(["a", "b", "full_time", "EE", "1", "true", "2027-01-01", "null", "~"])


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> str:
    """YAML text: block mappings/sequences, flow collections, duplicate keys, comments."""
    indent = "  " * depth
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        key = draw(KEYS)
        kind = draw(st.sampled_from(["scalar", "scalar", "flow", "block", "seq"]))
        if kind == "scalar" or depth >= 3:
            lines.append(f"{indent}{key}: {draw(SCALARS)}")
        elif kind == "flow":
            items = draw(st.lists(st.tuples(KEYS, SCALARS), min_size=0, max_size=3))
            body = ", ".join(f"{k}: {v if v else 'null'}" for k, v in items)
            lines.append(f"{indent}{key}: {{{body}}}")
        elif kind == "block":
            lines.append(f"{indent}{key}:  # a comment")
            lines.append(draw(documents(depth + 1)))
        else:
            lines.append(f"{indent}{key}:")
            for _ in range(draw(st.integers(1, 3))):
                lines.append(f"{indent}  - {draw(SCALARS)}")
    return "\n".join(lines)


@settings(max_examples=300, deadline=None)
@given(text=documents())
def test_one_pass_build_equals_pypyaml_construction(text: str) -> None:
    _same(text + "\n")


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {employee: 100, employer: 200}\nEE: {<<: *b, employer: 300}\n",
        "a: &x [1, 2]\nb: *x\nc: *x\n",
        "a: 1\na: 2\n",
        "? [1, 2]\n: x\n",
        "a: !!int '0x1F'\nb: !!bool yes\nc: !!float '1e3'\nd: !!str 12\n",
        "a: !env HOME\n",
        "a: !!python/object:os.system ls\n",
        "s: !!set {x, y}\no: !!omap [{a: 1}, {b: 2}]\n",
        "- [1, {a: b}]\n- - nested\n  - 2027-02-30\n",
        "just text\n",
        "",
        "a: {b: {c: {d: [1, [2, [3, {e: f}]]]}}}\n",
    ],
)
def test_one_pass_build_equals_pyyaml_construction_on_edge_cases(text: str) -> None:
    _same(text)


def test_locations_are_exact_after_the_one_pass_build() -> None:
    data = Y.parse_yaml("version: 1\nemployers:\n  empr_a:\n    plan_years: [{x: 1}]\n", "c.yaml")
    employers = data["employers"]
    assert str(Y.key_location(data, "employers")) == "c.yaml:2:1"
    assert str(Y.value_location(employers, "empr_a")) == "c.yaml:4:5"
    plan_years = employers["empr_a"]["plan_years"]
    assert str(Y.value_location(plan_years, 0)) == "c.yaml:4:18"
    assert str(plan_years.loc) == "c.yaml:4:17"


def test_a_bomb_without_anchors_is_still_counted(monkeypatch) -> None:
    monkeypatch.setattr(Y, "MAX_NODES", 50)
    with pytest.raises(UserError, match="document too large"):
        Y.parse_yaml("[" + ", ".join(["1"] * 60) + "]\n", "big.yaml")


def test_a_wide_mapping_without_anchors_is_counted_too(monkeypatch) -> None:
    monkeypatch.setattr(Y, "MAX_NODES", 50)
    text = "".join(f"k{i}: v\n" for i in range(30))
    with pytest.raises(UserError, match="document too large"):
        Y.parse_yaml(text, "wide.yaml")


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(SCALARS, st.text(max_size=12), st.from_regex(r"-?[0-9._:+eE]{0,8}")))
def test_remembered_resolution_equals_pyyaml_resolution(text: str) -> None:
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode
    from yaml.resolver import BaseResolver

    loader = Y._LocatingLoader("", "r.yaml")
    try:
        for kind, implicit in (
            (ScalarNode, (True, False)),
            (ScalarNode, (False, True)),
            (ScalarNode, (False, False)),
            (MappingNode, (True, False)),
            (SequenceNode, (True, False)),
        ):
            value = text if kind is ScalarNode else None
            expected = BaseResolver.resolve(loader, kind, value, implicit)
            assert loader.resolve(kind, value, implicit) == expected  # first answer
            assert loader.resolve(kind, value, implicit) == expected  # remembered
    finally:
        loader.dispose()
