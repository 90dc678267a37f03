"""The loader keeps what a large config needs and no more: the marks of a mapping's
keys and values in one list (exact locations, found as the dict finds the key), one
shared copy of each repeated text, and nothing left for the cyclic collector."""

from __future__ import annotations

import gc
import sys
import weakref
from typing import Any

import pytest

from vitable_config.config import yaml_loader as Y
from vitable_config.errors import UserError


def _where(data: Any, key: Any) -> tuple[str, str]:
    return str(Y.key_location(data, key)), str(Y.value_location(data, key))


def test_a_wide_mapping_has_the_location_of_every_key_and_value() -> None:
    keys = [f"k{i}" for i in range(40)] + ["1", "2027-01-01", "null", "'7'"]
    text = "".join(f"{k}:   v{i}\n" for i, k in enumerate(keys))
    data = Y.parse_yaml(text, "w.yaml")
    assert len(data) == len(keys) > Y._SCAN_KEYS
    for line, key in enumerate(data, start=1):
        assert _where(data, key) == (f"w.yaml:{line}:1", f"w.yaml:{line}:{len(keys[line - 1]) + 5}")
    assert _where(data, 1) == _where(data, True) == ("w.yaml:41:1", "w.yaml:41:6")
    assert _where(data, "missing") == ("w.yaml:1:1", "w.yaml:1:1")  # the mapping's own
    assert _where(data, ["unhashable"]) == ("w.yaml:1:1", "w.yaml:1:1")


def test_keys_that_compare_equal_are_found_as_the_dict_finds_them() -> None:
    data = Y.parse_yaml("a: x\n1: y\nnull: z\n2027-01-01: d\n", "e.yaml")
    assert _where(data, 1.0) == ("e.yaml:2:1", "e.yaml:2:4")
    assert _where(data, True) == ("e.yaml:2:1", "e.yaml:2:4")
    assert _where(data, None) == ("e.yaml:3:1", "e.yaml:3:7")
    assert str(Y.key_location(data, next(iter(data.keys() - {"a", 1, None})))) == "e.yaml:4:1"


def test_a_key_repeated_through_a_merge_keeps_its_place_and_takes_the_later_locations() -> None:
    text = "base: &b {employee: 1, employer: 2}\nEE:\n  <<: *b\n  employer: 3\n"
    data = Y.parse_yaml(text, "m.yaml")["EE"]
    assert list(data.items()) == [("employee", 1), ("employer", 3)]
    assert _where(data, "employee") == ("m.yaml:1:11", "m.yaml:1:21")
    assert _where(data, "employer") == ("m.yaml:4:3", "m.yaml:4:13")


def test_a_duplicate_key_names_the_first_place_in_a_wide_mapping() -> None:
    text = "".join(f"k{i}: v\n" for i in range(20)) + "k3: again\n"
    with pytest.raises(UserError) as caught:
        Y.parse_yaml(text, "d.yaml")
    [problem] = caught.value.problems
    assert problem.message == "duplicate key 'k3' (first defined at d.yaml:4:1)"
    assert str(problem.location) == "d.yaml:21:1"


def test_a_dict_filled_after_loading_has_no_marks_and_falls_back_to_its_own_location() -> None:
    data = Y.parse_yaml("a: 1\n", "f.yaml")
    data["b"] = 2
    assert _where(data, "a") == _where(data, "b") == ("f.yaml:1:1", "f.yaml:1:1")
    empty = Y.LocDict(None)
    empty["x"] = 1
    assert Y.key_location(empty, "x") is None and Y.value_mark(empty, "x") == ("", None)


def test_repeated_texts_are_one_object_across_documents() -> None:
    one = Y.parse_yaml("full_time: {EE: {employee: $45.00}}\n", "1.yaml")
    two = Y.parse_yaml("full_time:\n  EE:\n    employee: $45.00\n", "2.yaml")
    (k1,), (k2,) = one["full_time"]["EE"], two["full_time"]["EE"]
    assert k1 == k2 == "employee" and k1 is k2 is sys.intern("employee")
    assert one["full_time"]["EE"]["employee"] is two["full_time"]["EE"]["employee"]
    text = "".join(chr(c) for c in (0x61, 0x2D, 0x62))  # "a-b", made at run time
    assert Y.parse_yaml("a-b: a-b\n", "3.yaml") == {text: text}
    (key,) = Y.parse_yaml("a-b: a-b\n", "3.yaml")
    assert key is sys.intern(text)


def test_parsing_leaves_nothing_for_the_cyclic_collector() -> None:
    made: list[weakref.ref[Any]] = []
    original = Y._LocatingLoader.__init__

    def tracked(self: Any, stream: str, filename: str) -> None:
        original(self, stream, filename)
        made.append(weakref.ref(self))

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        Y._LocatingLoader.__init__ = tracked  # type: ignore[method-assign]
        try:
            Y.parse_yaml("a: {b: [1, {c: d}]}\n", "g.yaml")
        finally:
            Y._LocatingLoader.__init__ = original  # type: ignore[method-assign]
        assert made and made[0]() is None  # freed at once, not left in a cycle
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.__delitem__("b"),
        lambda d: d.pop("b"),
        lambda d: d.popitem(),
        lambda d: (d.pop("b"), d.__setitem__("z", "new")),
        lambda d: (d.clear(), d.update(a=1, c=2)),
    ],
)
def test_a_mapping_changed_after_loading_never_gives_a_key_another_keys_line(
    change: Any,
) -> None:
    # Locations are kept by position: after a key is removed, "c" must not be
    # reported on the line of the key that followed it, nor "a" on a wrong one.
    data = Y.parse_yaml("a: 1\nb: 2\nc: 3\nd: 4\n", "m.yaml")
    change(data)
    for key in data:
        assert _where(data, key) == ("m.yaml:1:1", "m.yaml:1:1"), key  # the mapping's own
