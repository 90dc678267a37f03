"""The fingerprint of a live plan year and the JSON plan stay byte-identical to the
original formula (saved plans of older versions carry these fingerprints).

* A Hypothesis property compares :func:`fingerprint` with the original formula,
  kept here, over generated plan years: any unicode (lone surrogates and DEL
  included), None fields, extra fields at every level, huge integers, dates of
  every year, timestamps with any offset, and objects changed after validation.
* A golden test pins the JSON plan, its digest and every fingerprint of a small
  estate (in sync, changed, created; extras and unicode) to what the original code
  produced (the figures were generated with commit adfa9e3).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitable_config.api.models import BenefitProduct, CarrierPlan, ContributionClass, PlanYear
from vitable_config.desired import DesiredClass, DesiredPlanYear, DesiredState
from vitable_config.domain.vocabulary import COVERAGE_TIERS, PLAN_YEAR_STATUSES
from vitable_config.engine.live import LiveState, _canonical_json, fingerprint
from vitable_config.engine.planner import build_plan
from vitable_config.engine.render import render_json


def original_fingerprint(plan_year: PlanYear) -> str:
    """The formula of every version before the fast path (do not change)."""
    payload = json.dumps(
        plan_year.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# --- generated plan years -------------------------------------------------------

texts = st.text(max_size=12) | st.sampled_from(["", "a\x7fb", "\ud800", 'q"\\/\n\t\x00', "é€😀"])
ints = st.integers(min_value=-(2**70), max_value=2**70) | st.integers(0, 10**6)
json_values = st.recursive(
    st.none() | st.booleans() | ints | st.floats() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
extras = st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=2)
offsets = st.integers(min_value=-86_399_999_999, max_value=86_399_999_999).map(
    lambda us: timezone(timedelta(microseconds=us))
)
datetimes = st.datetimes(timezones=st.none() | st.just(UTC) | offsets)


def _maybe_extra(draw: st.DrawFn, data: dict[str, Any], unusual: bool = True) -> dict[str, Any]:
    if unusual and draw(st.integers(0, 5)) == 0:
        data.update({k: v for k, v in draw(extras).items() if k not in data})
    return data


@st.composite
def contribution_classes(draw: st.DrawFn, unusual: bool = True) -> dict[str, Any]:
    return _maybe_extra(
        draw,
        {
            "id": draw(texts),
            "employment": draw(texts),
            "family_status": draw(st.sampled_from(COVERAGE_TIERS)),
            "employee_contribution_cents": draw(ints),
            "employer_contribution_cents": draw(ints),
        },
        unusual,
    )


@st.composite
def carrier_plans(draw: st.DrawFn, unusual: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": draw(texts),
        "carrier_plan_id": draw(texts),
        "monthly_premium_cents": draw(ints),
        "name": draw(texts),
    }
    for name in ("deductible_cents", "out_of_pocket_max_cents"):
        if draw(st.booleans()):
            data[name] = draw(st.none() | ints)
    if draw(st.booleans()):
        data["tier"] = draw(st.none() | st.sampled_from(["Bronze", "Silver", "Gold", "Platinum"]))
    return _maybe_extra(draw, data, unusual)


@st.composite
def plan_years(draw: st.DrawFn, unusual: bool = True) -> PlanYear:
    def day() -> Any:
        value = draw(st.dates())
        return value if draw(st.booleans()) else value.isoformat()

    def stamp() -> Any:
        value = draw(datetimes)
        return value if draw(st.booleans()) else value.isoformat()

    data: dict[str, Any] = {
        "id": draw(texts),
        "benefit_product_id": draw(texts),
        "employer_id": draw(texts),
        "coverage_start": day(),
        "coverage_end": day(),
        "open_enrollment_start_date": day(),
        "open_enrollment_end_date": day(),
        "status": draw(st.sampled_from(PLAN_YEAR_STATUSES)),
        "created_at": stamp(),
        "updated_at": stamp(),
        "contribution_classes": draw(st.lists(contribution_classes(unusual), max_size=4)),
    }
    if draw(st.booleans()):
        data["plans"] = draw(st.lists(carrier_plans(unusual), max_size=2))
    py = PlanYear.model_validate(_maybe_extra(draw, data, unusual))
    if not unusual:
        return py
    # Objects changed after validation (no validation on assignment): any value.
    targets: list[Any] = [py, *py.contribution_classes, *py.plans]
    for _ in range(draw(st.integers(0, 2))):
        target = draw(st.sampled_from(targets))
        name = draw(st.sampled_from([*type(target).model_fields, "unknown_extra"]))
        value = draw(
            json_values
            | st.dates()
            | datetimes
            | st.just(CarrierPlan(id="x", carrier_plan_id="y", monthly_premium_cents=1, name="z"))
            | st.just(
                ContributionClass.model_construct(
                    id="c",
                    employment="e",
                    family_status="EE",
                    employee_contribution_cents=True,
                    employer_contribution_cents=2,
                )
            )
        )
        setattr(target, name, value)
    return py


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_years())
def test_fingerprint_equals_the_original_formula(plan_year: PlanYear) -> None:
    with warnings.catch_warnings():  # pydantic warns about off-type values (both sides)
        warnings.simplefilter("ignore")
        _compare(plan_year)


def _compare(plan_year: PlanYear) -> None:
    try:
        expected = original_fingerprint(plan_year)
    except Exception as exc:  # the original fails: the new one fails the same way
        try:
            fingerprint(plan_year)
        except Exception as new:
            assert type(new) is type(exc)
        else:  # pragma: no cover - a difference
            raise AssertionError("the original formula raised, the new one did not") from exc
        return
    assert fingerprint(plan_year) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_years(unusual=False))
def test_plan_years_as_read_take_the_fast_path_to_the_same_text(plan_year: PlanYear) -> None:
    expected = json.dumps(
        plan_year.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), default=str
    )
    assert _canonical_json(plan_year) == expected


def test_fingerprint_of_a_subclass_and_a_constructed_model() -> None:
    class Mine(PlanYear):
        note: str = "mine"

    base = _live_item(0, "bprd_mec", 0)
    mine = Mine.model_validate(base.model_dump())
    assert fingerprint(mine) == original_fingerprint(mine)
    partial = PlanYear.model_construct(id="plyr_x", status="draft")
    assert fingerprint(partial) == original_fingerprint(partial)


# --- golden plan ------------------------------------------------------------------

STAMP = datetime(2026, 6, 1, tzinfo=UTC)
TIERS = ("EE", "ES", "EC", "EF")
PRODUCTS = (("bprd_mec", "MEC", "Medical"), ("bprd_dental", "VD", "Dental"))


def _amounts(i: int, t: int) -> tuple[int, int]:
    return 1000 * (t + 1) + i, 3000 * (t + 1)


def _live_item(i: int, pid: str, p: int) -> PlanYear:
    extra: dict[str, Any] = {"note": f"ñ {i} 😀", "score": 1.5} if i % 3 == 0 else {}
    return PlanYear.model_validate(
        {
            "id": f"plyr_{i:04d}_{p}",
            "benefit_product_id": pid,
            "employer_id": f"empr_{i:04d}",
            "coverage_start": "2027-01-01",
            "coverage_end": "2027-12-31",
            "open_enrollment_start_date": "2026-12-01",
            "open_enrollment_end_date": "2026-12-15",
            "status": "draft",
            "created_at": f"2026-06-01T0{i % 10}:00:00.{i:06d}+0{i % 3}:30",
            "updated_at": "2026-06-02T00:00:00Z",
            "contribution_classes": [
                {
                    "id": f"ccls_{i}_{p}_{t}",
                    "employment": "full_time" if t % 2 else "temps à plein",
                    "family_status": tier,
                    "employee_contribution_cents": _amounts(i, t)[0] + (7 if i % 5 == 1 else 0),
                    "employer_contribution_cents": _amounts(i, t)[1],
                }
                for t, tier in enumerate(TIERS)
            ],
            "plans": [
                {
                    "id": f"plan_{i}",
                    "carrier_plan_id": "cp\u00e9",
                    "monthly_premium_cents": 5000,
                    "name": "Gold \x7f plan",
                    "tier": "Gold",
                }
            ]
            if i % 2
            else [],
            **extra,
        }
    )


def golden_plan_json() -> tuple[str, list[str]]:
    products = [
        BenefitProduct(
            id=pid, active=True, category=cat, created_at=STAMP, name=code,
            product_code=code, updated_at=STAMP,
        )
        for pid, code, cat in PRODUCTS
    ]  # fmt: skip
    desired: list[DesiredPlanYear] = []
    live: list[PlanYear] = []
    for i in range(24):
        classes = {
            ("full_time" if t % 2 else "temps à plein", tier): DesiredClass(
                "full_time" if t % 2 else "temps à plein", tier, *_amounts(i, t)
            )
            for t, tier in enumerate(TIERS)
        }
        for p, (pid, code, _cat) in enumerate(PRODUCTS):
            desired.append(
                DesiredPlanYear(
                    f"empr_{i:04d}", code, date(2027, 1, 1), date(2027, 12, 31),
                    date(2026, 12, 1), date(2026, 12, 15), dict(classes),
                )
            )  # fmt: skip
            if i % 7 != 6:
                live.append(_live_item(i, pid, p))
    state = DesiredState(desired)
    live_state = LiveState.from_objects(state, products, live, strategy="per-product")
    plan = build_plan(
        state, live_state, today=date(2026, 11, 21), base_url="https://x.test", created_at=STAMP
    )
    return render_json(plan), [fingerprint(py) for py in live]


# sha256 of the JSON plan and of the fingerprints joined by newlines, as the
# original code (commit adfa9e3) produced them.
GOLDEN_JSON_SHA256 = "bb608ffe2f389dd20ca00676d31ed4654c3a8bf2a736d85538de0d9f1b9924c1"
GOLDEN_FINGERPRINTS_SHA256 = "f17586669ed919a2574197e3fe837780eef7df548077333ab90379e17d2bf281"


def test_golden_plan_json_and_fingerprints() -> None:
    rendered, fingerprints = golden_plan_json()
    document = json.loads(rendered)
    assert document["summary"]["unchanged"] and document["summary"]["update"]
    assert document["summary"]["create"]
    assert hashlib.sha256(rendered.encode()).hexdigest() == GOLDEN_JSON_SHA256
    joined = "\n".join(fingerprints).encode()
    assert hashlib.sha256(joined).hexdigest() == GOLDEN_FINGERPRINTS_SHA256
