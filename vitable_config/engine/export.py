"""Export live plan years as config, so an existing account can be adopted.

``export_live`` reads the live plan years of every employer and benefit product
in scope (bulk lists, pages of 100) and turns each into a
:class:`~vitable_config.desired.DesiredPlanYear` (product written as its code,
no ``status``, so a plan never tries to move it); ``write_export`` writes one
factored config (:mod:`vitable_config.engine.factor`: templates, rollouts over a
CSV, variables, overrides) or, with ``flat=True``, one config file per employer
(``DIR/empr_acme.yaml``, the config package's ``dump_plan_years``). Planning the
exported directory right away shows no changes.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from pathlib import Path

from vitable_config.api.models import PlanYear
from vitable_config.desired import DesiredClass, DesiredPlanYear
from vitable_config.domain import fields as F
from vitable_config.engine.factor import SCHEMA_FILE
from vitable_config.engine.ports import VitableApi
from vitable_config.engine.scope import Scope

# With at most this many employers in scope, read per (product, employer) lists.
FEW_EMPLOYERS = 20


async def export_live(client: VitableApi, *, scope: Scope | None = None) -> list[DesiredPlanYear]:
    """Live plan years in ``scope`` as desired plan years, sorted by employer/product/start."""
    scope = scope or Scope()
    products, employers = await asyncio.gather(
        client.list_benefit_products(), client.list_employers()
    )
    products = [p for p in products if scope.includes_product(p.product_code, p.id)]
    names = {e.id: e.name for e in employers if scope.includes_employer(e.id)}
    if not products or not names:
        return []
    if len(names) <= FEW_EMPLOYERS:
        calls = [
            client.list_plan_years(p.id, employer_id=e) for p in products for e in sorted(names)
        ]
    else:
        calls = [client.list_plan_years(p.id) for p in products]
    code_of = {p.id: p.product_code for p in products}
    seen: dict[str, PlanYear] = {}
    for page in await asyncio.gather(*calls):
        for py in page:
            if py.employer_id in names and py.benefit_product_id in code_of:
                seen[py.id] = py
    out = [
        _to_desired(py, code_of[py.benefit_product_id], names[py.employer_id])
        for py in seen.values()
    ]
    out.sort(key=lambda d: (d.employer_id, d.benefit_product, d.coverage_start))
    return out


def write_export(
    plan_years: list[DesiredPlanYear], directory: str | Path, *, flat: bool = False
) -> list[Path]:
    """Write the plan years as config into ``directory``; return the paths written.

    Factored (the default: ``vitable.yaml`` with templates and rollouts, CSVs of
    employers and variables, one file per employer with overrides or explicit plan
    years, named by a slug of the employer's name) or ``flat`` (one file per
    employer, named by id). The config JSON Schema is written beside them
    (``config.schema.json``) and every YAML file's modeline points at it, so editors
    validate the exported files wherever the directory ends up.
    """
    from vitable_config.config import dump_plan_years
    from vitable_config.config.schema import config_schema
    from vitable_config.engine.factor import factor_export

    check_exportable(plan_years)
    if flat:
        by_employer: dict[str, list[DesiredPlanYear]] = defaultdict(list)
        for py in plan_years:
            by_employer[py.employer_id].append(py)
        files = {
            f"{employer_id}.yaml": dump_plan_years(by_employer[employer_id], SCHEMA_FILE)
            for employer_id in sorted(by_employer)
        }
    else:
        files = factor_export(plan_years, schema_ref=SCHEMA_FILE).files
    target = Path(directory)
    _refuse_other_config(target, set(files))
    target.mkdir(parents=True, exist_ok=True)
    schema_path = target / SCHEMA_FILE
    schema_path.write_text(json.dumps(config_schema(), indent=2) + "\n", encoding="utf-8")
    written: list[Path] = [schema_path]
    for name, text in files.items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _refuse_other_config(target: Path, names: set[str]) -> None:
    """An export writes a whole config: config files already in ``target`` that it
    would not overwrite would be loaded with it (an employer defined twice, a stale
    override), so they are refused before anything is written."""
    from vitable_config.errors import Problem, UserError

    if not target.is_dir():
        return
    others = sorted(
        p.name
        for p in target.iterdir()
        if p.suffix in (".yaml", ".yml", ".csv") and p.name not in names
    )
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        raise UserError(
            f"{target} already holds config files this export would not write; nothing was written",
            [
                Problem(
                    f"{target}: {shown}",
                    hint="export into an empty directory, remove the old files, or add one "
                    "employer to an existing config with --employer ID --into DIR",
                )
            ],
        )


def check_exportable(plan_years: list[DesiredPlanYear]) -> None:
    """Refuse (before writing anything) live values the config language cannot say:
    an employment name outside its identifier rule would make a config that does not
    validate."""
    from vitable_config.config.names import check_employment
    from vitable_config.errors import Problem, UserError

    problems: list[Problem] = []
    for py in plan_years:
        for employment in sorted({key[0] for key in py.contribution_classes}):
            try:
                check_employment(employment)
            except ValueError as exc:
                problems.append(
                    Problem(
                        f"live plan year {py.key}: {exc}",
                        hint="rename the employment type in Vitable Connect, or leave this "
                        "employer or product out with --employer / --product",
                    )
                )
    if problems:
        raise UserError(
            "the live plan years cannot be written as config; nothing was written", problems
        )


def _to_desired(py: PlanYear, product_code: str, employer_name: str | None) -> DesiredPlanYear:
    classes: dict[tuple[str, str], DesiredClass] = {
        F.class_key(c): DesiredClass(*F.class_key(c), **F.class_amounts(c))  # type: ignore[arg-type]
        for c in py.contribution_classes
    }
    fields = {
        f.name: F.live_value(py, f)
        for f in F.PLAN_YEAR_FIELDS
        if not f.optional and f.kind != "product"  # the product is given as its code
    }
    return DesiredPlanYear(
        employer_id=py.employer_id,
        benefit_product=product_code,
        contribution_classes=classes,
        employer_name=employer_name,
        **fields,
    )
