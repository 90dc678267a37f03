"""Variables passed on the command line: ``--var NAME=VALUE`` and ``--var-file FILE``.

They have the highest precedence of all variables. ``--var`` values that look
like whole numbers become ints and decimals become floats; anything else is
text. ``--var-file`` is a YAML mapping of names to values; several files are
applied in order, then every ``--var`` on top.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from vitable_config.config.models import VARIABLE_PATTERN
from vitable_config.config.yaml_loader import key_location, load_yaml_file
from vitable_config.errors import Problem, SourceLocation, UserError

_NAME = re.compile(VARIABLE_PATTERN)
_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?\d+\.\d+$")


def parse_scalar(text: str) -> Any:
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def collect_variables(var_files: tuple[str, ...], assignments: tuple[str, ...]) -> dict[str, Any]:
    """Merge ``--var-file`` files then ``--var`` assignments; raise :class:`UserError`."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for file in var_files:
        try:
            data = load_yaml_file(Path(file))
        except UserError as exc:
            problems.extend(exc.problems)
            continue
        if not isinstance(data, dict):
            problems.append(
                Problem(
                    "a --var-file must be a YAML mapping of variable names to values",
                    SourceLocation(file, 1),
                )
            )
            continue
        for name, value in data.items():
            if not isinstance(name, str) or not _NAME.match(name):
                problems.append(
                    Problem(
                        f"{name!r} is not a valid variable name",
                        key_location(data, name),
                        hint="use letters, digits and _ (not starting with a digit)",
                    )
                )
                continue
            out[name] = value
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        name = name.strip()
        if not sep or not _NAME.match(name):
            problems.append(
                Problem(
                    f"--var {assignment!r} is not NAME=VALUE",
                    hint="e.g. --var ee_employer_cents=38000",
                )
            )
            continue
        out[name] = parse_scalar(value)
    if problems:
        raise UserError.from_problems(problems)
    return out
