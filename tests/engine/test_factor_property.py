"""The factoring export loads back to exactly the account it was made from.

Property: for any account (random shapes, per-employer deviations, products,
years, class sets, names), the files ``factor_export`` writes pass the real config
loader, and every plan year they describe equals the live one field by field (the
planner's normalised shape), so a ``plan`` shows no changes. The sandbox round trip
through the CLI is in ``tests/e2e/test_cli_export.py``.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitable_config.config import load_config
from vitable_config.desired import DesiredClass, DesiredPlanYear
from vitable_config.engine.factor import MAIN_FILE, description_size, factor_export
from vitable_config.engine.normalize import normalize_desired

TIERS = ["EE", "ES", "EC", "EF", "Unspecified"]
EMPLOYMENTS = ["full_time", "part_time", "seasonal", "contractor_1099"]
PRODUCTS = ["MEC", "VD", "VV", "MVP", "MEC_PLUS"]
NAME = re.compile(r"^[a-z][a-z0-9_-]*$")

cents = st.integers(min_value=0, max_value=250_000)


@st.composite
def shapes(draw: st.DrawFn) -> dict[tuple[str, str], tuple[int, int]]:
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(EMPLOYMENTS), st.sampled_from(TIERS)),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    return {k: (draw(cents), draw(cents)) for k in keys}


@st.composite
def accounts(draw: st.DrawFn) -> list[DesiredPlanYear]:
    """Employers × offerings; each offering a base shape, each employer's copy of it
    possibly deviating (an amount, a date, a class dropped or added)."""
    offerings = draw(
        st.lists(
            st.tuples(
                st.sampled_from(PRODUCTS),
                st.integers(min_value=2025, max_value=2029),
                st.sampled_from([1, 1, 1, 7]),  # coverage start month
                shapes(),
                st.booleans(),  # one amount varies with every employer (a CSV column)
            ),
            min_size=1,
            max_size=4,
            unique_by=lambda o: (o[0], o[1]),
        )
    )
    n_employers = draw(st.integers(min_value=1, max_value=12))
    names = draw(
        st.lists(
            st.one_of(
                st.none(), st.sampled_from(["Acme", "Acme", "Café Ünï, LLC", "vitable", "  "])
            ),
            min_size=n_employers,
            max_size=n_employers,
        )
    )
    out: list[DesiredPlanYear] = []
    for i in range(n_employers):
        for product, year, month, shape, varies in offerings:
            if not draw(st.booleans()) and len(out) > 0 and draw(st.booleans()):
                continue  # this employer does not offer this product
            classes = dict(shape)
            if varies:
                key = min(classes)
                classes[key] = (classes[key][0], draw(cents))
            start = date(year, month, 1)
            end = date(year, 12, 31)  # a July start is a half year: no overlaps
            oe_start, oe_end = start - timedelta(days=31), start - timedelta(days=17)
            deviation = draw(st.sampled_from(["none", "none", "amount", "date", "drop", "add"]))
            if deviation == "amount":
                key = draw(st.sampled_from(sorted(classes)))
                classes[key] = (classes[key][0], draw(cents))
            elif deviation == "date":
                oe_end = oe_end + timedelta(days=draw(st.integers(1, 10)))
                end = end - timedelta(days=draw(st.integers(0, 30)))
            elif deviation == "drop" and len(classes) > 1:
                classes.pop(draw(st.sampled_from(sorted(classes))))
            elif deviation == "add":
                key = (draw(st.sampled_from(EMPLOYMENTS)), draw(st.sampled_from(TIERS)))
                classes[key] = (draw(cents), draw(cents))
            out.append(
                DesiredPlanYear(
                    employer_id=f"empr_{i:03d}",
                    benefit_product=product,
                    coverage_start=start,
                    coverage_end=end,
                    open_enrollment_start=oe_start,
                    open_enrollment_end=oe_end,
                    contribution_classes={
                        k: DesiredClass(k[0], k[1], a, b) for k, (a, b) in classes.items()
                    },
                    employer_name=names[i],
                )
            )
    return out


def _round_trip(plan_years: list[DesiredPlanYear], directory: Path) -> dict[str, str]:
    files = factor_export(plan_years).files
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    state = load_config([directory])
    got = {py.key: normalize_desired(py) for py in state.plan_years}
    want = {py.key: normalize_desired(py) for py in plan_years}
    assert got == want
    return files


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(account=accounts())
def test_factored_export_loads_back_to_the_account(account, tmp_path_factory) -> None:
    files = _round_trip(account, tmp_path_factory.mktemp("export") / "out")
    for name, text in files.items():
        if name.endswith(".yaml"):
            assert text.startswith("# yaml-language-server: $schema=config.schema.json\n")
    main = files.get(MAIN_FILE, "")
    for name in re.findall(r"^  ([^ #][^:]*):$", main.split("rollouts:")[0], re.M):
        assert NAME.match(name), name  # template names
    for name in re.findall(r"name: (\S+)", main) + re.findall(r"\{\{ (\w+) \}\}", main):
        assert NAME.match(name), name  # rollout and variable names


def _uniform(n: int, *, vary: bool = False) -> list[DesiredPlanYear]:
    out = []
    for i in range(n):
        for product in ("MEC", "VD"):
            classes = {
                (emp, tier): DesiredClass(emp, tier, 4500 + 100 * j, 40000 + 1000 * j)
                for j, (emp, tier) in enumerate(
                    (e, t) for e in ("full_time", "part_time") for t in ("EE", "ES", "EC", "EF")
                )
            }
            if vary:  # every employer pays its own full_time EE share
                classes[("full_time", "EE")] = DesiredClass("full_time", "EE", 4500, 30000 + 7 * i)
            out.append(
                DesiredPlanYear(
                    f"empr_{i:04d}",
                    product,
                    date(2027, 1, 1),
                    date(2027, 12, 31),
                    date(2026, 12, 1),
                    date(2026, 12, 15),
                    classes,
                    employer_name=f"Employer {i}",
                )
            )
    return out


def test_uniform_account_is_two_templates_and_one_csv(tmp_path) -> None:
    files = _round_trip(_uniform(50), tmp_path / "out")
    assert sorted(files) == ["employers.csv", "vitable.yaml"]
    assert "mec-2027:" in files["vitable.yaml"] and "vd-2027:" in files["vitable.yaml"]
    rows = list(csv.reader(io.StringIO(files["employers.csv"])))
    assert rows[0] == ["employer_id", "employer_name"] and len(rows) == 51


def test_a_value_every_employer_sets_becomes_a_csv_column(tmp_path) -> None:
    files = _round_trip(_uniform(30, vary=True), tmp_path / "out")
    assert sorted(files) == ["employers.csv", "vitable.yaml"]  # no overrides
    header = next(csv.reader(io.StringIO(files["employers.csv"])))
    assert "mec_2027_full_time_ee_employer" in header
    assert '"{{ mec_2027_full_time_ee_employer }}"' in files["vitable.yaml"]


def test_a_rare_deviation_is_an_override_in_a_file_named_by_the_employer(tmp_path) -> None:
    account = _uniform(40)
    odd = account[6]  # empr_0003 MEC
    odd.contribution_classes[("full_time", "EE")] = DesiredClass("full_time", "EE", 4500, 55500)
    del odd.contribution_classes[("part_time", "EF")]
    files = _round_trip(account, tmp_path / "out")
    assert sorted(files) == ["employer-3.yaml", "employers.csv", "vitable.yaml"]
    text = files["employer-3.yaml"]
    assert "empr_0003:" in text and "name: Employer 3" in text
    assert 'EE: {employer: "$555.00"}' in text and "EF: null" in text


def test_factoring_is_smaller_than_flat(tmp_path) -> None:
    from vitable_config.config import dump_plan_years

    account = _uniform(100)
    flat = {f"{py.employer_id}.yaml": dump_plan_years([py]) for py in account}
    assert description_size(factor_export(account).files) * 10 < description_size(flat)


def test_a_shape_only_one_employer_has_is_an_explicit_plan_year(tmp_path) -> None:
    account = _uniform(5)
    account.append(
        DesiredPlanYear(
            "empr_0002",
            "VV",
            date(2028, 1, 1),
            date(2028, 12, 31),
            date(2027, 12, 1),
            date(2027, 12, 15),
            {("full_time", "EE"): DesiredClass("full_time", "EE", 100, 200)},
            employer_name="Employer 2",
        )
    )
    result = factor_export(account)
    assert (result.templates, result.explicit, result.overrides) == (2, 1, 0)
    files = _round_trip(account, tmp_path / "out")
    assert "benefit_product: VV" in files["employer-2.yaml"]
