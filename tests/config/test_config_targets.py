"""Rollout targets: CSV, inline list, per-employer files; collisions between rollouts."""

from __future__ import annotations

from pathlib import Path

from .config_helpers import BASE_TEMPLATE, cents, errors, load, one, write


def rollout(targets: str, name: str = "wave-1", template: str = "standard-2027") -> str:
    return f"""
  - name: {name}
    template: {template}
    variables: {{ee_employer_cents: 100}}
    employers: {targets}
"""


def config(tmp_path: Path, *rollouts: str, extra: str = "") -> Path:
    return write(tmp_path, "c.yaml", BASE_TEMPLATE + "rollouts:" + "".join(rollouts) + extra)


def test_csv_columns_become_variables(tmp_path: Path) -> None:
    write(
        tmp_path,
        "emps.csv",
        "employer_id,ee_employer_cents,label\nempr_r001,38000,a\n\nempr_r002,2.5e3,b\n",
    )
    write(tmp_path, "emps2.csv", "employer_id,ee_employer_cents\nempr_r003,12.50\n")
    path = config(tmp_path, rollout("{csv: emps.csv}"), rollout("{csv: emps2.csv}", "w2"))
    # "2.5e3" is text, so arithmetic on it fails at the row's value; 12.50 is a decimal
    # (a number for arithmetic), never an amount by itself: refused as written
    text = errors(path)
    assert "empr_r002 via rollout wave-1" in text
    assert "empr_r003 via rollout w2" in text and "got '12.50'" in text
    assert 'write "$12.50" (dollars) or 1250 (cents)' in text
    write(tmp_path, "emps.csv", "employer_id,ee_employer_cents\nempr_r001,38000\nempr_r002,2\n")
    write(tmp_path, "emps2.csv", "employer_id,ee_employer_cents\nempr_r003,7\n")
    state = load(path)
    assert cents(one(state, "empr_r001"), "full_time", "EF") == (45000, 95000)
    assert cents(one(state, "empr_r002"), "full_time", "EE") == (12000, 2)
    py = one(state, "empr_r003")
    assert py.location is not None and str(py.location) == f"{tmp_path / 'emps2.csv'}:2:1"
    assert str(tmp_path / "emps.csv") in state.files


def test_csv_errors_point_at_rows(tmp_path: Path) -> None:
    csv_path = write(
        tmp_path,
        "emps.csv",
        "employer_id,ee_employer_cents\nempr_r001,1\nr002,2\nempr_r003,3,4\nempr_r001,5\n",
    )
    text = errors(config(tmp_path, rollout("{csv: emps.csv}")))
    assert f"{csv_path}:3:1: error: expected an employer id like empr_acme, got 'r002'" in text
    assert f"{csv_path}:4:1: error: row has 3 cells but the header has 2" in text
    assert (
        f"{csv_path}:5:1: error: employer empr_r001 is listed twice in rollout 'wave-1' "
        f"(also at {csv_path}:2:1)" in text
    )


def test_csv_header_required(tmp_path: Path) -> None:
    csv_path = write(tmp_path, "emps.csv", "empr_r001,1\n")
    text = errors(config(tmp_path, rollout("{csv: emps.csv}")))
    assert f"{csv_path}:1:1: error: CSV has no employer_id column" in text
    csv_path = write(tmp_path, "emps.csv", "employer_id,ee cents\n")
    text = errors(config(tmp_path, rollout("{csv: emps.csv}")))
    assert f"{csv_path}:1:2: error: CSV column name 'ee cents' is not a valid variable name" in text


def test_csv_missing_file(tmp_path: Path) -> None:
    path = config(tmp_path, rollout("{csv: nope.csv}"))
    text = errors(path)
    assert f"{path}:16:22: error: CSV file not found: {tmp_path / 'nope.csv'}" in text


def test_inline_list_with_variables(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        rollout(
            "{list: [empr_r001, {employer_id: empr_r002, name: Two, "
            "variables: {ee_employer_cents: 7}}]}"
        ),
    )
    state = load(path)
    assert cents(one(state, "empr_r001"), "full_time", "EE") == (12000, 100)
    two = one(state, "empr_r002")
    assert cents(two, "full_time", "EE") == (12000, 7)
    assert two.employer_name == "Two"


def test_files_glob_targets_and_directory_skip(tmp_path: Path) -> None:
    write(tmp_path, "emp-r1.yaml", "employer_id: empr_r001\nname: One\n")
    write(tmp_path, "emp-r2.yaml", "employer_id: empr_r002\nvariables: {ee_employer_cents: 9}\n")
    config(tmp_path, rollout('{files: "emp-*.yaml"}'))
    state = load(tmp_path)  # the directory holds the target files too: they are skipped
    assert one(state, "empr_r001").employer_name == "One"
    assert cents(one(state, "empr_r002"), "full_time", "EE") == (12000, 9)
    assert str(tmp_path / "emp-r1.yaml") in state.files


def test_files_glob_errors(tmp_path: Path) -> None:
    bad = write(tmp_path, "emps/x.yaml", "employer_id: empr_r001\nvariabels: {}\n")
    path = config(
        tmp_path, rollout('{files: "emps/*.yaml"}'), rollout('{files: "none/*.yaml"}', "w2")
    )
    text = errors(path)
    assert f"{bad}:2:1: error: unknown key 'variabels'" in text
    assert "did you mean 'variables'?" in text
    assert "files pattern 'none/*.yaml' matched no *.yaml/*.yml files" in text


def test_two_rollouts_reaching_one_employer(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        rollout("{list: [empr_r001, empr_r002]}"),
        rollout("{list: [empr_r003, empr_r001]}", "wave-2"),
    )
    text = errors(path)
    assert (
        f"{path}:21:35: error: employer empr_r001 is reached by rollouts 'wave-1' and "
        "'wave-2' for the same product MEC and coverage start 2027-01-01 "
        f"(the other is at {path}:16:24)" in text
    )


def test_same_employer_in_two_rollouts_for_different_products(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        rollout("{list: [empr_r001]}"),
        rollout("{list: [empr_r001]}", "dental", "dental"),
        extra="""
  - name: next-year
    template: standard-2027
    variables: {ee_employer_cents: 1}
    coverage: {start: 2028-01-01, end: 2028-12-31}
    open_enrollment: {start: 2027-12-01, end: 2027-12-15}
    employers: {list: [empr_r001]}
""",
    ).read_text()
    path = write(
        tmp_path,
        "c.yaml",
        path.replace(
            "rollouts:",
            """  dental:
    benefit_product: VD
    coverage: {start: 2027-01-01, end: 2027-12-31}
    contribution_classes: {full_time: {EE: {employee: 1, employer: 2}}}
rollouts:""",
        ),
    )
    state = load(path)
    assert sorted((str(py.key), py.rollout) for py in state.plan_years) == [
        ("empr_r001/MEC/2027-01-01", "wave-1"),
        ("empr_r001/MEC/2028-01-01", "next-year"),
        ("empr_r001/VD/2027-01-01", "dental"),
    ]


def test_duplicate_rollout_name(tmp_path: Path) -> None:
    path = config(tmp_path, rollout("{list: [empr_r001]}"), rollout("{list: [empr_r002]}"))
    text = errors(path)
    assert f"{path}:18:5: error: rollout 'wave-1' is defined twice (also at {path}:13:5)" in text


def test_override_cannot_name_template(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        rollout("{list: [empr_r001]}"),
        extra="""
employers:
  empr_r001:
    plan_years:
      - template: standard-2027
""",
    )
    text = errors(path)
    assert f"{path}:21:19: error: this plan year overrides rollout 'wave-1'" in text
    assert "cannot name its own template" in text


def test_near_miss_override_explains_how_to_match(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        rollout("{list: [empr_r001]}"),
        extra="""
employers:
  empr_r001:
    plan_years:
      - benefit_product: bprd_mec
        coverage: {start: 2027-01-01}
        contribution_classes: {full_time: {EE: {employer: 1}}}
""",
    )
    text = errors(path)
    assert f"{path}:21:9: error: plan year has no coverage.end" in text
    assert (
        "hint: to override a rollout's plan year, use its benefit_product and coverage.start "
        "exactly; empr_r001 has: MEC 2027-01-01 (rollout wave-1)" in text
    )


def test_files_glob_matching_the_config_itself(tmp_path: Path) -> None:
    path = config(tmp_path, rollout('{files: "*.yaml"}'))
    text = errors(path)
    assert (
        f"{path}:1:1: error: rollout files pattern '*.yaml' matches this config file itself" in text
    )
