"""Variables passed on the command line: ``--var NAME=VALUE`` and ``--var-file FILE``.

They have the highest precedence of all variables. A ``--var`` value written as
a decimal whole number (``45000``, no leading zero) becomes an int; anything else
(``045000``, ``4.5``, ``0x10``) is text, exactly like a CSV cell or a YAML value
(:func:`vitable_config.config.money.scalar_from_text`). ``--var-file`` is a YAML
mapping of names to values; several files are applied in order, then every
``--var`` on top.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from vitable_config.config.models import VARIABLE_PATTERN, check_variable_name
from vitable_config.config.money import DecimalNumber, scalar_from_text
from vitable_config.config.names import suspicious_characters
from vitable_config.config.yaml_loader import key_location, load_yaml_file
from vitable_config.errors import Problem, SourceLocation, UserError

_NAME = re.compile(VARIABLE_PATTERN)


def parse_scalar(text: str) -> int | DecimalNumber | str:
    """A ``--var`` value: the same rule as a CSV cell and a YAML plain scalar."""
    return scalar_from_text(text)


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
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                problems.append(
                    Problem(
                        check_variable_name(name) or f"{name!r} is not a valid variable name",
                        key_location(data, name),
                        hint="use letters, digits and _ (not starting with a digit)",
                    )
                )
                continue
            out[name] = value
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        name = name.strip()
        if not sep or not _NAME.fullmatch(name):
            odd = suspicious_characters(name) if sep else []
            problems.append(
                Problem(
                    f"--var {assignment!r} is not NAME=VALUE"
                    + (f": the name contains {', '.join(odd)}" if odd else ""),
                    hint="e.g. --var ee_employer_cents=38000",
                )
            )
            continue
        out[name] = parse_scalar(value)
    if problems:
        raise UserError.from_problems(problems)
    return out
