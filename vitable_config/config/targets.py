"""Who a rollout reaches: its targets, from an inline list, a CSV (columns become
variables, each cell located at file:ROW:COL) or per-employer YAML files."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from vitable_config.config.models import EMPLOYER_ID_PATTERN, VARIABLE_PATTERN, EmployerFile
from vitable_config.config.money import scalar_from_text
from vitable_config.config.names import case_duplicates, suspicious_characters
from vitable_config.config.schema_errors import problems_from_validation
from vitable_config.config.sources import glob_files
from vitable_config.config.textfile import MAX_CSV_BYTES, read_text
from vitable_config.config.yaml_loader import LocDict, LocList, parse_yaml, value_location
from vitable_config.errors import Problem, SourceLocation, UserError

_EMPLOYER_ID = re.compile(EMPLOYER_ID_PATTERN)
_VARIABLE = re.compile(VARIABLE_PATTERN)


@dataclass(slots=True)
class Target:
    """One employer reached by a rollout."""

    employer_id: str
    location: SourceLocation
    name: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    # Where each variable was written, for CSV cells (file:ROW:COL, COL the cell number).
    cells: dict[str, SourceLocation] = field(default_factory=dict)


def read_csv_targets(path: Path, display: str, problems: list[Problem]) -> list[Target]:
    """Targets from a CSV: header row with ``employer_id``; other columns are variables."""
    try:
        text = read_text(path, display, MAX_CSV_BYTES)
    except UserError as exc:
        problems.extend(exc.problems)
        return []
    # strict: an unclosed quote is an error, not a cell running to the end of the file
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        problems.append(
            Problem("CSV file is empty; expected a header row", SourceLocation(display, 1))
        )
        return []
    except csv.Error as exc:
        problems.append(Problem(f"invalid CSV: {exc}", SourceLocation(display, 1)))
        return []
    columns = [h.strip() for h in header]
    ok = True
    if "employer_id" not in columns:
        problems.append(
            Problem(
                "CSV has no employer_id column",
                SourceLocation(display, 1),
                hint=f"the first row must be a header naming the columns, e.g. "
                f"employer_id,ee_employer_cents (found: {','.join(columns)})",
            )
        )
        return []
    for col, name in enumerate(columns, start=1):
        if not _VARIABLE.fullmatch(name):
            odd = suspicious_characters(name)
            problems.append(
                Problem(
                    f"CSV column name {name!r} is not a valid variable name"
                    + (f": it contains {', '.join(odd)}" if odd else ""),
                    SourceLocation(display, 1, col),
                    hint="use letters, digits and _ (not starting with a digit)",
                )
            )
            ok = False
        elif columns.index(name) != col - 1:
            problems.append(
                Problem(f"CSV column {name!r} appears twice", SourceLocation(display, 1, col))
            )
            ok = False
    case_problems = case_duplicates(
        ((name, SourceLocation(display, 1, col)) for col, name in enumerate(columns, start=1)),
        "CSV column",
    )
    if case_problems:
        problems.extend(case_problems)
        ok = False
    if not ok:
        return []
    id_col = columns.index("employer_id")
    targets: list[Target] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                problems.append(
                    Problem(
                        f"row has {len(row)} cells but the header has {len(columns)}",
                        SourceLocation(display, line),
                        hint="quote cells that contain commas",
                    )
                )
                continue
            employer_id = row[id_col].strip()
            if not _EMPLOYER_ID.fullmatch(employer_id):
                odd = suspicious_characters(employer_id)
                problems.append(
                    Problem(
                        f"expected an employer id like empr_acme, got {employer_id!r}"
                        + (f" (it contains {', '.join(odd)})" if odd else ""),
                        SourceLocation(display, line, id_col + 1),
                    )
                )
                continue
            used = [(i, cell) for i, cell in enumerate(row) if i != id_col and cell.strip() != ""]
            variables = {columns[i]: scalar_from_text(cell.strip()) for i, cell in used}
            cells = {columns[i]: SourceLocation(display, line, i + 1) for i, _cell in used}
            targets.append(
                Target(employer_id, SourceLocation(display, line), None, variables, cells)
            )
    except csv.Error as exc:
        problems.append(Problem(f"invalid CSV: {exc}", SourceLocation(display, reader.line_num)))
    return targets


def list_targets(items: LocList) -> list[Target]:
    targets: list[Target] = []
    for index, item in enumerate(items):
        loc = value_location(items, index) or SourceLocation("?", 1)
        if isinstance(item, str):
            targets.append(Target(item, loc))
        else:
            targets.append(
                Target(
                    item["employer_id"], loc, item.get("name"), dict(item.get("variables") or {})
                )
            )
    return targets


def file_targets(
    base: Path, pattern: str, where: SourceLocation | None, problems: list[Problem]
) -> tuple[list[Target], list[str]]:
    try:
        paths = glob_files(base, pattern)
    except (ValueError, OSError, RuntimeError) as exc:
        problems.append(Problem(f"invalid files pattern {pattern!r}: {exc}", where))
        return [], []
    if not paths:
        problems.append(
            Problem(
                f"files pattern {pattern!r} matched no *.yaml/*.yml files",
                where,
                hint=f"the pattern is relative to the config file's directory ({base})",
            )
        )
        return [], []
    targets: list[Target] = []
    shown: list[str] = []
    for path in paths:
        display = str(path)
        shown.append(display)
        try:
            data = parse_yaml(read_text(path, display), display)
            EmployerFile.model_validate(data)
        except UserError as exc:
            problems.extend(exc.problems)
            continue
        except ValidationError as exc:
            problems.extend(
                problems_from_validation(exc, data, EmployerFile, SourceLocation(display, 1))
            )
            continue
        loc = data.loc if isinstance(data, LocDict) and data.loc else SourceLocation(display, 1)
        targets.append(
            Target(data["employer_id"], loc, data.get("name"), dict(data.get("variables") or {}))
        )
    return targets, shown
