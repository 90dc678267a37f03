"""One product identity offline: `validate` refuses a product code and a product id
for the same employer's plan years (it cannot know the mapping without the API)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from vitable_config.cli.main import main
from vitable_config.config.identity_checks import check_product_identity

from .config_helpers import load, write

PLAN_YEAR = """
      - benefit_product: {product}
        coverage: {{start: {start}, end: {end}}}
        open_enrollment: {{start: 2026-12-01, end: 2026-12-15}}
        contribution_classes: {{full_time: {{EE: {{employee: 100, employer: 200}}}}}}
"""


def config(tmp_path: Path, *years: tuple[str, str, str], employer: str = "empr_r001") -> Path:
    body = "".join(PLAN_YEAR.format(product=p, start=s, end=e) for p, s, e in years)
    text = f"version: 1\nemployers:\n  {employer}:\n    plan_years:{body}"
    return write(tmp_path, "c.yaml", text)


def validate(path: Path) -> tuple[int, str]:
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = main(["validate", str(path)])
        return code, out.getvalue().decode() + err.getvalue().decode()


@pytest.mark.parametrize(
    "years",
    [
        # same start: plan would fail only at plan time today
        (("MEC", "2027-01-01", "2027-12-31"), ("bprd_mec", "2027-01-01", "2027-12-31")),
        # overlapping coverage: both would be created
        (("MEC", "2027-01-01", "2027-12-31"), ("bprd_mec", "2027-06-01", "2028-05-31")),
        # not overlapping, other product: still refused (validate cannot know the mapping)
        (("bprd_dental", "2027-01-01", "2027-12-31"), ("MEC", "2028-01-01", "2028-12-31")),
    ],
)
def test_validate_refuses_code_and_id_for_one_employer(
    tmp_path: Path, years: tuple[tuple[str, str, str], ...]
) -> None:
    path = config(tmp_path, *years)
    code, text = validate(path)
    assert code == 1, text
    assert "Traceback" not in text
    assert "employer empr_r001 names benefit products both by code" in text
    # both locations are named: the plan years are at lines 5 and 10
    assert f"{path}:5:26" in text and f"{path}:10:26" in text, text
    assert "hint: write every benefit_product of this employer the same way" in text


def test_codes_only_or_ids_only_pass_and_employers_are_separate(tmp_path: Path) -> None:
    path = config(tmp_path, ("MEC", "2027-01-01", "2027-12-31"), ("VD", "2027-01-01", "2027-12-31"))
    assert validate(path)[0] == 0
    path = config(
        tmp_path, ("bprd_mec", "2027-01-01", "2027-12-31"), ("bprd_vd", "2027-01-01", "2027-12-31")
    )
    assert validate(path)[0] == 0
    write(
        tmp_path,
        "d.yaml",
        "employers:\n  empr_r002:\n    plan_years:"
        + PLAN_YEAR.format(product="MEC", start="2027-01-01", end="2027-12-31"),
    )
    state = load([tmp_path / "c.yaml", tmp_path / "d.yaml"])
    assert check_product_identity(state.plan_years) == []


def test_code_from_a_template_and_id_in_an_override_location_is_the_template(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
version: 1
templates:
  t:
    benefit_product: MEC
    coverage: {start: 2027-01-01, end: 2027-12-31}
    open_enrollment: {start: 2026-12-01, end: 2026-12-15}
    contribution_classes: {full_time: {EE: {employee: 1, employer: 2}}}
rollouts:
  - name: w
    template: t
    employers: {list: [empr_r001]}
employers:
  empr_r001:
    plan_years:
      - benefit_product: bprd_mec
        template: t
        coverage: {start: 2028-01-01, end: 2028-12-31}
""",
    )
    code, text = validate(path)
    assert code == 1, text
    assert f"MEC 2027-01-01 at {path}:4:22" in text, text
    assert f"bprd_mec 2028-01-01 at {path}:15:26" in text, text
