"""Each change line of the JSON plan is exactly ``_compact(change_to_dict(change))``,
whether it takes the unchanged fast path or not (any text, None, odd values)."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vitable_config.desired import PlanYearKey
from vitable_config.engine.model import ACTIONS, FieldChange, PlanYearChange
from vitable_config.engine.render.json import _change_line, _compact
from vitable_config.engine.serialize import change_to_dict

texts = st.text(max_size=10) | st.sampled_from(["", "\ud800", 'q"\\/\n\t\x00\x7f', "é€😀"])
odd = st.integers() | st.floats(allow_nan=False) | st.booleans()
maybe_text = st.none() | texts
bodies = st.dictionaries(
    texts,
    st.none()
    | texts
    | st.integers()
    | st.dictionaries(texts, st.dictionaries(texts, st.integers(), max_size=2), max_size=2),
    max_size=4,
)


@st.composite
def changes(draw: st.DrawFn) -> PlanYearChange:
    def value(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(strategy | odd) if draw(st.integers(0, 9)) == 0 else draw(strategy)

    start = draw(st.dates() | st.datetimes()) if draw(st.booleans()) else date(2027, 1, 1)
    key = PlanYearKey(value(texts), value(texts), start)
    after = draw(st.none() | bodies)
    shared = draw(st.booleans())
    change = PlanYearChange(
        action=value(st.sampled_from(ACTIONS)),
        key=key,
        product_code=value(maybe_text),
        employer_name=value(maybe_text),
        live_id=value(maybe_text),
        live_status=value(maybe_text),
        after=after,
        before=after if shared else draw(st.none() | bodies),
    )
    if draw(st.integers(0, 3)) == 0:
        change.changes = [FieldChange(("coverage_end",), "change", "2027-12-31", "2028-01-01")]
    if draw(st.integers(0, 5)) == 0:
        change.warnings = [draw(texts)]
    if draw(st.integers(0, 5)) == 0:
        change.blocked_reason = draw(texts)
    if draw(st.integers(0, 5)) == 0:
        change.blocked_since = draw(st.dates())
    if draw(st.integers(0, 5)) == 0:
        change.request = draw(bodies)
    if draw(st.integers(0, 5)) == 0:
        change.then_request = {"status": "draft"}
    return change


@settings(max_examples=800, deadline=None)
@given(changes())
def test_change_line_is_the_compact_change_dict(change: PlanYearChange) -> None:
    assert _change_line(change) == _compact(change_to_dict(change))


def test_an_unchanged_line() -> None:
    body = {"coverage_end": "2027-12-31", "contribution_classes": {"ft": {"EE": {"a": 1}}}}
    change = PlanYearChange(
        action="unchanged",
        key=PlanYearKey("empr_1", "bprd_mec", date(2027, 1, 1)),
        product_code="MEC",
        employer_name="Acmé",
        live_id="plyr_1",
        live_status="draft",
        before=body,
        after=body,
    )
    assert _change_line(change) == _compact(change_to_dict(change))
    assert '"employer_name": "Acmé"' in _change_line(change)
