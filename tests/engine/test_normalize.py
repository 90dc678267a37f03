"""The normalised class shape: display order, the last of two same-key classes, and
whole-cents checks on the desired side (errors exactly as before)."""

from __future__ import annotations

import dataclasses

import pytest

from tests.engine.engine_factories import desired_py, live_py
from vitable_config.desired import DesiredClass
from vitable_config.engine.normalize import normalize_desired, normalize_live

EE, ER = "employee_contribution_cents", "employer_contribution_cents"


def _cls(employment: str, tier: str, ee: object, er: object = 100) -> DesiredClass:
    return DesiredClass(employment, tier, ee, er)  # type: ignore[arg-type]


def test_classes_come_out_by_employment_then_tier_order_then_name() -> None:
    found = {
        (c.employment, c.family_status): c
        for c in (
            _cls("part_time", "EE", 1),
            _cls("full_time", "EF", 2),
            _cls("full_time", "XX", 3),  # an unknown tier sorts after the known ones
            _cls("full_time", "EE", 4),
            _cls("full_time", "ES", 5),
        )
    }
    shape = normalize_desired(dataclasses.replace(desired_py(), contribution_classes=found))
    classes = shape["contribution_classes"]
    assert list(classes) == ["full_time", "part_time"]
    assert list(classes["full_time"]) == ["EE", "ES", "EF", "XX"]
    assert classes["full_time"]["EF"] == {EE: 2, ER: 100}


def test_of_two_live_classes_with_one_key_the_later_wins_in_the_first_ones_place() -> None:
    live = live_py()
    first, second = live.contribution_classes[0], live.contribution_classes[1]
    twin = first.model_copy(update={"id": "ccls_twin", "employee_contribution_cents": 777})
    live.contribution_classes = [first, second, twin]
    classes = normalize_live(live, include_status=False)["contribution_classes"]
    employment = classes[first.employment]
    assert employment[first.family_status][EE] == 777
    assert len(employment) == 2


@pytest.mark.parametrize(
    ("value", "error", "expected"),
    [
        (5.0, None, 5),
        (True, TypeError, None),
        (5.5, ValueError, None),
    ],
)
def test_desired_amounts_must_be_whole_cents(
    value: object, error: type[Exception] | None, expected: int | None
) -> None:
    found = {("full_time", "EE"): _cls("full_time", "EE", value)}
    plan_year = dataclasses.replace(desired_py(), contribution_classes=found)
    if error is not None:
        with pytest.raises(error, match="cents must be"):
            normalize_desired(plan_year)
        return
    amounts = normalize_desired(plan_year)["contribution_classes"]["full_time"]["EE"]
    assert amounts == {EE: expected, ER: 100}
    assert type(amounts[EE]) is int
