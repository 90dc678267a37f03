"""Unambiguous names: identifier rules (NFC, one pattern, code points of anything
invisible or confusable named at file:line), case-insensitive duplicates, and near
misses (`fulltime` vs `full_time`) as a pure function and as a `validate` warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from vitable_config.cli.main import main
from vitable_config.config.names import distance, near_misses

from .config_helpers import write

HEAD = """version: 1
templates:
  t:
    benefit_product: MEC
    coverage: {start: 2027-01-01, end: 2027-12-31}
    open_enrollment: {start: 2026-12-01, end: 2026-12-15}
    contribution_classes:
      full_time:
        EE: {employee: 100, employer: 200}
rollouts:
  - name: wave-1
    template: t
    employers: {list: [empr_r001, empr_r002, empr_r003]}
"""


def override(employment: str) -> str:
    key = json.dumps(employment)  # a quoted YAML key, escapes and all
    return (
        "employers:\n  empr_r001:\n    plan_years:\n      - benefit_product: MEC\n"
        "        coverage: {start: 2027-01-01}\n"
        f"        contribution_classes: {{{key}: {{EE: {{employee: 1, employer: 2}}}}}}\n"
    )


def validate(*args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = main(["validate", *args])
        return code, out.getvalue().decode(), err.getvalue().decode()


@pytest.mark.parametrize(
    ("employment", "code_point"),
    [
        (
            "full_t\u0456me",
            "U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I (looks like 'i')",
        ),
        ("full_time\u200b", "U+200B ZERO WIDTH SPACE (invisible)"),
        ("full_time ", "U+0020 SPACE"),
        ("full_time\n", "U+000A LINE FEED"),
        ("full_time\r", "U+000D CARRIAGE RETURN"),
        ("full_\u03c4ime", "U+03C4 GREEK SMALL LETTER TAU (looks like 't')"),
        ("Full_time", None),
        ("full-time", None),
        ("1st_shift", None),
    ],
)
def test_employment_names_must_match_the_pattern_naming_code_points(
    tmp_path: Path, employment: str, code_point: str | None
) -> None:
    path = write(tmp_path, "c.yaml", HEAD + override(employment))
    code, out, err = validate(str(path))
    assert code == 1, out + err
    assert f"{path}:19:" in err, err  # the override's contribution_classes line
    assert "employment name" in err
    if code_point:
        assert code_point in err, err
    else:
        assert "lower-case letters, digits and '_', starting with a letter" in err, err
    assert "Traceback" not in err


def test_nfc_composed_and_decomposed_are_one_name_and_both_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", HEAD + override("e\u0301mploi"))
    code, _, err = validate(str(path))
    assert code == 1
    assert "U+00E9 LATIN SMALL LETTER E WITH ACUTE (looks like 'e')" in err, err


def test_case_duplicate_template_and_rollout_names(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", HEAD)
    other = HEAD.replace("  t:\n", "  T:\n", 1).replace("wave-1", "Wave-1").replace("r00", "r01")
    path = write(tmp_path, "b.yaml", other.replace("version: 1\n", ""))
    code, _, err = validate(str(tmp_path))
    assert code == 1, err
    assert f"{path}:2:3: error: template 'T' differs from template 't'" in err, err
    assert f"{path}:10:11: error: rollout 'Wave-1' differs from rollout 'wave-1'" in err, err
    assert "only by case" in err


def test_case_duplicate_variables_and_csv_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "version: 1\nvariables:\n  ee_cents: 1\n  EE_cents: 2\n")
    code, _, err = validate(str(path))
    assert code == 1 and f"{path}:4:3: error: variable 'EE_cents' differs from variable" in err
    write(tmp_path / "csv", "e.csv", "employer_id,rate,Rate\nempr_r001,1,2\n")
    cfg = HEAD.replace("{list: [empr_r001, empr_r002, empr_r003]}", "{csv: e.csv}")
    write(tmp_path / "csv", "c.yaml", cfg)
    code, _, err = validate(str(tmp_path / "csv"))
    assert code == 1 and "e.csv:1:3: error: CSV column 'Rate' differs from CSV column" in err, err


def test_confusable_template_name_and_variable_name_are_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        HEAD.replace("  t:\n", "  st\u0430ndard:\n", 1).replace("template: t", "template: t")
        + "variables:\n  r\u0430te: 1\n",
    )
    code, _, err = validate(str(path))
    assert code == 1
    assert f"{path}:3:3: error: name 'st\u0430ndard' contains U+0430 CYRILLIC SMALL LETTER A" in err
    assert "variable name 'r\u0430te' contains U+0430" in err, err


def test_confusable_var_and_csv_employer_id(tmp_path: Path) -> None:
    code, _, err = validate(str(write(tmp_path, "c.yaml", HEAD)), "--var", "r\u0430te=1")
    assert code == 1 and "U+0430 CYRILLIC SMALL LETTER A" in err, err
    write(tmp_path / "csv", "e.csv", "employer_id\nempr_r0\u200b01\n")
    cfg = HEAD.replace("{list: [empr_r001, empr_r002, empr_r003]}", "{csv: e.csv}")
    write(tmp_path / "csv", "c.yaml", cfg)
    code, _, err = validate(str(tmp_path / "csv"))
    assert code == 1 and "e.csv:2:1: error:" in err and "U+200B ZERO WIDTH SPACE" in err, err


# --- near misses --------------------------------------------------------------------------


def test_near_misses_examples() -> None:
    assert near_misses(["full_time"], ["fulltime"]) == {"fulltime": "full_time"}
    assert near_misses(["full_time", "part_time"], ["full_tmie", "parttime", "seasonal"]) == {
        "full_tmie": "full_time",
        "parttime": "part_time",
    }
    assert near_misses(["full_time"], ["FULL_TIME"]) == {"FULL_TIME": "full_time"}
    assert near_misses(["full_time"], ["full_time"]) == {}
    assert near_misses(["full_time"], ["part_time"]) == {}  # distance 4
    assert near_misses(["pt"], ["ptx", "zz"]) == {"ptx": "pt"}  # short names: 1 edit at most
    assert near_misses(["ab"], ["cd"]) == {}


def test_damerau_distance() -> None:
    assert distance("full_time", "full_tiem") == 1  # a transposition is one edit
    assert distance("kitten", "sitting", limit=5) == 3
    assert distance("abc", "abc") == 0


@given(st.text("abcde_", max_size=8), st.text("abcde_", max_size=8))
def test_distance_is_symmetric_and_bounded(a: str, b: str) -> None:
    d = distance(a, b, limit=10)
    assert d == distance(b, a, limit=10)
    assert d <= max(len(a), len(b))
    assert (d == 0) == (a == b)


def test_validate_warns_about_a_typo_used_once_beside_a_widely_used_name(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", HEAD + override("fulltime"))
    code, out, err = validate(str(path))
    assert code == 0, err
    assert out.startswith("OK: 3 plan years")
    assert (
        f"{path}:19:60: warning: employment name 'fulltime' is used only here (1 plan year); "
        "did you mean 'full_time'? (used in 1 place, 3 plan years)" in err
    ), err
    # a name that is no near miss, or the widely used name itself: no warning
    path = write(tmp_path, "c.yaml", HEAD + override("seasonal"))
    code, _, err = validate(str(path))
    assert code == 0 and "warning" not in err, err


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("benefit_product: MEC", 'benefit_product: "bprd_mec\\n"'),
        ("empr_r001, empr_r002", '"empr_r001\\n", empr_r002'),
        ("name: wave-1", 'name: "wave-1\\n"'),
    ],
)
def test_a_trailing_newline_never_passes_a_pattern(tmp_path: Path, old: str, new: str) -> None:
    path = write(tmp_path, "c.yaml", HEAD.replace(old, new))
    code, _, err = validate(str(path))
    assert code == 1, err
    assert f"{path}:" in err and "Traceback" not in err


def test_validate_json_lists_the_near_miss_as_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", HEAD + override("fulltime"))
    code, out, _ = validate(str(path), "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    [warning] = report["problems"]
    assert warning["severity"] == "warning" and warning["line"] == 19
    assert "did you mean 'full_time'?" in warning["message"]
