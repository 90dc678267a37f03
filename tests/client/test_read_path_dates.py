"""Response dates read through the memo of dates already read are accepted and
refused exactly as before, with the same messages (the memo only skips re-parsing
a string that was already read as a valid date)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from vitable_config.api import models
from vitable_config.api.models import PlanYear


def _original(value: object) -> object:
    if isinstance(value, datetime):
        raise ValueError("expected a date YYYY-MM-DD, not a timestamp")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and models._ISO_DATE.fullmatch(value):
        return date.fromisoformat(value)
    raise ValueError(
        f"expected a date written as a JSON string YYYY-MM-DD, got {models._kind(value)}"
    )


def _outcome(read: Callable[[object], object], value: object) -> tuple[str, object]:
    try:
        return "ok", read(value)
    except ValueError as exc:
        return "refused", str(exc)


class Text(str):
    pass


spellings = (
    st.dates().map(date.isoformat)
    | st.sampled_from(["2027-02-30", "2027-1-01", "٢٠٢٧-٠١-٠١", "2027-01-01 ", "", "0000-01-01"])
    | st.text(max_size=12)
)
values = spellings | spellings.map(Text) | st.dates() | st.datetimes() | st.integers() | st.none()


@given(st.lists(values, max_size=6))
def test_wire_date_reads_as_the_original(items: list[object]) -> None:
    for value in [*items, *items]:  # the second time through the memo
        assert _outcome(models._wire_date, value) == _outcome(_original, value)


def test_the_memo_is_bounded_and_keeps_no_refused_string(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "_DATES_READ", {})
    monkeypatch.setattr(models, "_DATES_READ_MAX", 3)
    for day in range(1, 8):
        assert models._wire_date(f"2027-01-0{day}") == date(2027, 1, day)
        assert len(models._DATES_READ) <= 3
    for _ in range(2):
        with pytest.raises(ValueError):
            models._wire_date("2027-02-30")
    assert "2027-02-30" not in models._DATES_READ
    assert type(models._wire_date(Text("2027-03-01"))) is date
    assert "2027-03-01" not in models._DATES_READ  # a str subclass is not remembered


def test_a_plan_year_refuses_a_bad_date_after_good_ones() -> None:
    body = {
        "id": "plyr_1",
        "benefit_product_id": "bprd_mec",
        "employer_id": "empr_1",
        "coverage_start": "2027-01-01",
        "coverage_end": "2027-12-31",
        "open_enrollment_start_date": "2026-12-01",
        "open_enrollment_end_date": "2026-12-15",
        "status": "draft",
        "created_at": "2026-06-01T00:00:00Z",
        "updated_at": "2026-06-01T00:00:00Z",
        "contribution_classes": [],
    }
    first = PlanYear.model_validate(body)
    second = PlanYear.model_validate(body)
    assert first.coverage_start == second.coverage_start == date(2027, 1, 1)
    with pytest.raises(ValidationError, match="coverage_end"):
        PlanYear.model_validate({**body, "coverage_end": "2027-02-30"})
