"""verify_after_write compares a create's JSON body with the answer directly when it
can: the outcome is the one of validating the body and ``create_mismatch`` (the same
lines, or the same refusal), for bodies that match and bodies that do not."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.engine.engine_factories import ListingClient, create_answer
from vitable_config.api.models import PlanYearCreate
from vitable_config.desired import PlanYearKey
from vitable_config.engine.guard import change_label, create_mismatch, verify_after_write
from vitable_config.engine.model import ActionResult, PlanYearChange

STAMP = datetime(2026, 6, 1, tzinfo=UTC)
REQUEST: dict[str, Any] = {
    "employer_id": "empr_a",
    "coverage_start": "2027-01-01",
    "coverage_end": "2027-12-31",
    "open_enrollment_start": "2026-12-01",
    "open_enrollment_end": "2026-12-15",
    "contribution_classes": [
        {
            "employment": "full_time",
            "family_status": "EE",
            "employee_contribution_cents": 4500,
            "employer_contribution_cents": 38000,
        },
        {
            "employment": "part_time",
            "family_status": "EF",
            "employee_contribution_cents": 0,
            "employer_contribution_cents": 2**53 - 1,
        },
    ],
}


Edit = Callable[[dict[str, Any]], None]


def _set(path: tuple[Any, ...], value: Any) -> Edit:
    def edit(body: dict[str, Any]) -> None:
        target: Any = body
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return edit


def _delete(path: tuple[Any, ...]) -> Edit:
    def edit(body: dict[str, Any]) -> None:
        target: Any = body
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return edit


CLS = ("contribution_classes", 0)
EDITS: dict[str, Edit] = {
    "same": lambda body: None,
    "bool-amount": _set((*CLS, "employee_contribution_cents"), True),
    "float-amount": _set((*CLS, "employee_contribution_cents"), 4500.0),
    "str-amount": _set((*CLS, "employee_contribution_cents"), "4500"),
    "negative": _set((*CLS, "employee_contribution_cents"), -1),
    "too-big": _set((*CLS, "employer_contribution_cents"), 2**53),
    "tier": _set((*CLS, "family_status"), "XX"),
    "tier-list": _set((*CLS, "family_status"), ["EE"]),
    "employment-empty": _set((*CLS, "employment"), ""),
    "employment-int": _set((*CLS, "employment"), 7),
    "class-extra": _set((*CLS, "id"), "x"),
    "class-missing": _delete((*CLS, "employer_contribution_cents")),
    "class-not-dict": _set(CLS, ["full_time"]),
    "classes-empty": _set(("contribution_classes",), []),
    "classes-tuple": lambda body: body.update(
        contribution_classes=tuple(body["contribution_classes"])
    ),
    "date-short": _set(("coverage_end",), "2027-12-1"),
    "date-time": _set(("coverage_end",), "2027-12-31T00:00:00"),
    "date-number": _set(("coverage_end",), 20271231),
    "employer-int": _set(("employer_id",), 7),
    "extra": _set(("status",), "draft"),
    "missing": _delete(("open_enrollment_end",)),
}


def _outcome(run: Callable[[], list[str]]) -> tuple[str, Any]:
    try:
        return ("ok", run())
    except Exception as exc:
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize("name", sorted(EDITS))
@pytest.mark.parametrize("answer_edit", ["same", "amount", "end"])
def test_verify_is_validate_then_create_mismatch(name: str, answer_edit: str) -> None:
    request = copy.deepcopy(REQUEST)
    EDITS[name](request)
    served = copy.deepcopy(REQUEST)
    if answer_edit == "amount":
        served["contribution_classes"][1]["employer_contribution_cents"] = 5
    if answer_edit == "end":
        served["coverage_end"] = "2028-01-31"
    got = create_answer(served, stamp=STAMP)
    change = PlanYearChange(
        action="create",
        key=PlanYearKey("empr_a", "bprd_mec", got.coverage_start),
        product_code="MEC",
        request=request,
    )

    def expected() -> list[str]:
        diffs = create_mismatch(change, PlanYearCreate.model_validate(change.request), got)
        label = change_label(change)
        return [f"mismatch: {label} ({got.id}) is live with {'; '.join(diffs)}"] if diffs else []

    def verified() -> list[str]:
        client: Any = ListingClient([got])
        return asyncio.run(verify_after_write([ActionResult(change, "created", got.id)], client))

    assert _outcome(verified) == _outcome(expected)
