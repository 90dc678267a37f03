"""Finding and reading config files: YAML documents, rollout CSVs and per-employer files.

A directory argument loads every ``*.yaml``/``*.yml`` directly in it, sorted by
name (not recursive: subdirectories are for per-employer files reached by a
rollout's ``files:`` glob). Files that a rollout's ``files:`` glob matches are
never read as config documents.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from vitable_config.config.models import (
    EMPLOYER_ID_PATTERN,
    VARIABLE_PATTERN,
    ConfigDocument,
    EmployerFile,
)
from vitable_config.config.money import scalar_from_text
from vitable_config.config.names import case_duplicates, check_documents, suspicious_characters
from vitable_config.config.schema_errors import problems_from_validation
from vitable_config.config.yaml_loader import (
    MAX_CSV_BYTES,
    LocDict,
    LocList,
    parse_yaml,
    read_text,
    value_location,
)
from vitable_config.errors import Problem, SourceLocation, UserError

YAML_SUFFIXES = (".yaml", ".yml")
_EMPLOYER_ID = re.compile(EMPLOYER_ID_PATTERN)
_VARIABLE = re.compile(VARIABLE_PATTERN)


@dataclass(slots=True)
class Document:
    display: str  # the path as shown in messages
    path: Path  # resolved
    data: LocDict


@dataclass(slots=True)
class Target:
    """One employer reached by a rollout."""

    employer_id: str
    location: SourceLocation
    name: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    # Where each variable was written, for CSV cells (file:ROW:COL, COL the cell number).
    cells: dict[str, SourceLocation] = field(default_factory=dict)


def _display(path: Path) -> str:
    return str(path)


def _candidates(paths: list[str | Path], problems: list[Problem]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        try:
            is_dir = path.is_dir()
            exists = is_dir or path.exists() or path.is_symlink()
        except OSError as exc:
            problems.append(Problem(f"cannot read {path}: {exc.strerror or exc}"))
            continue
        if not exists:
            problems.append(
                Problem(f"no such file or directory: {path}", hint="check the path argument")
            )
        elif is_dir:
            try:
                entries = sorted(
                    p for p in path.iterdir() if p.suffix in YAML_SUFFIXES and p.name[0] != "."
                )
            except OSError as exc:
                problems.append(Problem(f"cannot list {path}: {exc.strerror or exc}"))
                continue
            if not entries:
                problems.append(
                    Problem(
                        f"no *.yaml or *.yml files in directory {path}",
                        hint="point at a config file or a directory containing them",
                    )
                )
            found.extend(entries)
        else:
            found.append(path)
    return found


def _resolve(path: Path) -> Path:
    try:
        return path.resolve(strict=False)
    except (OSError, RuntimeError):
        return path.absolute()


def _raw_files_globs(doc_path: Path, data: Any) -> list[str]:
    rollouts = data.get("rollouts") if isinstance(data, dict) else None
    globs: list[str] = []
    if isinstance(rollouts, list):
        for rollout in rollouts:
            employers = rollout.get("employers") if isinstance(rollout, dict) else None
            if isinstance(employers, dict) and isinstance(employers.get("files"), str):
                globs.append(employers["files"])
    return globs


def glob_files(base: Path, pattern: str) -> list[Path]:
    """Files matching ``pattern`` relative to ``base`` (``**`` does not follow
    symlinked directories, so symlink loops cannot hang it)."""
    if Path(pattern).is_absolute():
        raise ValueError("use a pattern relative to the config file, not an absolute path")
    return sorted(p for p in base.glob(pattern) if p.suffix in YAML_SUFFIXES and p.is_file())


def load_documents(
    paths: list[str | Path], problems: list[Problem]
) -> tuple[list[Document], set[Path]]:
    """Parse and schema-check the config documents; also return rollout file targets."""
    candidates = _candidates(paths, problems)
    parsed: list[tuple[Path, str, Path, Any]] = []
    seen: set[Path] = set()
    target_files: set[Path] = set()
    errors: dict[Path, list[Problem]] = {}
    for path in candidates:
        resolved = _resolve(path)
        if resolved in seen:
            continue
        seen.add(resolved)
        display = _display(path)
        try:
            data = parse_yaml(read_text(path, display), display)
        except UserError as exc:
            errors[resolved] = exc.problems or [Problem(exc.message)]
            continue
        parsed.append((path, display, resolved, data))
        for pattern in _raw_files_globs(path, data):
            # A bad pattern is reported when the rollout is built.
            with contextlib.suppress(ValueError, OSError, RuntimeError):
                matched = {_resolve(p) for p in glob_files(path.parent, pattern)}
                if resolved in matched:
                    problems.append(
                        Problem(
                            f"rollout files pattern {pattern!r} matches this config file itself",
                            SourceLocation(display, 1),
                            hint="keep per-employer files in a subdirectory, e.g. "
                            '"employers/*.yaml"',
                        )
                    )
                    matched.discard(resolved)
                target_files.update(matched)
    for resolved, errs in errors.items():
        if resolved not in target_files:
            problems.extend(errs)
    docs: list[Document] = []
    for _path, display, resolved, data in parsed:
        if resolved in target_files:
            continue
        if not isinstance(data, LocDict):
            problems.append(
                Problem(
                    "a config file must be a mapping with sections such as templates:, "
                    "rollouts:, employers:",
                    SourceLocation(display, 1),
                )
            )
            continue
        try:
            ConfigDocument.model_validate(data)
        except ValidationError as exc:
            problems.extend(
                problems_from_validation(exc, data, ConfigDocument, SourceLocation(display, 1))
            )
            continue
        docs.append(Document(display, resolved, data))
    problems.extend(check_documents(docs))
    return docs, target_files


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
