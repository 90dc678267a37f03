"""Identifier rules for the names a config invents, and near-miss detection.

Employment names (``full_time``), template and rollout names and variable names
are keys the engine compares exactly, so two names that *look* the same must be
the same name, and names that differ must look different:

* every name is NFC-normalised and must match its one documented pattern
  (:data:`EMPLOYMENT_PATTERN` for employment names: ``^[a-z][a-z0-9_]*$``);
* a character outside the pattern that a reader could not see or could mistake
  for another — a Cyrillic ``і`` (U+0456), a zero-width space (U+200B), a
  trailing space, a newline or CR — is refused naming its code point;
* two names that differ only by case are an error (:func:`check_documents`).

:func:`near_misses` pairs names that were probably meant to be the same
(``fulltime`` / ``full_time``): the planner uses it beside a remove+add, and
:func:`employment_warnings` uses it within one config for ``validate``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from vitable_config.desired import DesiredPlanYear
from vitable_config.domain.similar import distance as distance
from vitable_config.domain.similar import near_misses as near_misses
from vitable_config.errors import Problem, SourceLocation

EMPLOYMENT_PATTERN = r"^[a-z][a-z0-9_]*$"
EMPLOYMENT_RULE = "lower-case letters, digits and '_', starting with a letter (e.g. full_time)"
MAX_NAME_LENGTH = 100
_EMPLOYMENT = re.compile(EMPLOYMENT_PATTERN)

# Letters from other scripts that render like an ASCII letter (a small, common subset
# of Unicode's confusables); anything else non-ASCII is named by its code point anyway.
_LOOKS_LIKE = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ɡ": "g", "ӏ": "l", "А": "A", "В": "B", "Е": "E", "К": "K",
    "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I",
    "Ј": "J", "Ѕ": "S", "α": "a", "ο": "o", "ι": "i", "κ": "k", "ν": "v", "τ": "t",
    "υ": "u", "ρ": "p", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I",
    "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-", "＿": "_", "ı": "i",
}  # fmt: skip


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    if not name:
        name = {"\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\t": "TAB"}.get(char, "")
    text = f"{code} {name}".rstrip()
    looks = _LOOKS_LIKE.get(char)
    if looks is None:
        folded = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        looks = folded if folded.isalnum() else None
    if looks is not None:
        return f"{text} (looks like {looks!r})"
    if char.isspace() or unicodedata.category(char) in ("Cf", "Cc", "Zs", "Zl", "Zp", "Mn"):
        return f"{text} (invisible)"
    return text


def suspicious_characters(text: str) -> list[str]:
    """Descriptions of the characters of ``text`` a reader could miss or misread:
    everything outside printable ASCII, and spaces (``U+0020 SPACE``), each once."""
    seen: dict[str, None] = {}
    for char in text:
        if not (" " < char <= "~"):
            seen.setdefault(char)
    return [_describe(char) for char in seen]


def name_problem(value: object, what: str, pattern: re.Pattern[str], rule: str) -> str | None:
    """Why ``value`` is not a valid ``what`` (``None`` when it is)."""
    if not isinstance(value, str):
        return f"expected a text key, got {type(value).__name__} {value!r}"
    normal = unicodedata.normalize("NFC", value)
    if pattern.fullmatch(normal) and len(normal) <= MAX_NAME_LENGTH:
        return None
    if not normal:
        return f"{what} is empty: expected at least 1 character: {rule}"
    shown = repr(normal) if len(normal) <= 60 else repr(normal[:57] + "...")
    odd = suspicious_characters(normal)
    if odd:
        return (
            f"{what} {shown} contains {', '.join(odd)}: names must be plain text you can "
            f"read, {rule}"
        )
    if len(normal) > MAX_NAME_LENGTH:
        return f"{what} {shown} is longer than {MAX_NAME_LENGTH} characters"
    return f"{what} {shown} is not a valid name: use {rule}"


@functools.lru_cache(maxsize=4096)
def _employment_problem(value: str) -> str | None:
    return name_problem(value, "employment name", _EMPLOYMENT, EMPLOYMENT_RULE)


def check_employment(value: object) -> str:
    """An employment name (checked once per distinct text: it repeats in every plan
    year of a config)."""
    if value.__class__ is str:
        problem = _employment_problem(value)
    else:
        problem = name_problem(value, "employment name", _EMPLOYMENT, EMPLOYMENT_RULE)
    if problem:
        raise ValueError(problem)
    assert isinstance(value, str)
    return value


# --- near misses ---------------------------------------------------------------------


# distance / near_misses live in the domain (the planner uses them too).


# --- within one config -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigWarning:
    """A finding that does not stop the run (printed as ``FILE:LINE: warning: ...``)."""

    message: str
    location: SourceLocation | None = None
    hint: str | None = None

    def format(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}warning: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def employment_warnings(plan_years: Iterable[DesiredPlanYear]) -> list[ConfigWarning]:
    """An employment name written in only one place that is a near miss of a name
    used more widely (in more places, or in more plan years) gets a warning there:
    ``fulltime`` in one override beside ``full_time`` in a template reaching 30
    employers is almost certainly a typo that would add a class and drop another.

    A *place* is one layer that writes the name (a template, a rollout, an employer
    override or plan year, defaults), found from the plan years' provenance."""
    plan_years = list(plan_years)
    # The places (layer kind, layer name, file) writing each employment name; their
    # locations are only looked up for the names that get a warning (see _first_at).
    places: dict[str, set[tuple[str, str | None, str | None]]] = {}
    years: dict[str, int] = {}
    # The place last added, as the very objects: the values of one layer follow one
    # another with the same layer and file, and are then not added again.
    last: tuple[str | None, ...] = ()
    for py in plan_years:
        for employment in {employment for employment, _tier in py.contribution_classes}:
            years[employment] = years.get(employment, 0) + 1
        for path, source in py.provenance.items():
            if len(path) < 2 or path[0] != "contribution_classes":
                continue
            employment, kind, name, file = path[1], source.kind, source.name, source.file
            if last and (
                employment is last[0] and kind is last[1] and name is last[2] and file is last[3]
            ):
                continue
            last = (employment, kind, name, file)
            known = places.get(employment)
            if known is None:
                known = places[employment] = set()
            known.add((kind, name, file))
    warnings: list[ConfigWarning] = []
    for name in sorted(years):
        if len(places.get(name, {})) != 1:
            continue
        wider = [
            other
            for other in years
            if other != name and (len(places.get(other, {})) > 1 or years[other] > years[name])
        ]
        match = near_misses(wider, [name]).get(name)
        if match is None:
            continue
        warnings.append(
            ConfigWarning(
                f"employment name {name!r} is used only here "
                f"({_plural(years[name], 'plan year')}); did you mean {match!r}? (used in "
                f"{_plural(len(places.get(match, {})), 'place')}, "
                f"{_plural(years[match], 'plan year')})",
                _first_at(plan_years, name),
                f"a different name is a different contribution class: {name!r} would be added "
                f"beside {match!r}, not change it",
            )
        )
    return warnings


def _first_at(plan_years: list[DesiredPlanYear], employment: str) -> SourceLocation | None:
    """Where the one place writing ``employment`` first writes it: the earliest
    (line, column) of its values, or None when the first value seen has no location."""
    first: SourceLocation | None = None
    found = False
    for py in plan_years:
        for path, source in py.provenance.items():
            if len(path) < 2 or path[0] != "contribution_classes" or path[1] != employment:
                continue
            loc = source.location
            if not found:
                first, found = loc, True
            elif loc and first and (loc.line, loc.column) < (first.line, first.column):
                first = loc
    return first


# --- case-insensitive duplicates --------------------------------------------------------


def case_duplicates(names: Iterable[tuple[str, SourceLocation | None]], what: str) -> list[Problem]:
    """A problem for each name that equals an earlier one except for case
    (``Standard-2027`` after ``standard-2027``); exact repeats are left to the
    duplicate checks that already name both places."""
    first: dict[str, tuple[str, SourceLocation | None]] = {}
    problems: list[Problem] = []
    for name, loc in names:
        folded = unicodedata.normalize("NFC", name).casefold()
        earlier = first.get(folded)
        if earlier is None:
            first[folded] = (name, loc)
        elif earlier[0] != name:
            problems.append(
                Problem(
                    f"{what} {name!r} differs from {what} {earlier[0]!r} (at {earlier[1]}) only "
                    "by case",
                    loc,
                    hint="names that differ only by case read as the same name; use one "
                    "spelling, or two clearly different names",
                )
            )
    return problems


def check_documents(docs: Iterable[object]) -> list[Problem]:
    """Case-insensitive duplicates across the config documents: template names and
    rollout names across all files, variable names within each ``variables:`` mapping."""
    from vitable_config.config.yaml_loader import key_location, value_location

    templates: list[tuple[str, SourceLocation | None]] = []
    rollouts: list[tuple[str, SourceLocation | None]] = []
    problems: list[Problem] = []

    def variables(mapping: object) -> None:
        if isinstance(mapping, dict):
            problems.extend(
                case_duplicates(
                    ((k, key_location(mapping, k)) for k in mapping if isinstance(k, str)),
                    "variable",
                )
            )

    for doc in docs:
        data = getattr(doc, "data", None)
        if not isinstance(data, dict):
            continue
        variables(data.get("variables"))
        section = data.get("templates")
        if isinstance(section, dict):
            templates.extend((k, key_location(section, k)) for k in section if isinstance(k, str))
        for rollout in data.get("rollouts") or []:
            if isinstance(rollout, dict) and isinstance(rollout.get("name"), str):
                rollouts.append((rollout["name"], value_location(rollout, "name")))
                variables(rollout.get("variables"))
        employers = data.get("employers")
        if isinstance(employers, dict):
            for employer in employers.values():
                if isinstance(employer, dict):
                    variables(employer.get("variables"))
    problems.extend(case_duplicates(templates, "template"))
    problems.extend(case_duplicates(rollouts, "rollout"))
    return problems
