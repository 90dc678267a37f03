"""validate reports each root cause once, CSV cells at file.csv:ROW:COL, all sorted by
file and position (issue 14)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vitable_config.cli.main import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def rollout(tmp_path: Path) -> Path:
    target = tmp_path / "rollout"
    shutil.copytree(REPO / "examples" / "rollout", target)
    return target


def validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", str(path)])
    return code, capsys.readouterr().err


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_unknown_template_is_reported_once_and_hides_no_csv_error(
    rollout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, csv = rollout / "vitable.yaml", rollout / "employers.csv"
    template = next(
        line.split(":")[1].strip()
        for line in cfg.read_text().splitlines()
        if line.strip().startswith("template:")
    )
    edit(cfg, f"template: {template}", "template: no-such-template")
    edit(csv, "empr_r002", "empr r002")
    code, err = validate(rollout, capsys)
    assert code == 1
    assert "uses unknown template 'no-such-template'" in err
    assert f"{csv}:3:1: error: expected an employer id" in err  # the CSV is still read
    # Nothing that merely follows from the unknown template (the overrides of its
    # employers lack the template's fields) is reported again.
    assert "has no coverage.end" not in err
    assert "has no employee contribution" not in err
    assert "2 errors found" in err


def test_a_bad_csv_cell_is_reported_at_the_cell(
    rollout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = rollout / "employers.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines, start=1) if line.startswith("empr_r004,"))
    header = lines[0].split(",")
    col = header.index("ee_employer_cents") + 1
    cells = lines[row - 1].split(",")
    cells[col - 1] = "35000.5"
    lines[row - 1] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, err = validate(rollout, capsys)
    assert code == 1
    assert f"{csv}:{row}:{col}: error: ee_employer_cents: " in err
    assert "'35000.5'" in err and "fix the cell in the CSV file" in err


def test_problems_are_sorted_by_file_and_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = (
        "version: 1\nemployers:\n  empr_a:\n    plan_years:\n"
        "      - benefit_product: X\n        coverage: {start: 2032-01-01}\n"
    )
    (tmp_path / "b.yaml").write_text(body, encoding="utf-8")
    (tmp_path / "a.yaml").write_text(body.replace("empr_a", "empr_b"), encoding="utf-8")
    code, err = validate(tmp_path, capsys)
    assert code == 1
    places = [line.split(": error:")[0] for line in err.splitlines() if ": error:" in line]
    assert len(places) >= 2

    def key(place: str) -> tuple[str, int, int]:
        file, line, col = place.rsplit(":", 2)
        return (file, int(line), int(col))

    assert places == sorted(places, key=key)
    assert places[0].startswith(str(tmp_path / "a.yaml"))
