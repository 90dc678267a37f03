"""The library API for planning and applying: what the CLI itself calls.

Typical use from a script (the CLI does exactly this)::

    import asyncio
    from vitable_config.api.client import VitableClient
    from vitable_config.api.settings import ClientSettings
    from vitable_config.engine.run import Scope, apply_plan, plan_config

    async def main() -> None:
        settings = ClientSettings.from_env()          # VITABLE_CONNECT_API_KEY
        async with VitableClient(settings) as client:
            plan = await plan_config(["config/"], client, scope=Scope(employers=["empr_r0*"]))
            print(plan.summary)                       # {'create': 2, 'update': 1, ...}
            result = await apply_plan(plan, client, concurrency=16)
            print(result.summary_line())              # Apply: 2 created, 1 updated, ...

    asyncio.run(main())

Errors the user can fix (bad config, unknown employer or product, a stale saved
plan, the safety cap) are raised as :class:`vitable_config.errors.UserError`.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vitable_config import collector
from vitable_config.desired import DesiredState
from vitable_config.engine.model import ApplyResult, Plan
from vitable_config.engine.ports import VitableApi
from vitable_config.engine.safety import SafetyPolicy, SafetyVerdict, check_safety
from vitable_config.engine.scope import Scope, filter_desired
from vitable_config.errors import UserError

if TYPE_CHECKING:
    from vitable_config.engine.apply import ApplyOptions, ProgressCallback
    from vitable_config.engine.export import export_live, write_export
    from vitable_config.engine.saved import check_base_url, load_plan, save_plan
    from vitable_config.policy.cost import Headcount

# Names this module re-exports from modules a plan does not need (apply, export, saved
# plans): imported on first use, so `plan` does not pay for them.
_LAZY = {
    "export_live": "vitable_config.engine.export",
    "write_export": "vitable_config.engine.export",
    "check_base_url": "vitable_config.engine.saved",
    "load_plan": "vitable_config.engine.saved",
    "save_plan": "vitable_config.engine.saved",
}

__all__ = [
    "ApplyResult",
    "Plan",
    "SafetyPolicy",
    "SafetyVerdict",
    "Scope",
    "apply_plan",
    "check_base_url",
    "check_safety",
    "export_live",
    "export_to_directory",
    "load_plan",
    "plan_config",
    "save_plan",
    "write_export",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


async def plan_config(
    paths_or_state: DesiredState | str | Path | Sequence[str | Path],
    client: VitableApi,
    *,
    scope: Scope | None = None,
    variables: dict[str, object] | None = None,
    today: date | None = None,
    base_url: str | None = None,
    headcount: Headcount | None = None,
    paths: Sequence[str | Path] | None = None,
) -> Plan:
    """Load the config (unless given a :class:`DesiredState`), read live state, build the plan.

    The plan carries the config's policy violations, and with a ``headcount``
    (:func:`vitable_config.policy.cost.read_headcount`) its cost impact.

    The plan records its config inputs (``paths`` as given — pass them when giving a
    :class:`DesiredState` — the files read and ``variables``) with their digest, and
    the plan digest (:mod:`vitable_config.engine.digest`).

    ``client`` implements :class:`~vitable_config.engine.ports.VitableApi` (the real
    :class:`vitable_config.api.client.VitableClient`, or a test fake). ``base_url``
    is what the plan records (default: the client's base URL); ``today`` is the
    date lock warnings are computed from (default: the API's date from its ``Date``
    header, else the local date).
    """
    if isinstance(paths_or_state, DesiredState):
        state = paths_or_state
    else:
        from vitable_config.config import load_config

        paths = [paths_or_state] if isinstance(paths_or_state, str | Path) else paths_or_state
        state = load_config(list(paths), variables)
    plan = await _plan_state(state, client, scope, today, base_url, headcount)
    return record_inputs(plan, paths, state, variables)


def record_inputs(
    plan: Plan,
    paths: Sequence[str | Path] | None,
    state: DesiredState,
    variables: dict[str, object] | None,
) -> Plan:
    """Record the config inputs and their digest in ``plan``, and the plan digest."""
    from vitable_config.engine.digest import inputs_digest, plan_digest

    files = list(state.files)
    plain_vars = json.loads(json.dumps(dict(variables or {}), default=str, sort_keys=True))
    digest = inputs_digest(files, plain_vars) if (files or plain_vars) else None
    plan.inputs = {
        "paths": [str(p) for p in paths or []],
        "files": files,
        "variables": plain_vars,
        "digest": digest,
    }
    plan.digest = plan_digest(plan, digest)
    return plan


def api_dialect_of(client: object) -> str | None:
    """The API dialect a client has spoken in this run (None: a fake, or not known yet).
    The same as :func:`vitable_config.engine.saved.api_dialect_of`, here so that a plan
    does not import the saved-plan machinery."""
    from vitable_config.api.wire import DialectState

    state = getattr(client, "dialect", None)
    return state.dialect if isinstance(state, DialectState) else None


async def _plan_state(
    state: DesiredState,
    client: VitableApi,
    scope: Scope | None,
    today: date | None,
    base_url: str | None,
    headcount: Headcount | None,
) -> Plan:
    from vitable_config.engine.live import read_live_state
    from vitable_config.engine.planner import build_plan

    scope = scope or Scope()
    codes: dict[str, str] | None = None
    if scope.products:
        # One extra request, so a product glob matches codes and bprd_ ids alike.
        products = await client.list_benefit_products()
        codes = {p.id: p.product_code for p in products}
        codes.update({p.product_code: p.id for p in products})
    scoped = filter_desired(state, scope, codes)
    recorded_url = base_url or client.settings.base_url
    if not scoped.plan_years:
        return Plan(
            changes=[],
            created_at=datetime.now(UTC),
            base_url=recorded_url,
            scope=scope.as_dict(),
            api_dialect=api_dialect_of(client),
        )
    live = await read_live_state(client, scoped)
    plan = build_plan(
        scoped,
        live,
        today=today or client.server_date or date.today(),
        base_url=recorded_url,
        scope=scope.as_dict(),
    )
    plan.api_dialect = api_dialect_of(client)
    if state.policies is None and headcount is None:
        return plan  # nothing to assess (the policy engine is not even imported)
    from vitable_config.policy.evaluate import assess_plan

    return assess_plan(plan, state.policies, headcount)


async def apply_plan(
    plan: Plan,
    client: VitableApi,
    *,
    concurrency: int = 16,
    progress: ProgressCallback | None = None,
    verify_fresh: bool = False,
    safety: SafetyPolicy | None = None,
    options: ApplyOptions | None = None,
    reread: bool = True,
    verify: bool = True,
    stop: asyncio.Event | None = None,
    abandon: asyncio.Event | None = None,
) -> ApplyResult:
    """Apply ``plan``'s creates and updates; return one result per action.

    Right before the first write, the live state of every key the plan writes is
    re-read in bulk: with ``verify_fresh=True`` (saved plans) any difference from
    the plan's fingerprints and absent keys raises :class:`UserError` (nothing is
    written); otherwise (``reread``) each change whose key or fingerprint no longer
    matches is dropped as stale (``result.stale``; never sent). After the last write
    (``verify``) every touched key is re-read in bulk: duplicates and mismatches are
    listed in ``result.verification``. The safety cap (``safety``, default
    :class:`SafetyPolicy()`) is checked again here; a refusal raises :class:`UserError`.
    ``stop``/``abandon``: see :func:`~vitable_config.engine.apply.apply_changes`.
    """
    verdict = check_safety(plan, safety or SafetyPolicy())
    if not verdict.allowed:
        raise UserError(verdict.message or "safety cap exceeded")
    # The plan, the config and the live state it was made from are not scanned by the
    # cyclic collector while the writes run (each scan of them held up every request
    # in flight).
    with collector.existing_objects_frozen():
        return await _apply_plan(
            plan, client, concurrency, progress, verify_fresh, options, reread, verify, stop,
            abandon,
        )  # fmt: skip


async def _apply_plan(
    plan: Plan,
    client: VitableApi,
    concurrency: int,
    progress: ProgressCallback | None,
    verify_fresh: bool,
    options: ApplyOptions | None,
    reread: bool,
    verify: bool,
    stop: asyncio.Event | None,
    abandon: asyncio.Event | None,
) -> ApplyResult:
    from vitable_config.engine.apply import ApplyOptions, apply_changes
    from vitable_config.engine.guard import reread_before_write, verify_after_write
    from vitable_config.engine.saved import ensure_fresh

    stale = []
    if verify_fresh:
        await ensure_fresh(plan, client)
    elif reread:
        stale = await reread_before_write(plan, client)
    dropped = {id(s.change) for s in stale}
    changes = [c for c in plan.actionable() if id(c) not in dropped]
    opts = options or ApplyOptions(concurrency=concurrency)
    result = await apply_changes(
        plan,
        client,
        options=opts,
        progress=progress,
        changes=changes,
        stop=stop,
        abandon=abandon,
    )
    result.stale = [s.line() for s in stale]
    if verify and not (abandon is not None and abandon.is_set()):
        try:
            result.verification = await verify_after_write(result.results, client)
            result.verified = True
        except Exception as exc:  # a failed re-read must not hide the results
            result.verification = [
                f"could not verify after writing ({type(exc).__name__}: {exc}); run plan"
            ]
    return result


async def export_to_directory(
    client: VitableApi, directory: str | Path, *, scope: Scope | None = None
) -> list[Path]:
    """Export the live plan years in ``scope`` as config files in ``directory``."""
    from vitable_config.engine.export import export_live, write_export

    plan_years = await export_live(client, scope=scope)
    return write_export(plan_years, directory)
