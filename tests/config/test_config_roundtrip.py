"""dump_plan_years writes a config document that load_config reads back identically."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitable_config.config import dump_plan_years, load_config
from vitable_config.desired import DesiredClass, DesiredPlanYear

REPO = Path(__file__).resolve().parents[2]


def _essence(py: DesiredPlanYear) -> tuple[object, ...]:
    return (
        py.employer_id,
        py.benefit_product,
        py.coverage_start,
        py.coverage_end,
        py.open_enrollment_start,
        py.open_enrollment_end,
        py.status,
        py.employer_name,
        dict(py.contribution_classes),
    )


@pytest.mark.parametrize("example", ["rollout", "quickstart"])
def test_examples_round_trip(tmp_path: Path, example: str) -> None:
    state = load_config([REPO / "examples" / example])
    text = dump_plan_years(state.plan_years)
    assert text.startswith("# yaml-language-server: $schema=")
    assert "employee: $45.00" in text  # dollar strings, not raw cents
    out = tmp_path / "export.yaml"
    out.write_text(text)
    again = load_config([out])
    assert [_essence(p) for p in again.plan_years] == [_essence(p) for p in state.plan_years]
    assert all(src.kind == "plan_year" for p in again.plan_years for src in p.provenance.values())


_cents = st.integers(min_value=0, max_value=10**9)
# Employment names follow the identifier rule (^[a-z][a-z0-9_]*$); the YAML words among
# them (null, true, false) must come back as names, not as null/booleans.
_employment = st.sampled_from(["full_time", "part_time", "e1", "yes", "null", "true", "off"])
_tier = st.sampled_from(["Unspecified", "EE", "ES", "EC", "EF"])


@st.composite
def plan_years(draw: st.DrawFn) -> DesiredPlanYear:
    start = draw(st.dates(min_value=date(2020, 1, 2), max_value=date(2040, 1, 1)))
    keys = draw(st.sets(st.tuples(_employment, _tier), min_size=1, max_size=6))
    classes = {(e, t): DesiredClass(e, t, draw(_cents), draw(_cents)) for e, t in sorted(keys)}
    employer_id = draw(st.sampled_from(["empr_acme", "empr_r001"]))
    # one employer writes products as codes, the other as ids (mixing is refused offline)
    products = ["MEC", "VD"] if employer_id == "empr_acme" else ["bprd_mec", "bprd_vd"]
    return DesiredPlanYear(
        employer_id=employer_id,
        benefit_product=draw(st.sampled_from(products)),
        coverage_start=start,
        coverage_end=start.replace(year=start.year + 1)
        if start.month != 2
        else start.replace(day=1, year=start.year + 1),
        open_enrollment_start=start.replace(day=1),
        open_enrollment_end=start.replace(day=1),
        contribution_classes=classes,
        status=draw(st.sampled_from([None, "draft", "active"])),
        employer_name=draw(st.sampled_from([None, "Acme: Widgets", "yes", "'quoted'"])),
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(plan_years(), max_size=4, unique_by=lambda p: p.employer_id + p.benefit_product))
def test_dump_load_round_trip(items: list[DesiredPlanYear]) -> None:
    import tempfile

    names = {p.employer_id: p.employer_name for p in items}
    for p in items:  # one label per employer, as in a real account
        p.employer_name = names[p.employer_id]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.yaml"
        path.write_text(dump_plan_years(items))
        loaded = load_config([path]).plan_years
    expected = sorted(items, key=lambda p: (p.employer_id, p.benefit_product, p.coverage_start))
    assert [_essence(p) for p in loaded] == [_essence(p) for p in expected]
