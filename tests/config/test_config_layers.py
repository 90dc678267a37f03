"""Layer precedence (defaults → template → rollout → employer) and provenance."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .config_helpers import BASE_TEMPLATE, cents, errors, load, one, write

EE_EMPLOYER = ("contribution_classes", "full_time", "EE", "employer_contribution_cents")
EE_EMPLOYEE = ("contribution_classes", "full_time", "EE", "employee_contribution_cents")


def rollout_config(tmp_path: Path, extra: str = "") -> Path:
    return write(
        tmp_path,
        "config.yaml",
        BASE_TEMPLATE
        + """
rollouts:
  - name: wave-1
    template: standard-2027
    variables: {ee_employer_cents: 38000}
    employers:
      list: [empr_r001, empr_r002]
"""
        + extra,
    )


def test_template_and_defaults_apply_with_provenance(tmp_path: Path) -> None:
    py = one(load(rollout_config(tmp_path)), "empr_r001")
    assert (py.coverage_start, py.coverage_end) == (date(2027, 1, 1), date(2027, 12, 31))
    assert (py.open_enrollment_start, py.open_enrollment_end) == (
        date(2026, 12, 1),
        date(2026, 12, 15),
    )
    assert cents(py, "full_time", "EE") == (12000, 38000)
    assert cents(py, "full_time", "EF") == (45000, 95000)
    assert py.template == "standard-2027" and py.rollout == "wave-1"
    src = py.provenance[("open_enrollment_start",)]
    assert src.kind == "defaults" and src.location is not None and src.location.line == 3
    src = py.provenance[EE_EMPLOYER]
    assert (src.kind, src.name) == ("template", "standard-2027")
    assert src.location is not None and src.location.line == 10
    assert py.location is not None and (py.location.line, py.location.column) == (
        18,
        14,
    )  # list item


def test_employer_override_wins_key_by_key_and_owns_provenance(tmp_path: Path) -> None:
    path = rollout_config(
        tmp_path,
        """
employers:
  empr_r001:
    name: Acme R1
    plan_years:
      - benefit_product: MEC
        coverage: {start: 2027-01-01}
        open_enrollment: {end: 2026-12-20}
        contribution_classes: {full_time: {EE: {employer: "$500.00"}}}
""",
    )
    state = load(path)
    py = one(state, "empr_r001")
    assert cents(py, "full_time", "EE") == (12000, 50000)  # employee share from template
    assert cents(py, "full_time", "EF") == (45000, 95000)
    assert py.open_enrollment_end == date(2026, 12, 20)
    assert py.open_enrollment_start == date(2026, 12, 1)
    src = py.provenance[EE_EMPLOYER]
    assert (src.kind, src.name) == ("employer", "empr_r001")
    assert src.location is not None and src.location.line == 27
    assert py.provenance[EE_EMPLOYEE].kind == "template"
    assert py.provenance[("open_enrollment_end",)].kind == "employer"
    # The key fields only identify the overridden plan year; the template still owns them.
    assert py.provenance[("coverage_start",)].kind == "template"
    assert py.employer_name == "Acme R1"
    other = one(state, "empr_r002")
    assert cents(other, "full_time", "EE") == (12000, 38000)
    assert other.provenance[EE_EMPLOYER].kind == "template"
    assert len(state.plan_years) == 2


def test_rollout_fields_override_template(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        BASE_TEMPLATE
        + """
rollouts:
  - name: wave-1
    template: standard-2027
    variables: {ee_employer_cents: 1}
    status: draft
    contribution_classes: {full_time: {EF: {employee: 100}}}
    employers: {list: [empr_r001]}
""",
    )
    py = one(load(path), "empr_r001")
    assert cents(py, "full_time", "EF") == (100, 2)
    assert py.status == "draft"
    assert py.provenance[("status",)].kind == "rollout"
    assert py.provenance[("status",)].name == "wave-1"
    assert (
        py.provenance[
            ("contribution_classes", "full_time", "EF", "employee_contribution_cents")
        ].kind
        == "rollout"
    )


def test_null_removes_a_class_from_lower_layers(tmp_path: Path) -> None:
    path = rollout_config(
        tmp_path,
        """
employers:
  empr_r002:
    plan_years:
      - benefit_product: MEC
        coverage: {start: 2027-01-01}
        contribution_classes: {full_time: {EF: null}, part_time: {EE: {employee: 1, employer: 2}}}
""",
    )
    py = one(load(path), "empr_r002")
    assert set(py.contribution_classes) == {("full_time", "EE"), ("part_time", "EE")}


def test_variable_precedence_global_rollout_target_employer_cli(tmp_path: Path) -> None:
    write(tmp_path, "targets.csv", "employer_id,share\nempr_r002,300\nempr_r003,\n")
    path = write(
        tmp_path,
        "c.yaml",
        """
version: 1
variables: {share: 100, base: 7}
defaults:
  open_enrollment: {start: 2026-12-01, end: 2026-12-15}
templates:
  t:
    benefit_product: MEC
    coverage: {start: 2027-01-01, end: 2027-12-31}
    contribution_classes: {full_time: {EE: {employee: "{{ base }}", employer: "{{ share }}"}}}
rollouts:
  - name: a
    template: t
    variables: {share: 200}
    employers: {csv: targets.csv}
  - name: b
    template: t
    employers: {list: [empr_r001, empr_r004]}
employers:
  empr_r004:
    variables: {share: 400}
""",
    )
    state = load(path)
    # global (100) < rollout (200) < CSV column (300) < employer variables (400)
    assert cents(one(state, "empr_r001"), "full_time", "EE") == (7, 100)
    assert cents(one(state, "empr_r003"), "full_time", "EE") == (7, 200)  # empty cell = unset
    assert cents(one(state, "empr_r002"), "full_time", "EE") == (7, 300)
    assert cents(one(state, "empr_r004"), "full_time", "EE") == (7, 400)
    # --var beats everything
    state = load(path, {"share": 999})
    for employer in ("empr_r001", "empr_r002", "empr_r003", "empr_r004"):
        assert cents(one(state, employer), "full_time", "EE") == (7, 999)


def test_builtin_employer_variables(tmp_path: Path) -> None:
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
    status: "{{ 'draft' if employer_id.endswith('1') else 'open_enrollment' }}"
    contribution_classes: {full_time: {EE: {employee: 1, employer: 2}}}
rollouts:
  - {name: a, template: t, employers: {list: [empr_r001, empr_r002]}}
""",
    )
    state = load(path)
    assert one(state, "empr_r001").status == "draft"
    assert one(state, "empr_r002").status == "open_enrollment"


def test_standalone_plan_year_and_employer_template(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        BASE_TEMPLATE
        + """
employers:
  empr_acme:
    variables: {ee_employer_cents: 10000}
    plan_years:
      - template: standard-2027
      - benefit_product: VD
        coverage: {start: 2027-01-01, end: 2027-12-31}
        contribution_classes: {part_time: {EE: {employee: 0, employer: "$1"}}}
""",
    )
    state = load(path)
    mec = one(state, "empr_acme", "MEC")
    assert cents(mec, "full_time", "EF") == (45000, 25000)
    assert mec.template == "standard-2027" and mec.rollout is None
    vd = one(state, "empr_acme", "VD")
    assert cents(vd, "part_time", "EE") == (0, 100)
    assert vd.provenance[("coverage_end",)].kind == "plan_year"
    assert vd.provenance[("open_enrollment_start",)].kind == "defaults"
    assert vd.template is None


def test_files_combined_and_duplicates_named(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", BASE_TEMPLATE)
    write(
        tmp_path,
        "b.yaml",
        """
rollouts:
  - name: wave-1
    template: standard-2027
    variables: {ee_employer_cents: 5}
    employers: {list: [empr_r001]}
""",
    )
    state = load(tmp_path)
    assert len(state.plan_years) == 1
    assert state.files == [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]
    write(
        tmp_path,
        "c.yaml",
        """
templates:
  standard-2027:
    benefit_product: VD
""",
    )
    text = errors(tmp_path)
    assert f"{tmp_path / 'c.yaml'}:2:3: error: template 'standard-2027' is defined twice" in text
    assert f"also at {tmp_path / 'a.yaml'}:5:3" in text
