"""Names that are probably the same name mistyped (``fulltime`` vs ``full_time``).

Pure functions, used by ``validate`` (a one-place typo of a widely used employment
name) and by the planner (a live class removed while a near-identical one is added).
"""

from __future__ import annotations

from collections.abc import Iterable


def distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein distance (optimal string alignment: insertions,
    deletions, substitutions, adjacent transpositions); ``limit + 1`` once it is
    known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


def _closeness(a: str, b: str) -> int | None:
    """0 when ``a`` and ``b`` differ only by case or ``_``; else their distance when
    it is small enough to be a typo (<= 2, or <= 1 when either name has at most 3
    characters); else None."""
    fa, fb = a.casefold(), b.casefold()
    if fa.replace("_", "") == fb.replace("_", ""):
        return 0
    limit = 1 if min(len(fa), len(fb)) <= 3 else 2
    d = distance(fa, fb, limit)
    return d if d <= limit else None


def near_misses(removed: Iterable[str], added: Iterable[str]) -> dict[str, str]:
    """For each added name, the removed name it was probably meant to be.

    ``{"fulltime": "full_time"}`` for ``removed=["full_time"], added=["fulltime"]``:
    names equal after ignoring case and ``_``, or within Damerau-Levenshtein distance
    2 (1 for names of 3 characters or fewer). The closest removed name wins; ties go
    to the alphabetically first. A name present in both is not a near miss of itself.
    """
    old = sorted(set(removed))
    new = set(added)
    out: dict[str, str] = {}
    for name in sorted(new - set(old)):
        best: tuple[int, str] | None = None
        for candidate in old:
            if candidate in new:
                continue
            score = _closeness(name, candidate)
            if score is not None and (best is None or (score, candidate) < best):
                best = (score, candidate)
        if best is not None:
            out[name] = best[1]
    return out
