"""Saved plans: ``plan --out FILE`` writes one, ``apply FILE`` checks and applies it.

A saved plan is the JSON document of :mod:`vitable_config.engine.serialize`
(``format_version``, every change with its API request, the fingerprint of every
live plan year the plan read, and the natural keys that were absent). It never
contains the API key.

Before anything is written, ``apply FILE`` checks that the plan was made against
the same API (base URL) speaking the same dialect (``api_dialect``; the first read
shows the server's), and re-reads every fingerprinted plan year and every
absent key — in bulk, one list per product (or per product and employer when
there are few employers) — and refuses a stale plan:

    plan is stale: plan year plyr_x changed since the plan was made; run plan again
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from vitable_config.api.errors import NotFoundError
from vitable_config.api.models import PlanYear
from vitable_config.api.wire import DialectState
from vitable_config.engine.guard import read_pairs
from vitable_config.engine.live import fingerprint
from vitable_config.engine.model import Plan
from vitable_config.engine.ports import VitableApi
from vitable_config.engine.serialize import plan_from_dict, plan_to_dict
from vitable_config.errors import Problem, SourceLocation, UserError


def save_plan(plan: Plan, path: str | Path) -> Path:
    """Write ``plan`` as JSON to ``path`` atomically (temp file + rename)."""
    target = Path(path)
    text = json.dumps(plan_to_dict(plan), indent=2, sort_keys=False) + "\n"
    directory = target.parent if str(target.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def is_saved_plan(path: str | Path) -> bool:
    """True if ``path`` is a file that looks like a saved plan (JSON, not config YAML)."""
    p = Path(path)
    if not p.is_file():
        return False
    if p.suffix.lower() == ".json":
        return True
    if p.suffix.lower() in (".yaml", ".yml"):
        return False
    try:
        with p.open("rb") as fh:
            head = fh.read(64).lstrip()
    except OSError:
        return False
    return head.startswith(b"{")


def load_plan(path: str | Path) -> Plan:
    """Read a saved plan; raise :class:`UserError` (with file:line) if it is not one."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read saved plan {p}: {exc}") from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        where = SourceLocation(str(p), exc.lineno, exc.colno)
        raise UserError.from_problems(
            [
                Problem(
                    f"not a saved plan (invalid JSON: {exc.msg})",
                    where,
                    hint="create one with: vitable-config plan PATH --out FILE",
                )
            ],
            f"cannot load saved plan {p}: it is not valid JSON (cut short or edited by hand?)",
        ) from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise UserError(
            f"{p} is not a saved plan (no format_version); "
            "create one with: vitable-config plan PATH --out FILE"
        )
    try:
        return plan_from_dict(data)  # checks the format version (the one check)
    except UserError as exc:
        raise UserError(f"{p}: {exc.message}") from None


def check_base_url(plan: Plan, base_url: str) -> None:
    """Refuse to apply a plan made against a different API."""
    made, target = plan.base_url.rstrip("/"), base_url.rstrip("/")
    if made != target:
        raise UserError(
            f"the saved plan was made against {made}, but this run targets {target}; "
            "pass the same --base-url (or --sandbox) as for plan, or run plan again"
        )


def api_dialect_of(client: object) -> str | None:
    """The API dialect a client has spoken in this run (None: a fake, or not known yet)."""
    state = getattr(client, "dialect", None)
    return state.dialect if isinstance(state, DialectState) else None


def expect_plan_dialect(plan: Plan, client: object) -> None:
    """A saved plan is applied only to an API of the dialect it was made in: raise
    :class:`UserError` at the first read that shows the other dialect (before any write)."""
    state = getattr(client, "dialect", None)
    if plan.api_dialect is not None and isinstance(state, DialectState):
        state.expect(plan.api_dialect, "the saved plan was made against an API that")


async def find_stale(plan: Plan, client: VitableApi) -> list[str]:
    """Re-read what the plan depends on; return one line per difference (empty = fresh).

    A 404 for one plan year means it was deleted; a 404 because the API no longer
    serves plan years at all is :class:`~vitable_config.api.wire.ApiMovedError`
    (raised by the client, not a NotFoundError), never "no longer exists"."""
    expect_plan_dialect(plan, client)
    pair_of: dict[str, tuple[str, str]] = {}
    for change in plan.changes:
        if change.live_id and change.live_id in plan.fingerprints:
            pair_of[change.live_id] = (change.key.benefit_product, change.key.employer_id)
    pairs: set[tuple[str, str]] = set(pair_of.values())
    pairs |= {(k.benefit_product, k.employer_id) for k in plan.absent_keys}

    live = await read_pairs(client, pairs)
    by_id = {py.id: py for py in live}
    orphans = [i for i in plan.fingerprints if i not in pair_of]
    if orphans:
        fetched = await asyncio.gather(*(_get_or_none(client, i) for i in orphans))
        by_id.update({py.id: py for py in fetched if py is not None})

    stale: list[str] = []
    for live_id, expected in sorted(plan.fingerprints.items()):
        current = by_id.get(live_id)
        if current is None:
            stale.append(f"plan year {live_id} no longer exists")
        elif fingerprint(current) != expected:
            stale.append(f"plan year {live_id} changed since the plan was made")
    absent = {(k.employer_id, k.benefit_product, k.coverage_start): k for k in plan.absent_keys}
    for py in sorted(by_id.values(), key=lambda p: p.id):
        if py.id in plan.fingerprints:
            continue
        key = absent.get((py.employer_id, py.benefit_product_id, py.coverage_start))
        if key is not None:
            stale.append(f"plan year {py.id} for {key} was created since the plan was made")
        elif (py.benefit_product_id, py.employer_id) in pairs:
            stale.append(
                f"plan year {py.id} ({py.employer_id}/{py.benefit_product_id}/"
                f"{py.coverage_start.isoformat()}) appeared since the plan was made"
            )
    return stale


async def ensure_fresh(plan: Plan, client: VitableApi) -> None:
    """Raise :class:`UserError` if the saved plan is stale; write nothing either way."""
    stale = await find_stale(plan, client)
    if stale:
        _raise_stale(stale)


def stale_against(plan: Plan, derived: Plan) -> list[str]:
    """:func:`find_stale`'s lines, from a plan re-derived just now (same config, so
    the same pairs were read): no second read of the live state."""
    stale: list[str] = []
    referenced = {c.live_id for c in plan.changes if c.live_id}
    for live_id, expected in sorted(plan.fingerprints.items()):
        current = derived.fingerprints.get(live_id)
        if current is None:
            if live_id in referenced:
                stale.append(f"plan year {live_id} no longer exists")
        elif current != expected:
            stale.append(f"plan year {live_id} changed since the plan was made")
    absent = {(k.employer_id, k.benefit_product, k.coverage_start) for k in plan.absent_keys}
    # Live plan years of the managed (employer, product) pairs, as the derived plan saw them.
    live_keys = {
        c.live_id: (c.key.employer_id, c.key.benefit_product, c.key.coverage_start)
        for c in derived.changes
        if c.live_id
    }
    for live_id in sorted(set(live_keys) - set(plan.fingerprints)):
        key = live_keys[live_id]
        if key in absent:
            stale.append(
                f"plan year {live_id} for {key[0]}/{key[1]}/{key[2].isoformat()} was created "
                "since the plan was made"
            )
        else:
            stale.append(f"plan year {live_id} appeared since the plan was made")
    return stale


def _already_applied(plan: Plan, derived: Plan) -> bool:
    """Every create and update of the saved plan is now live as planned: the plan re-derived
    from the same config and the live state has nothing left to do for those keys."""
    wanted = {c.key for c in plan.actionable()}
    if not wanted:
        return False
    now = {c.key: c.action for c in derived.changes}
    return all(now.get(key) == "unchanged" for key in wanted)


def _raise_stale(stale: list[str]) -> None:
    if len(stale) == 1:
        raise UserError(f"plan is stale: {stale[0]}; run plan again")
    raise UserError.from_problems(
        [Problem(s) for s in stale],
        f"plan is stale: {len(stale)} live plan years differ from when the plan was made; "
        "run plan again",
    )


async def _get_or_none(client: VitableApi, plan_year_id: str) -> PlanYear | None:
    try:
        return await client.get_plan_year(plan_year_id)
    except NotFoundError:
        return None


def _scope_from_record(record: dict[str, Any]) -> Any:
    from vitable_config.engine.scope import Scope, parse_shard

    shard = record.get("shard")
    return Scope(
        employers=tuple(record.get("employers") or ()),
        products=tuple(record.get("products") or ()),
        shard=parse_shard(shard) if shard else None,
    )


async def ensure_rederived(plan: Plan, client: VitableApi, *, today: Any = None) -> Plan:
    """Refuse a saved plan unless the config and the live state give exactly its actions.

    The plan's recorded config inputs are re-read (their digest must match: else the
    config changed since the plan was made), the plan is re-derived from them and the
    live state, and its creates, updates and blocked changes (key, live id, request)
    must be identical to the file's. Raises :class:`UserError` (nothing written);
    returns the re-derived plan.
    """
    from vitable_config.config import load_config
    from vitable_config.engine.digest import action_differences, inputs_digest
    from vitable_config.engine.run import plan_config

    expect_plan_dialect(plan, client)  # before the first read, as find_stale does
    inputs = plan.inputs or {}
    paths = inputs.get("paths") or []
    refuse = "refusing the saved plan (nothing was written)"
    if not paths:
        raise UserError(
            f"{refuse}: it does not record the config it was made from, so what it would "
            "apply cannot be checked; make it again with: vitable-config plan PATH --out FILE"
        )
    variables = inputs.get("variables") or {}
    recorded = inputs.get("digest")
    if inputs_digest(inputs.get("files") or [], variables) != recorded:
        raise UserError(
            f"plan is stale: the config changed since the plan was made (its inputs digest "
            f"is {recorded}, the files now give another); {refuse}; run plan again"
        )
    state = load_config(list(paths), dict(variables) or None)
    if inputs_digest(state.files, variables) != recorded:
        raise UserError(
            "plan is stale: the config changed since the plan was made (it now reads other "
            f"files); {refuse}; run plan again"
        )
    derived = await plan_config(
        state,
        client,
        scope=_scope_from_record(plan.scope),
        variables=dict(variables),
        today=today,
        base_url=plan.base_url,
        paths=list(paths),
    )
    stale = stale_against(plan, derived)
    if stale and _already_applied(plan, derived):
        n = len(plan.actionable())
        raise UserError(
            f"plan is stale: it has already been applied — all {n} of its change"
            f"{'s are' if n != 1 else ' is'} live and the config and the live API agree; "
            "nothing to do (run plan again to see the current state)"
        )
    if stale:
        _raise_stale(stale)
    diffs = action_differences(plan.changes, derived.changes)
    if not diffs and plan.digest != derived.digest:
        diffs = [f"its digest {plan.digest} is not the digest of its actions ({derived.digest})"]
    if diffs:
        raise UserError.from_problems(
            [Problem(d) for d in diffs],
            f"{refuse}: its actions are not what the config and the live state give "
            "(edited after it was made?); run plan again and review it",
        )
    return derived
