"""Finding and reading config files: YAML documents, rollout CSVs and per-employer files.

A directory argument loads every ``*.yaml``/``*.yml`` directly in it, sorted by
name (not recursive: subdirectories are for per-employer files reached by a
rollout's ``files:`` glob). Files that a rollout's ``files:`` glob matches are
never read as config documents.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from vitable_config.config.models import (
    EMPLOYER_ID_PATTERN,
    VARIABLE_PATTERN,
    ConfigDocument,
)
from vitable_config.config.names import check_documents
from vitable_config.config.parallel import parse_files
from vitable_config.config.schema_errors import problems_from_validation
from vitable_config.config.yaml_loader import LocDict
from vitable_config.errors import Problem, SourceLocation

YAML_SUFFIXES = (".yaml", ".yml")
_EMPLOYER_ID = re.compile(EMPLOYER_ID_PATTERN)
_VARIABLE = re.compile(VARIABLE_PATTERN)


@dataclass(slots=True)
class Document:
    display: str  # the path as shown in messages
    path: Path  # resolved
    data: LocDict


def _display(path: Path) -> str:
    return str(path)


def _candidates(paths: list[str | Path], problems: list[Problem]) -> list[tuple[Path, Path | None]]:
    """The files to read, each with its resolved path when that is known already (a
    file listed from a directory that is not a symlink: the directory resolved once,
    joined with the name; resolving each file would look up every component again)."""
    found: list[tuple[Path, Path | None]] = []
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
                with os.scandir(path) as listing:
                    linked = {
                        e.name: e.is_symlink()
                        for e in listing
                        if e.name[0] != "." and os.path.splitext(e.name)[1] in YAML_SUFFIXES
                    }
            except OSError as exc:
                problems.append(Problem(f"cannot list {path}: {exc.strerror or exc}"))
                continue
            # Sorted as the paths sort (by name within one directory; normcase is what
            # pathlib compares on Windows), without comparing thousands of Path objects.
            names = sorted(linked, key=os.path.normcase)
            entries = [path / name for name in names]
            resolved_dir = _resolve(path)
            if not entries:
                problems.append(
                    Problem(
                        f"no *.yaml or *.yml files in directory {path}",
                        hint="point at a config file or a directory containing them",
                    )
                )
            # A directory given as its resolved path (absolute, no symlinks): its entries
            # are their own resolved paths, not made again.
            same = resolved_dir == path
            found.extend(
                (p, None if linked[name] else p if same else resolved_dir / name)
                for p, name in zip(entries, names, strict=True)
            )
        else:
            found.append((path, None))
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


def check_document(data: LocDict, display: str) -> list[Problem]:
    """The schema problems of one config document (none when it is valid)."""
    try:
        ConfigDocument.model_validate(data)
    except ValidationError as exc:
        return problems_from_validation(exc, data, ConfigDocument, SourceLocation(display, 1))
    return []


def load_documents(
    paths: list[str | Path], problems: list[Problem]
) -> tuple[list[Document], set[Path]]:
    """Parse and schema-check the config documents; also return rollout file targets."""
    candidates = _candidates(paths, problems)
    files: list[tuple[Path, str, Path]] = []
    seen: set[Path] = set()
    for path, known in candidates:
        resolved = known or _resolve(path)
        if resolved in seen:
            continue
        seen.add(resolved)
        files.append((path, _display(path), resolved))
    results = parse_files([(path, display) for path, display, _ in files], check_document)
    parsed: list[tuple[str, Path, Any, list[Problem] | None]] = []
    target_files: set[Path] = set()
    errors: dict[Path, list[Problem]] = {}
    for (path, display, resolved), result in zip(files, results, strict=True):
        if result.problems is not None:
            errors[resolved] = result.problems
            continue
        data = result.data
        parsed.append((display, resolved, data, result.checked))
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
    for display, resolved, data, checked in parsed:
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
        found = check_document(data, display) if checked is None else checked
        if found:
            problems.extend(found)
            continue
        docs.append(Document(display, resolved, data))
    problems.extend(check_documents(docs))
    return docs, target_files
