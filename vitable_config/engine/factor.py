"""Factoring an exported account: find the templates, rollouts and variables in it.

``factor_export`` turns flat plan years (one per employer, product and coverage
start, as :func:`vitable_config.engine.export.export_live` reads them) into the
smallest config it can find that loads back to exactly those plan years:

1. Plan years are grouped by (benefit product, coverage start), then by the set of
   contribution classes they offer (their *shape*). A shape shared by two or more
   employers becomes a **template**; a plan year whose classes differ from a
   template's by at most :data:`NEAR_CLASSES` classes joins it as an override.
2. The employers using a template become a **rollout** over a CSV (rollouts reaching
   the same employers share one CSV).
3. Each field of the template (every date but the coverage start, every class
   amount) is written once with the most common value; where it varies across the
   employers it becomes a CSV column (a variable) when that is shorter than
   per-employer overrides, and per-employer overrides otherwise.
4. What remains (a shape only one employer has, or one a template does not pay for)
   is written as explicit plan years.

Size is measured as lines of YAML plus CSV cells (:func:`description_size`); a
template and rollout are only made when they are smaller than writing their
plan years out. Employer files are named by a slug of the employer's name, with
the id inside. Names of templates, rollouts and variables match
``^[a-z][a-z0-9_-]*$`` (variables use ``_`` only, as Jinja names).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from vitable_config.config.output import Flow, Quoted, dollars, dump_document
from vitable_config.desired import DesiredPlanYear
from vitable_config.domain import fields as F
from vitable_config.domain.vocabulary import class_sort_key

# The config file holding templates and rollouts, and the schema beside it.
MAIN_FILE = "vitable.yaml"
SCHEMA_FILE = "config.schema.json"
# A plan year whose class set differs from a template's by at most this many
# classes is written as an override of it (classes removed with null or added).
NEAR_CLASSES = 2
# Estimated lines an override costs per value it changes (the value and its
# parent key, shared with neighbours), used to choose column vs overrides.
OVERRIDE_LINES_PER_VALUE = 2
# Lines of an employer file around its plan-year entries (modeline, version,
# employers:, id:, name:, plan_years:).
EMPLOYER_FILE_LINES = 6

ClassKey = tuple[str, str]
# A template field: a scalar field's name, or (employment, tier, amount field name).
Slot = tuple[str, ...]
# Fields a template carries besides product and coverage start (no optional ones:
# export never writes a status).
SCALARS: tuple[F.PlanYearField, ...] = tuple(
    f for f in F.PLAN_YEAR_FIELDS if not f.in_key and not f.optional
)
PRODUCT = next(f for f in F.PLAN_YEAR_FIELDS if f.kind == "product")
START = next(f for f in F.PLAN_YEAR_FIELDS if f.in_key and f.kind == "date")


def _slot_value(py: DesiredPlanYear, slot: Slot) -> Any:
    if len(slot) == 1:
        return getattr(py, slot[0])
    cls = py.contribution_classes.get((slot[0], slot[1]))
    return None if cls is None else getattr(cls, slot[2])


def _class_slots(key: ClassKey) -> list[Slot]:
    return [(key[0], key[1], cf.name) for cf in F.CLASS_FIELDS]


def _sorted_classes(keys: Iterable[ClassKey]) -> list[ClassKey]:
    return sorted(keys, key=lambda k: class_sort_key(*k))


_NON_WORD = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """``"Harbor Light Café, LLC"`` → ``"harbor-light-caf-llc"`` (may be empty)."""
    return _NON_WORD.sub("-", text.lower()).strip("-")[:60].strip("-")


def _identifier(text: str) -> str:
    return _NON_WORD.sub("_", text.lower()).strip("_")


@dataclass
class _Template:
    name: str
    product: str
    start: date
    classes: list[ClassKey]
    members: list[DesiredPlanYear]
    literal: dict[Slot, Any] = field(default_factory=dict)  # slot -> value in the template
    columns: dict[Slot, str] = field(default_factory=dict)  # slot -> variable name

    @property
    def slots(self) -> list[Slot]:
        out: list[Slot] = [f.path for f in SCALARS]
        for key in self.classes:
            out += _class_slots(key)
        return out

    @property
    def rollout(self) -> str:
        return f"{self.name}-rollout"

    @property
    def variable_prefix(self) -> str:
        return self.name.replace("-", "_")


@dataclass
class FactoredExport:
    """The files of a factored export: name → text (YAML or CSV), plus counts."""

    files: dict[str, str]
    templates: int = 0
    rollouts: int = 0
    overrides: int = 0
    explicit: int = 0
    variables: int = 0

    def summary(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"

        return (
            f"{n(self.templates, 'template')}, {n(self.rollouts, 'rollout')}, "
            f"{n(self.variables, 'variable')}, {n(self.overrides, 'override')}, "
            f"{n(self.explicit, 'explicit plan year')}"
        )


def description_size(files: Mapping[str, str]) -> int:
    """The measure the factoring minimises: lines of YAML plus cells of CSV
    (blank lines and comment lines not counted)."""
    total = 0
    for name, text in files.items():
        if name.endswith(".csv"):
            total += sum(len(row) for row in csv.reader(io.StringIO(text)) if row)
        elif name.endswith((".yaml", ".yml")):
            total += sum(1 for line in text.splitlines() if line.strip() and line[0] != "#")
    return total


# --- choosing templates --------------------------------------------------------------


def _class_lines(keys: Iterable[ClassKey]) -> int:
    """Lines the classes take written out: one per employment, one per class."""
    keys = list(keys)
    return len({k[0] for k in keys}) + len(keys)


def _explicit_lines(py: DesiredPlanYear) -> int:
    # - benefit_product, coverage, open_enrollment, contribution_classes:, classes
    return 4 + _class_lines(py.contribution_classes)


def _template_name(product: str, start: date, taken: set[str]) -> str:
    base = _identifier(product).replace("_", "-") or "product"
    if not base[0].isalpha():
        base = f"p-{base}"
    stem = f"{base}-{start.year}" if (start.month, start.day) == (1, 1) else f"{base}-{start}"
    name, n = stem, 2
    while name in taken:
        name, n = f"{stem}-{n}", n + 1
    taken.add(name)
    return name


def _choose_templates(plan_years: list[DesiredPlanYear]) -> tuple[list[_Template], list[Any]]:
    """Templates (with their members) and the plan years left to write explicitly."""
    groups: dict[tuple[str, date], list[DesiredPlanYear]] = defaultdict(list)
    for py in plan_years:
        groups[(py.benefit_product, py.coverage_start)].append(py)
    templates: list[_Template] = []
    explicit: list[DesiredPlanYear] = []
    taken: set[str] = set()
    for (product, start), members in sorted(groups.items()):
        by_shape: dict[frozenset[ClassKey], list[DesiredPlanYear]] = defaultdict(list)
        for py in members:
            by_shape[frozenset(py.contribution_classes)].append(py)
        shapes = sorted(by_shape.items(), key=lambda kv: (-len(kv[1]), sorted(kv[0])))
        local: list[tuple[frozenset[ClassKey], list[DesiredPlanYear]]] = []
        for shape, users in shapes:
            near = [(len(shape ^ s), i) for i, (s, _) in enumerate(local)]
            if near and min(near)[0] <= NEAR_CLASSES:
                local[min(near)[1]][1].extend(users)
            elif len(users) >= 2:
                local.append((shape, list(users)))
            else:
                explicit.extend(users)
        for shape, users in local:
            template = _Template("", product, start, _sorted_classes(shape), users)
            _choose_columns(template)
            if _factored_lines(template) < sum(_explicit_lines(p) for p in users) + (
                EMPLOYER_FILE_LINES * len(users)
            ):
                template.name = _template_name(product, start, taken)
                _name_columns(template)
                templates.append(template)
            else:
                explicit.extend(users)
    return templates, explicit


def _choose_columns(template: _Template) -> None:
    """Per slot: the most common value in the template, and a CSV column where the
    values vary so much that a column is shorter than the overrides."""
    n = len(template.members)
    for slot in template.slots:
        values = [v for v in (_slot_value(p, slot) for p in template.members) if v is not None]
        counts = Counter(values)
        mode, top = max(counts.items(), key=lambda kv: (kv[1], str(kv[0])))
        template.literal[slot] = mode
        deviating = len(values) - top
        if deviating and n + 1 < OVERRIDE_LINES_PER_VALUE * deviating:
            template.columns[slot] = ""  # named once the template has its name


def _name_columns(template: _Template) -> None:
    used: set[str] = set()
    for slot in list(template.columns):
        if len(slot) == 1:
            part = slot[0]
        else:
            employment, tier, amount = slot
            part = "_".join(
                [
                    _identifier(employment) or "class",
                    tier.lower(),
                    F.CLASS_FIELD_BY_NAME[amount].yaml_key,
                ]
            )
        name, n = f"{template.variable_prefix}_{part}", 2
        while name in used:
            name, n = f"{template.variable_prefix}_{part}_{n}", n + 1
        used.add(name)
        template.columns[slot] = name


def _deviations(template: _Template, py: DesiredPlanYear) -> tuple[dict[Slot, Any], list[ClassKey]]:
    """What an override of ``py`` must say: changed values (with added classes in
    full) and the template's classes ``py`` does not have."""
    own = set(py.contribution_classes)
    changed: dict[Slot, Any] = {}
    for slot in template.slots:
        if slot in template.columns:
            continue
        if len(slot) == 3 and (slot[0], slot[1]) not in own:
            continue
        value = _slot_value(py, slot)
        if value != template.literal[slot]:
            changed[slot] = value
    for key in _sorted_classes(own - set(template.classes)):
        for slot in _class_slots(key):
            changed[slot] = _slot_value(py, slot)
    removed = [k for k in template.classes if k not in own]
    return changed, removed


def _factored_lines(template: _Template) -> int:
    lines = 4 + _class_lines(template.classes) + 4  # template + rollout entry
    cells = (len(template.members) + 1) * (2 + len(template.columns))
    for py in template.members:
        changed, removed = _deviations(template, py)
        if changed or removed:
            lines += (
                EMPLOYER_FILE_LINES + 3 + OVERRIDE_LINES_PER_VALUE * (len(changed) + len(removed))
            )
    return lines + cells


# --- writing -------------------------------------------------------------------------


def _fields_doc(values: Mapping[str, Any]) -> dict[str, Any]:
    """Scalar fields by canonical name → nested by YAML path, in table order
    (periods on one line)."""
    out: dict[str, Any] = {}
    for f in F.PLAN_YEAR_FIELDS:
        if f.name not in values:
            continue
        node = out
        for part in f.yaml_path[:-1]:
            node = node.setdefault(part, Flow())
        node[f.yaml_path[-1]] = values[f.name]
    return out


def _amount(value: Any) -> Any:
    return dollars(value) if isinstance(value, int) else value


def _classes_doc(
    amounts: Mapping[Slot, Any],
    removed: Iterable[ClassKey] = (),
    template_classes: Iterable[ClassKey] = (),
) -> dict[str, Any]:
    """{(employment, tier, amount): value} → employment → tier → {employee, employer};
    ``removed`` classes as null (the whole employment when the template has no other
    tier of it left)."""
    out: dict[str, Any] = {}
    for employment, tier in _sorted_classes({(s[0], s[1]) for s in amounts}):
        out.setdefault(employment, {})[tier] = Flow(
            {
                cf.yaml_key: _amount(amounts[(employment, tier, cf.name)])
                for cf in F.CLASS_FIELDS
                if (employment, tier, cf.name) in amounts
            }
        )
    removed_tiers: dict[str, set[str]] = defaultdict(set)
    for employment, tier in removed:
        removed_tiers[employment].add(tier)
    template_tiers: dict[str, set[str]] = defaultdict(set)
    for employment, tier in template_classes:
        template_tiers[employment].add(tier)
    for employment, tiers in removed_tiers.items():
        if tiers == template_tiers[employment] and employment not in out:
            out[employment] = None
        else:
            node = out.setdefault(employment, {})
            if not node:
                node = out[employment] = Flow()
            for tier in sorted(tiers, key=lambda t: class_sort_key(employment, t)):
                node[tier] = None
    return dict(sorted(out.items()))


def _template_doc(template: _Template) -> dict[str, Any]:
    def value(slot: Slot) -> Any:
        if slot in template.columns:
            return Quoted("{{ " + template.columns[slot] + " }}")
        return template.literal[slot]

    scalars = {START.name: template.start} | {f.name: value(f.path) for f in SCALARS}
    doc: dict[str, Any] = {PRODUCT.yaml_name: template.product}
    doc.update(_fields_doc(scalars))
    amounts: dict[Slot, Any] = {s: value(s) for s in template.slots if len(s) == 3}
    doc[F.CLASSES] = _classes_doc(amounts, (), template.classes)
    return doc


def _cell(value: Any) -> str:
    from vitable_config.config.values import format_dollars

    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return format_dollars(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _explicit_entry(py: DesiredPlanYear) -> dict[str, Any]:
    entry: dict[str, Any] = {PRODUCT.yaml_name: py.benefit_product}
    entry.update(_fields_doc({f.name: getattr(py, f.name) for f in (START, *SCALARS)}))
    amounts = {
        slot: _slot_value(py, slot) for key in py.contribution_classes for slot in _class_slots(key)
    }
    entry[F.CLASSES] = _classes_doc(amounts, (), ())
    return entry


def _override_entry(
    template: _Template, changed: dict[Slot, Any], removed: list[ClassKey]
) -> dict[str, Any]:
    entry: dict[str, Any] = {PRODUCT.yaml_name: template.product}
    scalars: dict[str, Any] = {START.name: template.start}
    scalars.update({s[0]: v for s, v in changed.items() if len(s) == 1})
    entry.update(_fields_doc(scalars))
    amounts: dict[Slot, Any] = {s: v for s, v in changed.items() if len(s) == 3}
    if amounts or removed:
        entry[F.CLASSES] = _classes_doc(amounts, removed, template.classes)
    return entry


def _file_names(employers: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """A readable, unique file name per employer: the slug of its name (the id when
    there is no usable name, or the slug plus the id when two names collide)."""
    wanted: dict[str, str] = {}
    for employer_id, name in employers:
        wanted[employer_id] = slug(name or "") or slug(employer_id) or "employer"
    counts = Counter(wanted.values())
    reserved = {MAIN_FILE.rsplit(".", 1)[0], "employers"}
    out: dict[str, str] = {}
    for employer_id, stem in sorted(wanted.items()):
        if counts[stem] > 1 or stem in reserved:
            stem = f"{stem}-{slug(employer_id)}"
        out[employer_id] = f"{stem}.yaml"
    return out


def factor_export(
    plan_years: list[DesiredPlanYear], schema_ref: str = SCHEMA_FILE
) -> FactoredExport:
    """The factored config files (name → text) describing exactly ``plan_years``."""
    plan_years = sorted(
        plan_years, key=lambda p: (p.employer_id, p.benefit_product, p.coverage_start)
    )
    templates, explicit = _choose_templates(plan_years)
    names: dict[str, str | None] = {}
    for py in plan_years:
        names.setdefault(py.employer_id, py.employer_name)
    result = FactoredExport(files={})

    # Rollouts reaching the same employers share one CSV.
    by_targets: dict[tuple[str, ...], list[_Template]] = defaultdict(list)
    for template in templates:
        members = tuple(sorted(p.employer_id for p in template.members))
        by_targets[members].append(template)
    csv_of: dict[str, str] = {}
    ordered = sorted(by_targets.items(), key=lambda kv: (-len(kv[0]), kv[0]))
    for i, (targets, group) in enumerate(ordered):
        csv_name = "employers.csv" if i == 0 else f"employers-{group[0].name}.csv"
        header = ["employer_id"]
        with_names = any(names.get(e) for e in targets)
        if with_names:
            header.append("employer_name")
        columns = [(t, slot, var) for t in group for slot, var in t.columns.items()]
        header += [var for _, _, var in columns]
        member_of = {(t.name, p.employer_id): p for t in group for p in t.members}
        rows = [header]
        for employer_id in targets:
            row = [employer_id]
            if with_names:
                row.append(names.get(employer_id) or "")
            for t, slot, _ in columns:
                value = _slot_value(member_of[(t.name, employer_id)], slot)
                row.append(_cell(t.literal[slot] if value is None else value))
            rows.append(row)
        result.files[csv_name] = _csv_text(rows)
        for t in group:
            csv_of[t.name] = csv_name
            result.variables += len(t.columns)

    employer_entries: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for template in templates:
        for py in template.members:
            changed, removed = _deviations(template, py)
            if changed or removed:
                employer_entries[py.employer_id].append(_override_entry(template, changed, removed))
                result.overrides += 1
    for py in explicit:
        employer_entries[py.employer_id].append(_explicit_entry(py))
        result.explicit += 1

    if templates:
        main: dict[str, Any] = {"version": 1, "templates": {}, "rollouts": []}
        for template in templates:
            main["templates"][template.name] = _template_doc(template)
            main["rollouts"].append(
                {
                    "name": template.rollout,
                    "template": template.name,
                    "employers": Flow(csv=csv_of[template.name]),
                }
            )
        result.files[MAIN_FILE] = dump_document(main, schema_ref)
        result.templates = result.rollouts = len(templates)

    file_names = _file_names((e, names.get(e)) for e in employer_entries)
    for employer_id, entries in sorted(employer_entries.items()):
        employer: dict[str, Any] = {}
        if names.get(employer_id):
            employer["name"] = names[employer_id]
        employer["plan_years"] = entries
        doc = {"version": 1, "employers": {employer_id: employer}}
        result.files[file_names[employer_id]] = dump_document(doc, schema_ref)
    return result
