"""The one exception type for user errors.

Anything the user can fix (bad YAML, an unknown employer, a stale plan, a refused
apply, an API error) is raised as :class:`UserError` or a subclass. Every entry
point maps it to exit code 1 in exactly one place (:mod:`vitable_config.cli.exits`)
and prints its message
with no traceback. Each error carries one or more :class:`Problem` entries so a
command can report *all* problems at once, each with file:line:column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Exit codes, defined once (mapped in vitable_config.cli.exits).
EXIT_OK = 0
EXIT_ERROR = 1  # a user error, a refused run, blocked changes under --detailed-exitcode
EXIT_CHANGES = 2  # --detailed-exitcode: changes pending
EXIT_BUG = 3  # an unexpected exception: a bug in vitable-config (crash log written)
EXIT_INTERRUPTED = 130  # SIGINT / Ctrl-C


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where a value came from: a file and a 1-based line and column."""

    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @classmethod
    def unpacked(cls, file: str, packed: int) -> SourceLocation:
        """The location of a mark packed as ``line << PACKED_LINE_SHIFT | column``
        (both 0-based): how a parsed value's place travels between processes."""
        return cls(file, (packed >> PACKED_LINE_SHIFT) + 1, (packed & _PACKED_COLUMN) + 1)


# Marks of files up to 4 MiB characters fit (config/yaml_loader.py pack_where).
PACKED_LINE_SHIFT = 22
_PACKED_COLUMN = (1 << PACKED_LINE_SHIFT) - 1


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the user's input, and how to fix it.

    ``context`` names the employer / template / rollout a value arose for when
    it came through a layer, e.g.
    ``"employer empr_123 via rollout wave1 (template standard-2027)"``.
    """

    message: str
    location: SourceLocation | None = None
    context: str | None = None
    hint: str | None = None

    def format(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}error: {self.message}"
        if self.context:
            text += f"\n  for {self.context}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UserError(Exception):
    """An error the user can fix. Rendered without a traceback, exit code 1.

    A plain exception (identity equality, no value comparison): ``message`` is the
    summary, ``problems`` every located problem found.
    """

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = list(problems)

    @classmethod
    def from_problems(cls, problems: Iterable[Problem], summary: str | None = None) -> UserError:
        items = list(problems)
        n = len(items)
        return cls(summary or f"{n} error{'s' if n != 1 else ''} found", items)

    def format(self) -> str:
        if not self.problems:
            return f"error: {self.message}"
        lines = [p.format() for p in self.problems]
        lines.append(self.message)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, {len(self.problems)} problem(s))"
