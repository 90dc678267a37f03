"""Hostile or broken input fails fast with a clear message, never a hang or traceback."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from vitable_config.config import yaml_loader

from .config_helpers import BASE_TEMPLATE, errors, write


def test_python_tag_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, "c.yaml", "variables:\n  x: !!python/object/apply:os.system ['echo hi']\n"
    )
    text = errors(path)
    assert f"{path}:2:6: error: YAML tag '!!python/object/apply:os.system' is not allowed" in text


def test_unknown_tag_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "variables:\n  x: !env HOME\n")
    assert f"{path}:2:6: error: YAML tag '!env' is not allowed" in errors(path)


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "variables:\n  a: 1\n  b: 2\n  a: 3\n")
    text = errors(path)
    assert f"{path}:4:3: error: duplicate key 'a' (first defined at {path}:2:3)" in text


def test_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    from .config_helpers import load

    path = write(
        tmp_path,
        "c.yaml",
        """
x-common: &common
  coverage: {start: 2027-01-01, end: 2027-12-31}
""",
    )
    # Unknown top-level keys are refused even when used as anchors:
    assert "unknown key 'x-common'" in errors(path)
    path = write(
        tmp_path,
        "c.yaml",
        """
defaults: &d
  coverage: {start: 2027-01-01, end: 2027-12-31}
  open_enrollment: {start: 2026-12-01, end: 2026-12-15}
employers:
  empr_a:
    plan_years:
      - <<: *d
        benefit_product: MEC
        coverage: {start: 2027-01-01, end: 2027-06-30}
        contribution_classes: {full_time: {EE: {employee: 1, employer: 2}}}
""",
    )
    (py,) = load(path).plan_years
    assert py.coverage_end.month == 6


def test_alias_bomb_fails_fast(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    path = write(tmp_path, "c.yaml", "variables:\n" + "\n".join("  " + ln for ln in lines) + "\n")
    started = time.perf_counter()
    text = errors(path)
    assert time.perf_counter() - started < 5
    assert "document too large: more than 1,000,000 values once aliases are expanded" in text
    assert f"{path}:1:1" in text


def test_recursive_alias(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "variables:\n  a: &a [*a]\n")
    assert "recursive alias" in errors(path)


def test_huge_file_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with path.open("w") as fh:
        fh.write("variables:\n")
        fh.write("  # padding\n" * (yaml_loader.MAX_FILE_BYTES // 12 + 10))
    text = errors(path)
    assert f"{path}:1:1: error: file is too large" in text
    assert "the limit is 2,097,152" in text


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "file looks binary (contains NUL bytes)" in errors(path)


def test_bad_encoding_points_at_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"version: 1\nvariables:\n  name: caf" + b"\xe9\n")
    text = errors(path)
    assert f"{path}:3:1: error: file is not valid UTF-8 (byte 0xe9" in text
    assert "save the file as UTF-8" in text


def test_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("variables:\n  a: b\x07\n")
    assert f"{path}:2:7: error: invalid YAML" in errors(path)


def test_syntax_error_location(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "variables: {a: 1\n")
    assert f"{path}:2:1: error: invalid YAML" in errors(path)


def test_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "- a\n- b\n")
    assert "a config file must be a mapping" in errors(path)


def test_multiple_documents_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "version: 1\n---\nversion: 1\n")
    assert "expected a single document" in errors(path)


def test_symlink_loop_in_directory_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", BASE_TEMPLATE)
    os.symlink(tmp_path / "loop1.yaml", tmp_path / "loop2.yaml")
    os.symlink(tmp_path / "loop2.yaml", tmp_path / "loop1.yaml")
    text = errors(tmp_path)
    assert f"{tmp_path / 'loop1.yaml'}:1:1: error: cannot read file" in text
    assert f"{tmp_path / 'loop2.yaml'}:1:1: error: cannot read file" in text


def test_symlinked_directory_loop_in_files_glob(tmp_path: Path) -> None:
    from .config_helpers import load

    (tmp_path / "emps").mkdir()
    os.symlink(tmp_path / "emps", tmp_path / "emps" / "again")
    write(tmp_path, "emps/r1.yaml", "employer_id: empr_r001\nvariables: {ee_employer_cents: 5}\n")
    path = write(
        tmp_path,
        "c.yaml",
        BASE_TEMPLATE
        + """
rollouts:
  - name: w
    template: standard-2027
    employers: {files: "emps/**/*.yaml"}
""",
    )
    state = load(path)
    assert [py.employer_id for py in state.plan_years] == ["empr_r001"]


def test_missing_path(tmp_path: Path) -> None:
    text = errors(tmp_path / "nope.yaml")
    assert f"no such file or directory: {tmp_path / 'nope.yaml'}" in text


def test_empty_directory(tmp_path: Path) -> None:
    assert "no *.yaml or *.yml files in directory" in errors(tmp_path)


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_file_is_an_empty_config(tmp_path: Path, text: str) -> None:
    from .config_helpers import load

    path = tmp_path / "c.yaml"
    path.write_text(text)
    assert load(path).plan_years == []


def test_csv_has_its_own_larger_limit(tmp_path: Path) -> None:
    csv_path = tmp_path / "emps.csv"
    with csv_path.open("w") as fh:
        fh.write("employer_id,pad\n")
        row = "empr_r001," + "x" * 1000 + "\n"
        fh.write(row * (yaml_loader.MAX_CSV_BYTES // len(row) + 1))
    path = write(
        tmp_path,
        "c.yaml",
        BASE_TEMPLATE
        + """
rollouts:
  - {name: w, template: standard-2027, employers: {csv: emps.csv}}
""",
    )
    text = errors(path)
    assert f"{csv_path}:1:1: error: file is too large" in text
    assert "the limit is 10,485,760" in text
