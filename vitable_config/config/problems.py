"""Collecting user-facing problems across thousands of plan years."""

from __future__ import annotations

from vitable_config.errors import Problem, SourceLocation, UserError


def position(problem: Problem) -> tuple[int, str, int, int]:
    """Sort key: by file, line and column; problems without a place last (stable)."""
    where = problem.location
    if where is None:
        return (1, "", 0, 0)
    return (0, where.file, where.line, where.column)


class ProblemList:
    """Collects problems; the same problem repeated for many employers is reported once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self._index: dict[tuple[str, SourceLocation | None, str | None], int] = {}
        self._repeats: dict[int, int] = {}

    def add(self, problem: Problem) -> None:
        key = (problem.message, problem.location, problem.hint)
        idx = self._index.get(key)
        if idx is None:
            self._index[key] = len(self.items)
            self.items.append(problem)
        else:
            self._repeats[idx] = self._repeats.get(idx, 0) + 1

    def extend(self, problems: list[Problem]) -> None:
        for p in problems:
            self.add(p)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        out: list[Problem] = []
        for idx, p in enumerate(self.items):
            more = self._repeats.get(idx, 0)
            if more and p.context:
                p = Problem(p.message, p.location, f"{p.context} (and {more} more)", p.hint)
            out.append(p)
        raise UserError.from_problems(sorted(out, key=position))
