"""Execute a plan's creates and updates against the API, concurrently and safely.

Guarantees (each tested end to end against the sandbox):

* Bounded concurrency (an :class:`asyncio.Semaphore`); one action failing never
  stops the others; every action ends as ``created``, ``updated``, ``failed``
  or ``skipped`` with the error text.
* **No duplicate plan years.** The API has no idempotency key, so a create whose
  outcome is unknown (timeout, dropped connection, 5xx — the client raises
  :class:`~vitable_config.api.errors.OutcomeUnknownError`) is resolved by
  re-reading the plan years of that employer and product and matching the
  coverage start *before* any retry. Found → ``created`` (``recovered=True``);
  not found → the create is retried, at most ``create_attempts`` times in all;
  still unknown → ``failed`` with "outcome unknown; re-run to converge".
  After a *timeout* the re-read waits ``timeout_settle_seconds`` (1 s) first, as
  the server may still be working on the request; a 5xx or a dropped connection
  means the server is done, so the re-read is immediate.
* A 409 on create is not success: the plan years are re-read, and only if one
  with the same key *and the desired content* now exists is the action
  ``created`` (recovered); otherwise it fails with the server's message.
* Updates are PUTs (idempotent; the client retries them). A 409
  ``plan_year_locked`` fails with "locked since …".
* Never success for an action that did not happen, nor failure for one that did.
  Running the same config again after any failure converges.

Apply works only from each change's ``key``, ``live_id`` and ``request`` — the
fields a saved plan file keeps — so ``apply FILE`` behaves exactly like
``apply PATH``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from vitable_config.api.errors import (
    ApiError,
    ConflictError,
    OutcomeUnknownError,
    TransportError,
    UnexpectedResponseError,
)
from vitable_config.api.models import PlanYear, PlanYearCreate, PlanYearUpdate
from vitable_config.domain import fields as F
from vitable_config.engine.model import ActionResult, ApplyResult, Plan, PlanYearChange
from vitable_config.engine.ports import VitableApi

log = logging.getLogger("vitable_config.apply")

DEFAULT_CONCURRENCY = 16
DEFAULT_CREATE_ATTEMPTS = 3

ProgressCallback = Callable[[ActionResult], None]


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    concurrency: int = DEFAULT_CONCURRENCY
    create_attempts: int = DEFAULT_CREATE_ATTEMPTS
    # Pause before re-reading after an unknown outcome, so that a request the
    # server may still be processing has landed: after a timeout (the server may
    # not have finished) and after any other unknown outcome (5xx, dropped
    # connection: the server has answered or closed, so it has finished).
    timeout_settle_seconds: float = 1.0
    settle_seconds: float = 0.0


async def apply_changes(
    plan: Plan,
    client: VitableApi,
    *,
    options: ApplyOptions | None = None,
    progress: ProgressCallback | None = None,
) -> ApplyResult:
    """Run every create and update of ``plan``; results keep the plan's order."""
    opts = options or ApplyOptions()
    if opts.concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    limit = asyncio.Semaphore(opts.concurrency)
    actions = plan.actionable()

    async def run_one(change: PlanYearChange) -> ActionResult:
        async with limit:
            result = await _apply_one(change, client, opts)
        if progress is not None:
            progress(result)
        return result

    results = await asyncio.gather(*(run_one(c) for c in actions))
    return ApplyResult(results=list(results))


async def _apply_one(
    change: PlanYearChange, client: VitableApi, opts: ApplyOptions
) -> ActionResult:
    if change.request is None:
        return ActionResult(change, "skipped", change.live_id, "the plan has no request for it")
    try:
        if change.action == "create":
            return await _create(change, client, opts)
        if change.action == "update":
            return await _update(change, client)
    except Exception as exc:  # one action's bug or surprise must not stop the others
        log.debug("unexpected error applying %s", change.key, exc_info=True)
        what = "outcome unknown; re-run to converge" if change.action == "create" else "failed"
        return ActionResult(change, "failed", change.live_id, f"{what}: {_describe(exc)}")
    return ActionResult(change, "skipped", change.live_id, f"nothing to do for {change.action}")


async def _create(change: PlanYearChange, client: VitableApi, opts: ApplyOptions) -> ActionResult:
    body = PlanYearCreate.model_validate(change.request)
    product_id = change.key.benefit_product
    last_reason = ""
    for attempt in range(1, max(1, opts.create_attempts) + 1):
        try:
            created = await client.create_plan_year(product_id, body)
            return ActionResult(change, "created", created.id)
        except OutcomeUnknownError as exc:
            last_reason = exc.reason
            log.info("create %s attempt %d: outcome unknown (%s)", change.key, attempt, exc.reason)
            settle = opts.settle_seconds
            if "timeout" in exc.reason.lower():
                settle = max(settle, opts.timeout_settle_seconds)
            if settle > 0:
                await asyncio.sleep(settle)
            try:
                found = await _find_by_key(client, product_id, body)
            except Exception as read_exc:
                # Cannot tell whether it was committed: do not retry blindly.
                return ActionResult(
                    change,
                    "failed",
                    None,
                    f"outcome unknown ({exc.reason}) and re-reading failed "
                    f"({_describe(read_exc)}); re-run to converge",
                )
            if found is not None:
                return ActionResult(change, "created", found.id, None, recovered=True)
            # Definitely not committed: safe to send again.
        except UnexpectedResponseError as exc:
            if not 200 <= exc.status < 300:
                return ActionResult(change, "failed", None, _describe(exc))
            # The server accepted the create but its answer could not be read: it was
            # committed, so find it (never send it again, never report it failed).
            try:
                found = await _find_by_key(client, product_id, body)
            except Exception as read_exc:
                return ActionResult(
                    change,
                    "failed",
                    None,
                    f"the API accepted the create ({exc.status}) but its answer was unreadable "
                    f"and re-reading failed ({_describe(read_exc)}); run plan to confirm",
                )
            if found is not None:
                return ActionResult(change, "created", found.id, None, recovered=True)
            return ActionResult(
                change,
                "failed",
                None,
                f"the API accepted the create ({exc.status}) but no plan year was found for it; "
                "run plan to confirm",
            )
        except ConflictError as exc:
            try:
                found = await _find_by_key(client, product_id, body)
            except Exception:  # the 409 stands: nothing was created by us
                return ActionResult(change, "failed", None, _describe(exc))
            if found is not None and _same_content(found, body):
                return ActionResult(change, "created", found.id, None, recovered=True)
            return ActionResult(change, "failed", found.id if found else None, _describe(exc))
        except (ApiError, TransportError) as exc:  # definite: nothing was written
            return ActionResult(change, "failed", None, _describe(exc))
    return ActionResult(
        change,
        "failed",
        None,
        f"outcome unknown after {opts.create_attempts} attempts ({last_reason}); "
        "no plan year was found for it; re-run to converge",
    )


async def _update(change: PlanYearChange, client: VitableApi) -> ActionResult:
    assert change.live_id is not None, "an update always has a live id"
    body = PlanYearUpdate.model_validate(change.request)
    try:
        updated = await client.update_plan_year(change.live_id, body)
    except (ApiError, TransportError) as exc:
        if isinstance(exc, UnexpectedResponseError) and 200 <= exc.status < 300:
            return await _applied_unreadable(change, client, body, exc)
        # The client retries a PUT; an earlier attempt may have committed before the
        # last one failed (500 after the write, then 429s). Read before saying "failed".
        confirmed = await _update_is_live(client, change.live_id, body)
        if confirmed is True:
            return ActionResult(
                change,
                "updated",
                change.live_id,
                f"the last attempt failed ({_describe(exc)}) but re-reading shows the "
                "update was applied",
            )
        if isinstance(exc, ConflictError) and exc.app_error_code == "plan_year_locked":
            return ActionResult(
                change, "failed", change.live_id, await _locked_message(change, client, exc)
            )
        if confirmed is None:
            return ActionResult(
                change,
                "failed",
                change.live_id,
                f"outcome unknown: {_describe(exc)}, and re-reading the plan year failed; "
                "re-run to converge",
            )
        return ActionResult(change, "failed", change.live_id, _describe(exc))
    return ActionResult(change, "updated", updated.id)


async def _applied_unreadable(
    change: PlanYearChange, client: VitableApi, body: PlanYearUpdate, exc: ApiError
) -> ActionResult:
    """A PUT the API answered 2xx but whose body could not be read: it was applied (the
    API said so); a re-read confirms it. Never "failed" unless the re-read shows otherwise."""
    live_id = change.live_id or ""
    answered = f"the API answered {exc.status} but its response was unreadable ({exc.message})"
    confirmed = await _update_is_live(client, live_id, body)
    if confirmed is False:
        return ActionResult(
            change,
            "failed",
            live_id,
            f"{answered}, and re-reading shows the change is not live; run plan again",
        )
    check = "re-reading confirms it" if confirmed else "re-reading failed: run plan to confirm"
    return ActionResult(
        change, "updated", live_id, f"applied, response unreadable: {answered}; {check}"
    )


async def _update_is_live(
    client: VitableApi, plan_year_id: str, body: PlanYearUpdate
) -> bool | None:
    """Does the live plan year already carry every field of ``body``? None: unreadable."""
    try:
        live = await client.get_plan_year(plan_year_id)
    except Exception:
        log.debug("could not re-read plan year %s after a failed update", plan_year_id)
        return None
    return not F.request_matches_live(_fields_of(body), live)


def _fields_of(body: PlanYearCreate | PlanYearUpdate) -> dict[str, Any]:
    """A request model's fields by canonical name (unset ones are None)."""
    return {name: getattr(body, name) for name in type(body).model_fields}


async def _find_by_key(
    client: VitableApi, product_id: str, body: PlanYearCreate
) -> PlanYear | None:
    live = await client.list_plan_years(product_id, employer_id=body.employer_id)
    for py in live:
        if py.employer_id == body.employer_id and py.coverage_start == body.coverage_start:
            return py
    return None


def _same_content(live: PlanYear, body: PlanYearCreate) -> bool:
    """Does the live plan year carry exactly what the create would have written?"""
    return not F.request_matches_live(_fields_of(body), live)


async def _locked_message(change: PlanYearChange, client: VitableApi, exc: ApiError) -> str:
    status: str | None = change.live_status
    since: date | None = None
    try:
        live = await client.get_plan_year(change.live_id or "")
        status = live.status
        since = F.status_since(live.status, F.live_dates(live))
    except Exception:  # the message is still useful without the details
        log.debug("could not re-read locked plan year %s", change.live_id, exc_info=True)
    when = f" since {since.isoformat()}" if since else ""
    state = f" (status {status}{when})" if status else ""
    return (
        f"plan year {change.live_id} is locked{state}: the API only allows edits until "
        f"open enrollment starts. Server said: {exc.message}"
    )


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return text if text else type(exc).__name__
