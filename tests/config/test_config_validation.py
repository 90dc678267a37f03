"""Schema and semantic validation: each rule reports file:line:col and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from .config_helpers import BASE_TEMPLATE, errors, write

PLAN = """
version: 1
employers:
  empr_acme:
    plan_years:
      - benefit_product: MEC
        coverage: {{start: {cs}, end: {ce}}}
        open_enrollment: {{start: {os}, end: {oe}}}
        contribution_classes:
          full_time:
            EE: {{employee: {ee}, employer: 100}}
"""


def plan(tmp_path: Path, **kw: object) -> Path:
    values = {
        "cs": "2027-01-01",
        "ce": "2027-12-31",
        "os": "2026-12-01",
        "oe": "2026-12-15",
        "ee": "0",
    }
    values.update({k: str(v) for k, v in kw.items()})
    return write(tmp_path, "c.yaml", PLAN.format(**values))


def test_valid_plan_passes(tmp_path: Path) -> None:
    from .config_helpers import load

    assert len(load(plan(tmp_path)).plan_years) == 1


@pytest.mark.parametrize("bad", ['"$450.005"', "4.5", "-1", "true", '"450"', '"$4,50"'])
def test_contribution_must_be_whole_cents(tmp_path: Path, bad: str) -> None:
    text = errors(plan(tmp_path, ee=bad))
    assert f"{tmp_path / 'c.yaml'}:10:28: error: expected a whole number of cents" in text
    assert 'e.g. 45000 or "$450.00"' in text


def test_unknown_key_suggests_closest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        PLAN.format(
            cs="2027-01-01", ce="2027-12-31", os="2026-12-01", oe="2026-12-15", ee=0
        ).replace("coverage:", "coverge:"),
    )
    text = errors(path)
    assert f"{path}:6:9: error: unknown key 'coverge'" in text
    assert "hint: did you mean 'coverage'?" in text


def test_unknown_top_level_key_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "version: 1\ntemplate: {}\n")
    text = errors(path)
    assert f"{path}:2:1: error: unknown key 'template'" in text
    assert "did you mean 'templates'?" in text


def test_unknown_family_status(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        PLAN.format(
            cs="2027-01-01", ce="2027-12-31", os="2026-12-01", oe="2026-12-15", ee=0
        ).replace("EE:", "EX:"),
    )
    text = errors(path)
    assert f"{path}:10:13: error: unknown family status 'EX'" in text
    assert "'Unspecified', 'EE', 'ES', 'EC' or 'EF'" in text


def test_bad_product_and_employer_id(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        PLAN.format(cs="2027-01-01", ce="2027-12-31", os="2026-12-01", oe="2026-12-15", ee=0)
        .replace("MEC", "MECC")
        .replace("empr_acme", "acme"),
    )
    text = errors(path)
    assert f"{path}:3:3: error: expected an employer id like empr_acme, got 'acme'" in text
    assert f"{path}:5:26: error: expected a benefit product id like bprd_mec" in text


@pytest.mark.parametrize(
    ("kw", "line_col", "message"),
    [
        (
            {"os": "2026-12-20", "oe": "2026-12-15"},
            "7:51",
            "open_enrollment.start (2026-12-20) must be on or before open_enrollment.end",
        ),
        (
            {"oe": "2027-01-02"},
            "6:27",
            "open_enrollment.end (2027-01-02) must be on or before coverage.start (2027-01-01)",
        ),
        (
            {"ce": "2027-01-01"},
            "6:44",
            "coverage.start (2027-01-01) must be before coverage.end (2027-01-01)",
        ),
    ],
)
def test_date_order(tmp_path: Path, kw: dict[str, str], line_col: str, message: str) -> None:
    text = errors(plan(tmp_path, **kw))
    assert f"{tmp_path / 'c.yaml'}:{line_col}: error: {message}" in text
    assert "for employer empr_acme" in text


def test_bad_date_literal(tmp_path: Path) -> None:
    text = errors(plan(tmp_path, ce='"2027-13-01"'))
    assert f"{tmp_path / 'c.yaml'}:6:44: error: expected a date written YYYY-MM-DD" in text


def test_at_least_one_class_and_both_amounts(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
version: 1
defaults:
  coverage: {start: 2027-01-01, end: 2027-12-31}
  open_enrollment: {start: 2026-12-01, end: 2026-12-15}
employers:
  empr_acme:
    plan_years:
      - benefit_product: MEC
      - benefit_product: VD
        contribution_classes: {full_time: {EE: {employee: 5}}}
""",
    )
    text = errors(path)
    assert f"{path}:8:9: error: plan year has no contribution classes" in text
    assert (
        f"{path}:10:59: error: contribution class full_time/EE has no employer contribution" in text
    )


def test_missing_required_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
employers:
  empr_acme:
    plan_years:
      - coverage: {start: 2027-01-01}
      - benefit_product: VD
        coverage: {start: 2027-01-01}
        contribution_classes: {full_time: {EE: {employee: 5, employer: 6}}}
""",
    )
    text = errors(path)
    assert f"{path}:4:9: error: plan year has no benefit_product" in text
    assert (
        f"{path}:5:9: error: plan year has no coverage.end, open_enrollment.start, "
        "open_enrollment.end" in text
    )


def test_one_plan_year_per_employer_product_start(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
defaults:
  coverage: {start: 2027-01-01, end: 2027-12-31}
  open_enrollment: {start: 2026-12-01, end: 2026-12-15}
  contribution_classes: {full_time: {EE: {employee: 5, employer: 6}}}
employers:
  empr_acme:
    plan_years:
      - benefit_product: MEC
      - benefit_product: MEC
""",
    )
    text = errors(path)
    assert f"{path}:9:9: error: two plan years for empr_acme/MEC/2027-01-01" in text
    assert f"the other is at {path}:8:9" in text


def test_overlapping_coverage(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
defaults:
  open_enrollment: {start: 2026-12-01, end: 2026-12-15}
  contribution_classes: {full_time: {EE: {employee: 5, employer: 6}}}
employers:
  empr_acme:
    plan_years:
      - benefit_product: MEC
        coverage: {start: 2027-01-01, end: 2027-12-31}
      - benefit_product: MEC
        coverage: {start: 2027-06-01, end: 2028-05-31}
      - benefit_product: MEC
        coverage: {start: 2028-06-01, end: 2029-05-31}
""",
    )
    text = errors(path)
    assert (
        f"{path}:9:9: error: coverage 2027-06-01..2028-05-31 overlaps 2027-01-01..2027-12-31"
        in text
    )
    assert text.count("overlaps") == 1


def test_all_problems_reported_not_just_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
employers:
  empr_acme:
    plan_years:
      - benefit_product: NOPE
        coverge: {}
        status: done
        contribution_classes: {full_time: {EE: {employee: 1.5, employer: -3}}}
""",
    )
    text = errors(path)
    for fragment in (":4:26:", ":5:9:", ":6:17:", ":7:59:", ":7:74:"):
        assert f"{path}{fragment} error:" in text
    assert "5 errors found" in text


def test_unknown_template_suggested(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        BASE_TEMPLATE
        + """
rollouts:
  - name: w
    template: standard-2072
    employers: {list: [empr_r001]}
""",
    )
    text = errors(path)
    assert f"{path}:15:15: error: rollout 'w' uses unknown template 'standard-2072'" in text
    assert "did you mean 'standard-2027'?" in text


def test_targets_need_exactly_one_form(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        BASE_TEMPLATE
        + """
rollouts:
  - name: w
    template: standard-2027
    employers: {list: [empr_r001], files: "x/*.yaml"}
""",
    )
    text = errors(path)
    assert f"{path}:16:16: error: give exactly one of `csv`, `list` or `files`" in text


def test_version_must_be_1(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "version: 2\n")
    assert f"{path}:1:10: error: expected 1, got 2" in errors(path)


def test_template_syntax_checked_even_when_unused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
templates:
  unused:
    benefit_product: "{{ product }"
    contribution_classes: {full_time: {EE: {employee: "{{ x | attr('y') }}"}}}
""",
    )
    text = errors(path)
    assert f"{path}:3:22: error: Jinja syntax error: unexpected '}}'" in text
    assert f"{path}:4:55: error: Jinja syntax error: No filter named 'attr'" in text


def test_yaml_boolean_key_must_be_quoted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
defaults:
  contribution_classes:
    true: {EE: {employee: 1, employer: 1}}
""",
    )
    # YAML 1.2-style: only true/false are booleans (`yes:` is the text 'yes')
    text = errors(path)
    assert f"{path}:3:5: error: expected a text key, got bool True" in text
    assert "hint: quote it" in text
