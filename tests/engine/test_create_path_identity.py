"""The create path's outputs, byte for byte, against golden values of the original code.

Plans of a varied set of configs (the repo's examples, the plan samples, a generated
flat estate with varied amounts, missing classes and statuses, and hand-built plan
years with values the API refuses) are rendered as text (plain and styled), JSON and
Markdown, with every change (field changes, request and follow-up bodies, warnings)
and the plan digest; then every create is checked against server answers that match
and that do not (``response_mismatch``, ``create_mismatch``, ``verify_after_write``).
Each output is compared by SHA-256 with ``test_create_path_golden.json``, written by
the code before the create path was made cheaper::

    .venv/bin/python -m tests.engine.test_create_path_identity --write   # golden values
    .venv/bin/python -m tests.engine.test_create_path_identity --dump F  # outputs to F
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tests.engine.engine_factories import ListingClient, create_answer
from tests.engine.plan_samples import every_action_plan, many_changes_plan
from vitable_config.api.models import BenefitProduct, PlanYear, PlanYearCreate, PlanYearUpdate
from vitable_config.config.build import load_config
from vitable_config.desired import DesiredClass, DesiredPlanYear, DesiredState, Source
from vitable_config.engine.export import write_export
from vitable_config.engine.guard import (
    create_mismatch,
    response_mismatch,
    update_mismatch,
    verify_after_write,
)
from vitable_config.engine.live import LiveState
from vitable_config.engine.model import ActionResult, Plan
from vitable_config.engine.planner import build_plan
from vitable_config.engine.render import render_json, render_markdown, render_text
from vitable_config.engine.run import record_inputs
from vitable_config.errors import SourceLocation, UserError

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("test_create_path_golden.json")
STAMP = datetime(2026, 6, 1, tzinfo=UTC)
PRODUCTS = {"MEC": "bprd_mec", "VD": "bprd_dental", "VV": "bprd_vision"}
TIERS = ("EE", "ES", "EC", "EF")


def _products(inactive: tuple[str, ...] = ()) -> list[BenefitProduct]:
    return [
        BenefitProduct(
            id=pid,
            active=pid not in inactive,
            category="Medical",
            created_at=STAMP,
            name=f"Vitable {code}",
            product_code=code,  # type: ignore[arg-type]
            updated_at=STAMP,
        )
        for code, pid in PRODUCTS.items()
    ]


def _answer(n: int, product: str, request: dict[str, Any], **over: Any) -> PlanYear:
    """The plan year a server answers a create with (``over`` changes it)."""
    return create_answer(request, n=n, product=product, stamp=STAMP, **over)


def _style(text: str, **kwargs: object) -> str:
    return f"<{sorted(kwargs.items())}>{text}</>"


def _error(exc: BaseException) -> str:
    if isinstance(exc, UserError):
        return f"UserError: {exc}\n" + "\n".join(repr(p) for p in exc.problems)
    return f"{type(exc).__name__}: {exc}"


def _plan_outputs(name: str, plan: Plan, state: DesiredState) -> Iterator[tuple[str, str]]:
    record_inputs(plan, ["config"], state, {"x": 1})
    yield f"{name}/digest", str(plan.digest)
    yield f"{name}/text", render_text(plan)
    yield f"{name}/text-styled", render_text(plan, style=_style)
    yield f"{name}/json", render_json(plan)
    yield f"{name}/markdown", render_markdown(plan)
    yield f"{name}/warnings", repr(plan.warnings)
    for i, c in enumerate(plan.changes):
        where = f"{name}/change{i}"
        yield f"{where}/head", repr((c.action, c.key, c.live_id, c.blocked_reason, c.warnings))
        yield f"{where}/changes", repr(c.changes)
        yield f"{where}/request", repr(c.request) + json.dumps(c.request)
        yield f"{where}/then", repr(c.then_request) + json.dumps(c.then_request)
        yield f"{where}/after", repr(c.after)


def _checks(name: str, plan: Plan, live: list[PlanYear]) -> Iterator[tuple[str, str]]:
    """Server answers of every create (and of the updates) as apply and verify check them."""
    creates = [c for c in plan.changes if c.action == "create" and c.request is not None]
    updates = [c for c in plan.changes if c.action == "update" and c.request is not None]
    results: list[ActionResult] = []
    listed: list[PlanYear] = [p for p in live if all(p.id != c.live_id for c in updates)]
    for i, c in enumerate(creates):
        request = c.request or {}
        product = c.key.benefit_product
        cls = request["contribution_classes"]
        first = dict(cls[0], employer_contribution_cents=cls[0]["employer_contribution_cents"] + 1)
        variants: dict[str, PlanYear] = {
            "same": _answer(i, product, request),
            "amount": _answer(i, product, request, contribution_classes=[first, *cls[1:]]),
            "dropped": _answer(i, product, request, contribution_classes=cls[1:]),
            "extra": _answer(
                i,
                product,
                request,
                contribution_classes=[*cls, dict(cls[0], employment="seasonal")],
            ),
            "product": _answer(i, "bprd_other", request),
            "end": _answer(i, product, request, coverage_end="2099-12-31"),
            "employer": _answer(i, product, request, employer_id="empr_someone_else"),
            "status": _answer(i, product, request, status="open_enrollment"),
            "oe": _answer(i, product, request, open_enrollment_start_date="2020-01-01"),
        }
        body = PlanYearCreate.model_validate(request)
        for label, got in variants.items():
            yield f"{name}/create{i}/{label}/response", repr(response_mismatch(c, body, got))
            yield f"{name}/create{i}/{label}/create", repr(create_mismatch(c, body, got))
        kind = list(variants)[i % len(variants)]
        got = variants[kind]
        if i % 11 == 5:
            results.append(ActionResult(c, "created", got.id))  # missing: not listed
        elif i % 11 == 7:
            results.append(ActionResult(c, "failed", None, "boom"))
        else:
            results.append(ActionResult(c, "created", got.id))
            listed.append(got)
            if i % 13 == 3:  # a duplicate
                listed.append(_answer(90_000 + i, product, request))
    for k, c in enumerate(updates):
        old = next(p for p in live if p.id == c.live_id)
        request = c.request or {}
        body_u = PlanYearUpdate.model_validate(request)
        fields = {
            "contribution_classes": [
                {"id": f"ccls_u{k}_{j}", **x} for j, x in enumerate(request["contribution_classes"])
            ]
            if "contribution_classes" in request
            else [x.model_dump() for x in old.contribution_classes],
        }
        got = PlanYear.model_validate(old.model_dump() | fields)
        yield f"{name}/update{k}/same", repr(update_mismatch(c, body_u, got))
        yield f"{name}/update{k}/response", repr(response_mismatch(c, body_u, got))
        results.append(ActionResult(c, "updated", got.id))
        listed.append(got if k % 3 else old)
    client: Any = ListingClient(listed)
    yield f"{name}/verify", repr(asyncio.run(verify_after_write(results, client)))
    if creates:
        bad = replace(creates[0], request={**(creates[0].request or {}), "surprise": 1})
        try:
            out = repr(asyncio.run(verify_after_write([ActionResult(bad, "created", "x")], client)))
        except Exception as exc:
            out = _error(exc)
        yield f"{name}/verify-invalid", out


def _planned(
    name: str,
    state: DesiredState,
    live: list[PlanYear],
    *,
    today: date,
    inactive: tuple[str, ...] = (),
) -> Iterator[tuple[str, str]]:
    names = {py.employer_id: f"Live {py.employer_id}" for py in state.plan_years[::3]}
    try:
        live_state = LiveState.from_objects(state, _products(inactive), live, employer_names=names)
        plan = build_plan(
            state, live_state, today=today, base_url="http://golden/", created_at=STAMP
        )
    except Exception as exc:
        yield f"{name}/error", _error(exc)
        return
    yield from _plan_outputs(name, plan, state)
    yield from _checks(name, plan, live)


def _live_from(state: DesiredState, today: date, every: int) -> list[PlanYear]:
    """Live plan years for some of the desired ones (others are created): equal, with
    one amount changed, with a date changed, or locked."""
    live_state = LiveState.from_objects(state, _products(), [])
    empty = build_plan(state, live_state, today=today, base_url="http://x", created_at=STAMP)
    out: list[PlanYear] = []
    for i, c in enumerate(c for c in empty.changes if c.action == "create" and c.request):
        if i % every:
            continue
        request = c.request or {}
        cls = request["contribution_classes"]
        over: dict[str, Any] = {}
        if i % 4 == 1:
            first = dict(
                cls[0], employee_contribution_cents=cls[0]["employee_contribution_cents"] + 7
            )
            over["contribution_classes"] = [first, *cls[1:]]
        elif i % 4 == 2:
            over["open_enrollment_end_date"] = request["open_enrollment_start"]
        elif i % 4 == 3:
            over["status"] = "active"
            over["contribution_classes"] = cls[1:]
        out.append(_answer(50_000 + i, c.key.benefit_product, request, **over))
    return out


def _flat_estate(rng: random.Random, n: int) -> list[DesiredPlanYear]:
    shared = {
        (emp, tier): DesiredClass(emp, tier, 4500 + 1000 * t, 38000 + 8000 * t)
        for emp in ("full_time", "part_time")
        for t, tier in enumerate(TIERS)
    }
    out: list[DesiredPlanYear] = []
    for i in range(n):
        codes = ["MEC", "VD"] + (["VV"] if i % 5 == 0 else [])
        for code in codes:
            if i % 3 == 0:
                cls = dict(shared)  # the same class objects in many plan years
            else:
                cls = {
                    (emp, tier): DesiredClass(
                        emp, tier, rng.randint(0, 90_000), rng.randint(0, 10**6)
                    )
                    for emp in ("full_time", "part_time", "seasonal")[: 1 + i % 3]
                    for tier in ("Unspecified", *TIERS)
                    if rng.random() < 0.8
                } or {("full_time", "EE"): DesiredClass("full_time", "EE", 0, 0)}
            status = (None, "draft", "open_enrollment", "active", None, None)[i % 6]
            year = 2027 + i % 2
            out.append(
                DesiredPlanYear(
                    f"empr_g{i:04d}", code, date(year, 1, 1), date(year, 12, 31),
                    date(year - 1, 12, 1 + i % 5), date(year - 1, 12, 15), cls,
                    status=status, employer_name=f"Employer {i} & Söhne" if i % 4 else None,
                )
            )  # fmt: skip
    return out


def _odd(location: SourceLocation) -> list[tuple[str, DesiredPlanYear]]:
    """Plan years built by hand with values the loader would refuse."""
    src = Source("template", "odd", location, ("a", "b"))
    base_cls = {("full_time", "EE"): DesiredClass("full_time", "EE", 100, 200)}

    def py(cls: dict[tuple[str, str], DesiredClass], **kw: Any) -> DesiredPlanYear:
        fields: dict[str, Any] = {
            "employer_id": "empr_odd",
            "benefit_product": "MEC",
            "coverage_start": date(2027, 1, 1),
            "coverage_end": date(2027, 12, 31),
            "open_enrollment_start": date(2026, 12, 1),
            "open_enrollment_end": date(2026, 12, 15),
            "contribution_classes": cls,
            "provenance": {("contribution_classes",): src, ("coverage_end",): src},
        }
        fields.update(kw)
        return DesiredPlanYear(**fields)

    def one(emp: str, tier: str, ee: Any, er: Any) -> dict[tuple[str, str], DesiredClass]:
        return {(emp, tier): DesiredClass(emp, tier, ee, er)}

    return [
        ("negative", py(one("full_time", "EE", -1, 5))),
        ("huge", py(one("full_time", "EE", 2**53, 5))),
        ("max", py(one("full_time", "EE", 2**53 - 1, 0))),
        ("bool", py(one("full_time", "EE", True, 5))),
        ("float", py(one("full_time", "EE", 12.0, 5))),
        ("empty-employment", py(one("", "EE", 1, 5))),
        ("tier", py(one("full_time", "XX", 1, 5))),
        ("no-classes", py({})),
        ("status-bogus", py(base_cls, status="bogus")),
        ("status-draft", py(base_cls, status="draft")),
        ("status-active", py(base_cls, status="active")),
        ("key-mismatch", py({("a", "EE"): DesiredClass("b", "ES", 1, 2)})),
        (
            "dup-keys",
            py(
                {
                    ("a", "EE"): DesiredClass("x", "EE", 1, 2),
                    ("b", "EE"): DesiredClass("x", "EE", 3, 4),
                }
            ),
        ),
        ("datetime", py(base_cls, coverage_end=datetime(2027, 12, 31, 0, 0))),
        ("employer-int", py(base_cls, employer_id=7)),
        ("unicode", py(one("tiempo\u202ecompleto\x1b[31m", "EE", 1, 2), employer_name="X\nY")),
    ]


@contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def collect(tmp: Path) -> dict[str, str]:
    outputs: dict[str, str] = {}

    def add(items: Iterator[tuple[str, str]]) -> None:
        for key, value in items:
            assert key not in outputs, key
            outputs[key] = value

    far, near, past = date(2026, 10, 1), date(2026, 11, 28), date(2026, 12, 3)
    with _cwd(REPO):
        for example in ("quickstart", "rollout"):
            state = load_config([Path("examples") / example])
            for label, today in (("far", date(2031, 6, 1)), ("near", date(2031, 10, 29))):
                add(_planned(f"{example}/{label}", state, [], today=today))
            add(_planned(f"{example}/past", state, [], today=date(2031, 11, 3)))
            add(_planned(f"{example}/live", state, _live_from(state, far, 2), today=far))
    for label, make in (("every", every_action_plan), ("many", lambda: many_changes_plan(30))):
        plan = make()
        add(_plan_outputs(f"sample/{label}", plan, DesiredState([])))
    rng = random.Random(20261202)
    flat = _flat_estate(rng, 60)
    with _cwd(tmp):
        write_export(flat, Path("flat"), flat=True)
        state = load_config([Path("flat")])
    for label, today in (("far", far), ("near", near), ("past", past)):
        add(_planned(f"flat/{label}", state, [], today=today))
    add(_planned("flat/live", state, _live_from(state, far, 3), today=far))
    add(_planned("flat/inactive", state, [], today=far, inactive=("bprd_vision",)))
    overlap = _live_from(state, far, 7)
    shifted = [
        PlanYear.model_validate(p.model_dump() | {"coverage_start": date(2026, 12, 20)})
        for p in overlap
    ]
    add(_planned("flat/overlap", state, shifted, today=far))
    direct = DesiredState(flat[:40])  # not through the loader: no provenance at all
    add(_planned("direct/far", direct, [], today=far))
    for label, py in _odd(SourceLocation("odd.yaml", 3, 4)):
        add(_planned(f"odd/{label}", DesiredState([py]), [], today=far))
    return outputs


def _group(key: str) -> str:
    """Outputs are digested per plan and kind (``flat/far/change*/request``): a small
    fixture; ``--dump`` shows each output alone."""
    parts = key.split("/")
    return "/".join(p.rstrip("0123456789") + ("*" if p[-1:].isdigit() else "") for p in parts)


def _digests(outputs: dict[str, str]) -> dict[str, str]:
    groups: dict[str, hashlib._Hash] = {}
    for key, value in outputs.items():
        h = groups.setdefault(_group(key), hashlib.sha256())
        h.update(f"{len(key)}:{key}{len(value)}:{value}".encode("utf-8", "surrogatepass"))
    return {k: h.hexdigest() for k, h in groups.items()}


def test_create_path_outputs_are_unchanged(tmp_path: Path) -> None:
    golden: dict[str, str] = json.loads(GOLDEN.read_text())
    got = _digests(collect(tmp_path))
    assert sorted(got) == sorted(golden)
    differing = [k for k in golden if got[k] != golden[k]]
    assert not differing, f"{len(differing)} outputs differ, first: {differing[:10]}"


def _main(argv: list[str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        outputs = collect(Path(tmp))
    if argv[:1] == ["--write"]:
        GOLDEN.write_text(json.dumps(_digests(outputs), indent=1, sort_keys=True) + "\n")
        print(f"{len(outputs)} outputs digested into {GOLDEN}")
    elif argv[:1] == ["--dump"]:
        Path(argv[1]).write_text(json.dumps(outputs, indent=1, sort_keys=True) + "\n")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    _main(sys.argv[1:])
