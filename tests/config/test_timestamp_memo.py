"""Dates are read once per distinct text (a bounded memo), with the same values and
the same problems as reading each one."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from vitable_config.config import yaml_loader
from vitable_config.config.yaml_loader import parse_yaml
from vitable_config.errors import UserError


def test_each_distinct_date_text_is_constructed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_loader, "_TIMESTAMPS", {})
    calls: list[str] = []
    original = yaml_loader._LocatingLoader.construct_yaml_timestamp

    def counting(self: object, node: object) -> object:
        calls.append(node.value)  # type: ignore[attr-defined]
        return original(self, node)  # type: ignore[arg-type]

    monkeypatch.setattr(yaml_loader._LocatingLoader, "construct_yaml_timestamp", counting)
    text = "\n".join(f"k{i}: {{start: 2027-01-01, end: 2027-12-31}}" for i in range(50))
    data = parse_yaml(text, "dates.yaml")
    assert data["k49"]["start"] == date(2027, 1, 1)
    assert data["k0"]["end"] == date(2027, 12, 31)
    assert sorted(calls) == ["2027-01-01", "2027-12-31"]


def test_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_loader, "_TIMESTAMPS", {})
    monkeypatch.setattr(yaml_loader, "_TIMESTAMPS_MAX", 3)
    days = [f"2027-01-{d:02d}" for d in range(1, 11)]
    data = parse_yaml("\n".join(f"d{i}: {day}" for i, day in enumerate(days)), "d.yaml")
    assert [data[f"d{i}"] for i in range(10)] == [date(2027, 1, d) for d in range(1, 11)]
    assert len(yaml_loader._TIMESTAMPS) == 3


def test_an_invalid_date_is_reported_at_every_place_it_is_written() -> None:
    text = "a: 2027-02-30\nb: 2027-02-30\nc: 2027-02-28\n"
    with pytest.raises(UserError) as caught:
        parse_yaml(text, "bad.yaml")
    where = sorted(str(p.location) for p in caught.value.problems)
    assert where == ["bad.yaml:1:4", "bad.yaml:2:4"]
    assert "2027-02-30" not in yaml_loader._TIMESTAMPS


def test_timestamps_with_a_time_keep_their_value() -> None:
    first = parse_yaml("a: 2027-01-01 10:30:00\n", "t.yaml")["a"]
    again = parse_yaml("b: 2027-01-01 10:30:00\n", "t.yaml")["b"]
    assert first == again == datetime(2027, 1, 1, 10, 30)
