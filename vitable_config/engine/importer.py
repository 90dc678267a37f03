"""Import one employer's live plan years into an existing config directory.

``import_plan_years`` adds each live plan year the config does not declare yet:

* as a **row of a rollout's CSV** when the rollout (every rollout over that CSV)
  then produces exactly the live plan year — CSV columns that hold a field's value
  directly get the live value, other columns the most common cell;
* as such a row plus an **override** when the rollout's result nearly matches (at
  most :data:`NEAR_VALUES` values or classes differ);
* otherwise as an **explicit plan year**.

Overrides and plan years go into the file that already declares the employer
(inserted into its ``plan_years:``), or a new file named by a slug of the
employer's name. Nothing already declared is added again, whatever its values. The
result is checked by loading the config again: if any imported plan year does not
come out exactly as live, every file is put back and a :class:`UserError` is raised.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vitable_config.config import load_config
from vitable_config.config.output import dump_document
from vitable_config.config.values import parse_cents, parse_date
from vitable_config.desired import DesiredPlanYear, DesiredState, PlanYearKey
from vitable_config.domain import fields as F
from vitable_config.engine.factor import (
    SCHEMA_FILE,
    ClassKey,
    Slot,
    _class_slots,
    _deviations,
    _explicit_entry,
    _override_entry,
    _slot_value,
    _Template,
    slug,
)
from vitable_config.engine.normalize import normalize_desired
from vitable_config.errors import Problem, UserError

# A rollout's plan year that differs from live in at most this many values (or
# classes) is imported as the rollout's plus an override.
NEAR_VALUES = 6


@dataclass(frozen=True)
class Imported:
    """What happened to one live plan year."""

    key: PlanYearKey
    action: str  # "declared", "rollout", "override", "plan_year"
    where: str  # the file it went into (or where it is declared)
    rollout: str | None = None

    def describe(self) -> str:
        what = f"{self.key.employer_id} {self.key.benefit_product} {self.key.coverage_start}"
        if self.action == "declared":
            return f"{what}: already declared ({self.where}), left as it is"
        if self.action == "rollout":
            return f"{what}: added to rollout {self.rollout} ({self.where})"
        if self.action == "override":
            return f"{what}: added to rollout {self.rollout} with an override ({self.where})"
        return f"{what}: written as a plan year ({self.where})"


def _key(py: DesiredPlanYear, code_of: dict[str, str]) -> tuple[str, str, Any]:
    return (py.employer_id, code_of.get(py.benefit_product, py.benefit_product), py.coverage_start)


def _read_csv(path: Path) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))) if row]


def _cell_matches(cell: str, value: Any) -> bool:
    try:
        if isinstance(value, int):
            return (
                parse_cents(int(cell) if cell.strip().isdigit() else cell, rendered=True) == value
            )
        return bool(parse_date(cell) == value)
    except ValueError:
        return False


def _format_like(cells: list[str], value: Any) -> str:
    if isinstance(value, int):
        if any(c.strip().startswith("$") for c in cells):
            return f"${value // 100}.{value % 100:02d}"
        return str(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _slots(py: DesiredPlanYear) -> list[Slot]:
    out: list[Slot] = [f.path for f in F.PLAN_YEAR_FIELDS if not f.in_key and not f.optional]
    for key in py.contribution_classes:
        out += _class_slots(key)
    return out


class _Edits:
    """Files changed so far, with their original text (None: a new file)."""

    def __init__(self) -> None:
        self.original: dict[Path, str | None] = {}

    def write(self, path: Path, text: str) -> None:
        if path not in self.original:
            self.original[path] = path.read_text(encoding="utf-8") if path.exists() else None
        path.write_text(text, encoding="utf-8")

    def undo(self) -> None:
        for path, text in self.original.items():
            if text is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(text, encoding="utf-8")


def _row_for(
    csv_path: Path,
    state: DesiredState,
    employer_id: str,
    employer_name: str | None,
    live: dict[tuple[str, str, Any], DesiredPlanYear],
    code_of: dict[str, str],
) -> tuple[list[str], dict[int, list[str]]]:
    """The CSV row to try for this employer, and the other cells to try per column.

    A column that holds a field's value directly (for most of the CSV's employers)
    gets the live value; any other column starts empty (the rollout's default) with
    its most common cells as alternatives."""
    rows = _read_csv(csv_path)
    header, body = rows[0], rows[1:]
    id_col = header.index("employer_id")
    by_employer = {r[id_col]: r for r in body if len(r) == len(header)}
    by_offer: dict[tuple[str, Any], list[DesiredPlanYear]] = {}
    for py in state.plan_years:
        if py.location and Path(py.location.file) == csv_path and py.employer_id in by_employer:
            offer = (code_of.get(py.benefit_product, py.benefit_product), py.coverage_start)
            by_offer.setdefault(offer, []).append(py)
    row: list[str] = []
    alternatives: dict[int, list[str]] = {}
    for col, name in enumerate(header):
        cells = [r[col] for r in by_employer.values()]
        if name == "employer_id":
            row.append(employer_id)
            continue
        if name == "employer_name":
            row.append(employer_name or "")
            continue
        value = None
        for (product, start), members in sorted(by_offer.items(), key=str):
            mine = live.get((employer_id, product, start))
            if mine is None:
                continue
            for slot in _slots(members[0]):
                matching = sum(
                    _cell_matches(by_employer[m.employer_id][col], _slot_value(m, slot))
                    for m in members
                )
                got = _slot_value(mine, slot)
                if 2 * matching > len(members) and got is not None:
                    value = _format_like(cells, got)
                    break
            if value is not None:
                break
        if value is None:
            common = Counter(c for c in cells if c.strip())
            alternatives[col] = [c for c, _ in common.most_common(3)]
            value = ""
        row.append(value)
    return row, alternatives


def _csv_with_row(path: Path, row: list[str]) -> str:
    text = path.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        text += "\n"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    return text + buffer.getvalue()


def _differences(
    built: DesiredPlanYear, live: DesiredPlanYear
) -> tuple[dict[Slot, Any], list[tuple[str, str]]]:
    template = _Template(
        "", built.benefit_product, built.coverage_start, sorted(built.contribution_classes), []
    )
    template.literal = {slot: _slot_value(built, slot) for slot in template.slots}
    return _deviations(template, live)


def _insert_entries(path: Path, text: str, employer_id: str, entries: list[dict[str, Any]]) -> str:
    """``text`` (a config file declaring ``employer_id``) with ``entries`` appended to
    the employer's ``plan_years:`` (added when missing). Block style only."""
    items = dump_document({"plan_years": entries}, None).splitlines()[1:]
    items = [line[2:] for line in items]  # the dump indents items by two
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    employer = None
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if k.value == "employers" and isinstance(v, yaml.MappingNode):
                for ek, ev in v.value:
                    if ek.value == employer_id:
                        employer = (ek, ev)
    if employer is None or not isinstance(employer[1], yaml.MappingNode) or employer[1].flow_style:
        raise UserError(
            f"cannot add plan years to employer {employer_id} in {path}",
            [
                Problem(
                    f"employer {employer_id} is not written as a block mapping in {path}",
                    hint="add the plan years by hand, or write the employer in block style",
                )
            ],
        )
    key_node, node = employer
    lines = text.splitlines(keepends=True)
    plan_years = next((v for k, v in node.value if k.value == "plan_years"), None)

    def last_line(n: yaml.Node) -> int:
        if isinstance(n, yaml.ScalarNode):
            return int(n.end_mark.line)
        children = (
            [c for pair in n.value for c in pair] if isinstance(n, yaml.MappingNode) else n.value
        )
        return max([int(n.start_mark.line), *(last_line(c) for c in children)])

    if isinstance(plan_years, yaml.SequenceNode) and not plan_years.flow_style and plan_years.value:
        indent = " " * plan_years.value[0].start_mark.column
        new = [indent[:-2] + line + "\n" if line.strip() else "\n" for line in items]
        at = last_line(plan_years) + 1
    elif plan_years is None or (
        isinstance(plan_years, yaml.ScalarNode) and plan_years.value in ("", "null", "~")
    ):
        indent = (
            " " * node.value[0][0].start_mark.column
            if node.value
            else " " * (key_node.start_mark.column + 2)
        )
        new = [indent + "plan_years:\n"] + [indent + line + "\n" for line in items]
        if plan_years is not None:  # "plan_years:" with nothing: replace that line
            at = int(plan_years.start_mark.line)
            del lines[at]
        else:
            at = last_line(node) + 1
    else:
        raise UserError(
            f"cannot add plan years to employer {employer_id} in {path}",
            [Problem(f"plan_years of {employer_id} is not a block list", hint="add them by hand")],
        )
    if at > 0 and at <= len(lines) and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    lines[at:at] = new
    return "".join(lines)


def import_plan_years(
    live_plan_years: list[DesiredPlanYear],
    directory: str | Path,
    product_ids: dict[str, str] | None = None,
) -> list[Imported]:
    """Add the live plan years that ``directory``'s config does not declare; return
    what was done with each. ``product_ids`` maps product codes to ``bprd_`` ids, so
    a config that names products by id matches live plan years (given as codes)."""
    from vitable_config.engine.export import check_exportable

    check_exportable(live_plan_years)
    target = Path(directory)
    code_of = {pid: code for code, pid in (product_ids or {}).items()}
    state = load_config([target])
    declared = {_key(py, code_of): py for py in state.plan_years}
    outcomes: list[Imported] = []
    pending: dict[tuple[str, str, Any], DesiredPlanYear] = {}
    for py in live_plan_years:
        key = _key(py, code_of)
        if key in declared:
            where = declared[key].location
            outcomes.append(Imported(py.key, "declared", str(where) if where else str(target)))
        else:
            pending[key] = py
    edits = _Edits()
    try:
        _import(pending, target, state, code_of, edits, outcomes)
        _verify(pending, target, code_of)
    except BaseException:
        edits.undo()
        raise
    return outcomes


def _import(
    pending: dict[tuple[str, str, Any], DesiredPlanYear],
    target: Path,
    state: DesiredState,
    code_of: dict[str, str],
    edits: _Edits,
    outcomes: list[Imported],
) -> None:
    product_ids = {code: pid for pid, code in code_of.items()}
    entries: dict[str, list[dict[str, Any]]] = {}
    names: dict[str, str | None] = {}
    remaining = dict(pending)
    csv_files = sorted(
        {
            Path(py.location.file)
            for py in state.plan_years
            if py.rollout and py.location and py.location.file.endswith(".csv")
        }
    )
    employers = sorted({k[0] for k in remaining})
    for employer_id in employers:
        mine = {k: v for k, v in remaining.items() if k[0] == employer_id}
        name = next((p.employer_name for p in mine.values() if p.employer_name), None)
        names[employer_id] = name
        for csv_path in csv_files:
            if not mine:
                break
            if not csv_path.exists():
                continue
            row, alternatives = _row_for(csv_path, state, employer_id, name, mine, code_of)
            best = _try_row(csv_path, row, target, state, mine, code_of)
            for col, cells in alternatives.items():
                for cell in cells:
                    if best is not None and best[0] == 0:
                        break
                    candidate = [*row[:col], cell, *row[col + 1 :]]
                    tried = _try_row(csv_path, candidate, target, state, mine, code_of)
                    if tried is not None and (best is None or tried[0] < best[0]):
                        best, row = tried, candidate
            if best is None:
                continue
            _, new, diffs = best
            edits.write(csv_path, _csv_with_row(csv_path, row))
            for p in new:
                changed, removed = diffs[id(p)]
                key = _key(p, code_of)
                live_py = mine.pop(key)
                if changed or removed:
                    template = _Template(
                        "", p.benefit_product, p.coverage_start, sorted(p.contribution_classes), []
                    )
                    entries.setdefault(employer_id, []).append(
                        _override_entry(template, changed, removed)
                    )
                    outcomes.append(Imported(live_py.key, "override", "", p.rollout))
                else:
                    outcomes.append(Imported(live_py.key, "rollout", str(csv_path), p.rollout))
            state = load_config([target])
        by_id = _spells_ids(state, employer_id)
        for live_py in mine.values():
            entry = _explicit_entry(live_py)
            if by_id and live_py.benefit_product in product_ids:
                entry[_PRODUCT_KEY] = product_ids[live_py.benefit_product]
            entries.setdefault(employer_id, []).append(entry)
            outcomes.append(Imported(live_py.key, "plan_year", ""))
    # Write overrides and plan years: into the file declaring the employer, or a new one.
    declaring = _declaring_files(target)
    for employer_id, items in entries.items():
        path = declaring.get(employer_id)
        if path is not None:
            text = _insert_entries(path, path.read_text(encoding="utf-8"), employer_id, items)
        else:
            path = _new_file(target, employer_id, names.get(employer_id))
            employer: dict[str, Any] = (
                {"name": names[employer_id]} if names.get(employer_id) else {}
            )
            employer["plan_years"] = items
            text = dump_document(
                {"version": 1, "employers": {employer_id: employer}}, _schema_ref(target)
            )
        edits.write(path, text)
        for i, outcome in enumerate(outcomes):
            if outcome.key.employer_id == employer_id and outcome.where == "":
                outcomes[i] = Imported(outcome.key, outcome.action, str(path), outcome.rollout)


Trial = tuple[int, list[DesiredPlanYear], dict[int, tuple[dict[Slot, Any], list[ClassKey]]]]


def _try_row(
    csv_path: Path,
    row: list[str],
    target: Path,
    state: DesiredState,
    mine: dict[tuple[str, str, Any], DesiredPlanYear],
    code_of: dict[str, str],
) -> Trial | None:
    """Load the config with ``row`` appended to the CSV (then put the CSV back): the
    number of values that differ from live, the new plan years and their differences;
    None when the row does not fit (an error, a plan year the employer does not have
    live, or too many differences)."""
    original = csv_path.read_text(encoding="utf-8")
    csv_path.write_text(_csv_with_row(csv_path, row), encoding="utf-8")
    try:
        trial = load_config([target])
    except UserError:
        return None
    finally:
        csv_path.write_text(original, encoding="utf-8")
    before = {_key(p, code_of) for p in state.plan_years}
    new = [p for p in trial.plan_years if _key(p, code_of) not in before]
    if not new or any(_key(p, code_of) not in mine for p in new):
        return None
    diffs = {id(p): _differences(p, mine[_key(p, code_of)]) for p in new}
    total = sum(len(c) + len(r) for c, r in diffs.values())
    if any(len(c) + len(r) > NEAR_VALUES for c, r in diffs.values()):
        return None
    return total, new, diffs


MODELINE = "# yaml-language-server: $schema="


_PRODUCT_KEY = next(f.yaml_name for f in F.PLAN_YEAR_FIELDS if f.kind == "product")


def _spells_ids(state: DesiredState, employer_id: str) -> bool:
    """Whether new plan years for ``employer_id`` should name products by ``bprd_`` id
    (as the employer's plan years already do, else as most of the config does): an
    employer's products must all be written one way."""
    own = [py.benefit_product for py in state.plan_years if py.employer_id == employer_id]
    names = own or [py.benefit_product for py in state.plan_years]
    ids = sum(1 for name in names if name.startswith("bprd_"))
    return 2 * ids > len(names)


def _schema_ref(target: Path) -> str | None:
    """The schema reference the directory's files already use (None: no modeline)."""
    if (target / SCHEMA_FILE).exists():
        return SCHEMA_FILE
    for path in sorted(target.glob("*.y*ml")):
        with path.open(encoding="utf-8", errors="replace") as handle:
            first = handle.readline().strip()
        if first.startswith(MODELINE):
            return first[len(MODELINE) :]
    return None


def _declaring_files(target: Path) -> dict[str, Path]:
    from vitable_config.config.sources import load_documents

    problems: list[Problem] = []
    docs, _ = load_documents([target], problems)
    out: dict[str, Path] = {}
    for doc in docs:
        employers = doc.data.get("employers") if isinstance(doc.data, dict) else None
        if isinstance(employers, dict):
            for employer_id in employers:
                out.setdefault(str(employer_id), Path(doc.display))
    return out


def _new_file(target: Path, employer_id: str, name: str | None) -> Path:
    stem = slug(name or "") or slug(employer_id) or "employer"
    path = target / f"{stem}.yaml"
    if path.exists() or stem == "vitable":
        path = target / f"{stem}-{slug(employer_id)}.yaml"
    n = 2
    while path.exists():
        path = target / f"{stem}-{slug(employer_id)}-{n}.yaml"
        n += 1
    return path


def _verify(
    pending: dict[tuple[str, str, Any], DesiredPlanYear], target: Path, code_of: dict[str, str]
) -> None:
    """Load the config again: each imported plan year must come out exactly as live."""
    state = load_config([target])
    got = {_key(py, code_of): py for py in state.plan_years}
    wrong = [
        k
        for k, live in pending.items()
        if k not in got or normalize_desired(got[k]) != normalize_desired(live)
    ]
    if wrong:
        raise UserError(
            "import did not reproduce the live plan years; nothing was changed",
            [Problem(f"{k[0]} {k[1]} {k[2]}: the config would differ from live") for k in wrong],
        )
