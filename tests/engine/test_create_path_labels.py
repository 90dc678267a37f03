"""The create path's shortcuts agree with what they stand for.

* ``labels.source_label`` spells out ``Source.describe(column=False)``;
* ``text.field_change_line`` memoises a change's text: values that print differently
  (``True`` and ``1``, ``"1"`` and ``1``) never share an entry;
* ``planner.create_request`` builds the body without pydantic where it can: the same
  body (or the same error) as the PlanYearCreate model.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from vitable_config.api.models import ContributionClassInput, PlanYearCreate
from vitable_config.desired import DesiredClass, DesiredPlanYear, LayerKind, Source
from vitable_config.domain import fields as F
from vitable_config.domain.vocabulary import class_sort_key
from vitable_config.engine.model import FieldChange
from vitable_config.engine.planner import create_request
from vitable_config.engine.render.labels import source_label
from vitable_config.engine.render.text import field_change_line, plain
from vitable_config.errors import SourceLocation

KINDS: tuple[Any, ...] = (
    "defaults",
    "template",
    "rollout",
    "employer",
    "variable",
    "plan_year",
    "something_else",
)


class _Mark:
    line = 4
    column = 2


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", [None, "standard-2027", "wave 1"])
@pytest.mark.parametrize("variables", [(), ("x",), ("x", "y")])
def test_source_label_is_describe(
    kind: LayerKind, name: str | None, variables: tuple[str, ...]
) -> None:
    sources = [
        Source(kind, name, None, variables),
        Source(kind, name, SourceLocation("a/b.yaml", 12, 5), variables),
        Source.at_mark(kind, name, "c.yaml", _Mark()).with_variables(variables),
        Source.at_mark(kind, name, "c.yaml", None),
    ]
    for source in sources:
        assert source_label(source) == source.describe(column=False)
    assert source_label(None) is None


def _line(path: tuple[str, ...], kind: Any, before: Any, after: Any) -> str:
    return field_change_line(FieldChange(path, kind, before, after, None), plain)


def test_memoised_lines_keep_types_apart() -> None:
    share = (F.CLASSES, "full_time", "EE", F.EMPLOYER_CENTS.name)
    for _ in range(2):  # the second round reads the memo
        assert _line(("coverage_end",), "add", True, True) == "+ coverage end: True"
        assert _line(("coverage_end",), "add", None, 1) == "+ coverage end: 1"
        assert _line(("coverage_end",), "add", None, "1") == "+ coverage end: 1"
        assert _line(share, "change", 1, "1") == ("~ full_time/EE employer share: $0.01 → 1")
        assert _line(share, "change", "1", 1) == "~ full_time/EE employer share: 1 → $0.01"
        assert _line(share, "remove", 150, None) == (
            "- full_time/EE employer share: $1.50 (removed)"
        )
        cls = {F.EMPLOYEE_CENTS.name: 100, F.EMPLOYER_CENTS.name: 250}
        path = (F.CLASSES, "full_time", "EE")
        assert _line(path, "add", None, cls) == (
            "+ class full_time/EE: employee $1.00, employer $2.50"
        )
        partial = {F.EMPLOYER_CENTS.name: 250}
        assert _line(path, "add", None, partial) == "+ class full_time/EE: employer $2.50"
        odd = {F.EMPLOYEE_CENTS.name: [1], F.EMPLOYER_CENTS.name: 2}
        with pytest.raises(TypeError):  # as before: a list is no amount
            _line(path, "add", None, odd)
        assert _line(("x\x1b[2J",), "add", None, "a\nb") == "+ x[2J: a b"


def _plan_year(classes: dict[tuple[str, str], DesiredClass], **over: Any) -> DesiredPlanYear:
    fields: dict[str, Any] = {
        "employer_id": "empr_a",
        "benefit_product": "MEC",
        "coverage_start": date(2027, 1, 1),
        "coverage_end": date(2027, 12, 31),
        "open_enrollment_start": date(2026, 12, 1),
        "open_enrollment_end": date(2026, 12, 15),
        "contribution_classes": classes,
    }
    fields.update(over)
    return DesiredPlanYear(**fields)


def _by_pydantic(py: DesiredPlanYear) -> dict[str, Any]:
    classes = sorted(py.contribution_classes.values(), key=lambda c: class_sort_key(*c.key))
    inputs = [
        ContributionClassInput.model_validate(
            {F.EMPLOYMENT: c.employment, F.TIER: c.family_status, **F.class_amounts(c)}
        )
        for c in classes
    ]
    return PlanYearCreate(
        employer_id=py.employer_id,
        **dict(F.desired_values(py, F.CREATE)),
        contribution_classes=inputs,
    ).model_dump(mode="json")


def _outcome(make: Any, py: DesiredPlanYear) -> Any:
    try:
        return ("ok", make(py))
    except ValidationError as exc:
        return ("error", exc.errors(include_url=False))


def test_create_request_is_the_models_body() -> None:
    a = DesiredClass("full_time", "EF", 100, 200)
    b = DesiredClass("full_time", "EE", 300, 400)
    c = DesiredClass("part_time", "Unspecified", 0, 2**53 - 1)
    shared = {("full_time", "EF"): a, ("full_time", "EE"): b, ("part_time", "Unspecified"): c}
    cases = [
        _plan_year(shared),
        _plan_year(dict(shared)),  # the same objects again: from the memo
        _plan_year({k: DesiredClass(*k, 5, 6) for k in shared}),
        _plan_year(shared, employer_id="empr_b", coverage_end=date(2028, 1, 1)),
        _plan_year({("x", "EE"): DesiredClass("x", "EE", True, 1)}),  # equal to 1, refused
        _plan_year({("x", "EE"): DesiredClass("x", "EE", 1, 1)}),
        _plan_year({("x", "EE"): DesiredClass("x", "EE", 1.0, 1)}),
        _plan_year({("x", "EE"): DesiredClass("x", "EE", -1, 1)}),
        _plan_year({("x", "XX"): DesiredClass("x", "XX", 1, 1)}),
        _plan_year({}),
        _plan_year(shared, coverage_end=datetime(2027, 12, 31)),
        _plan_year(shared, coverage_end="2027-12-31"),
        _plan_year(shared, coverage_end=date(999, 12, 31)),
        _plan_year(shared, employer_id=7),
        _plan_year({}, employer_id=7),
    ]
    for py in cases * 2:
        expected = _outcome(_by_pydantic, py)
        got = _outcome(create_request, py)
        assert got == expected
        if got[0] == "ok":
            assert list(got[1]) == list(expected[1])  # key order too
            assert [type(v) for v in got[1].values()] == [type(v) for v in expected[1].values()]
    first, second = create_request(cases[0]), create_request(cases[1])
    assert first == second
    assert first["contribution_classes"][0] is not second["contribution_classes"][0]
