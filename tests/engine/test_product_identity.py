"""The planner resolves product codes and ids to one identity before its duplicate and
overlap checks (a config that slips past validate's offline check still never
creates two overlapping plan years of one product)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.engine.engine_factories import desired_py, product
from vitable_config.desired import DesiredState
from vitable_config.engine.live import LiveState
from vitable_config.engine.planner import build_plan
from vitable_config.errors import UserError


def live_state() -> LiveState:
    mec = product("bprd_mec", "MEC")
    return LiveState(
        products_by_id={mec.id: mec},
        product_refs={"MEC": "bprd_mec", "bprd_mec": "bprd_mec"},
        employer_names={"empr_acme": "Acme"},
    )


@pytest.mark.parametrize(
    ("second_start", "said"), [(date(2027, 6, 1), "overlaps"), (date(2027, 1, 1), "declared twice")]
)
def test_code_and_id_of_one_product_are_one_identity(second_start: date, said: str) -> None:
    state = DesiredState(
        plan_years=[
            desired_py("empr_acme", "MEC", line=3),
            desired_py("empr_acme", "bprd_mec", coverage_start=second_start, line=9),
        ]
    )
    with pytest.raises(UserError) as raised:
        build_plan(state, live_state(), today=date(2026, 11, 1), base_url="http://x")
    text = raised.value.format()
    assert said in text
    assert "config.yaml:9:3" in text
