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
  still unknown → ``unknown`` with "outcome unknown — re-run later to converge".
  A 5xx or a dropped connection means the server is done, so that re-read is
  immediate. A *timeout* is different: the server may still be working on the
  request and commit it later, so a timed-out create is **never sent again** in
  the run: once the run's other work is done it is re-read (after
  ``timeout_settle_seconds``, then once a second for up to ``unknown_wait_seconds``);
  found → ``created`` (recovered), still absent → ``unknown``.
* Every write answer is checked against its request (employer, product, dates,
  classes; the plan year id for a PUT): a mismatch is ``failed`` with both values.
* A request that contradicts its own key, or fails local validation, is never
  sent: ``failed`` with "not sent: …".
* ``stop`` (the first SIGINT/SIGTERM): no new request is started, in-flight ones
  finish; ``abandon`` (the second): in-flight ones are abandoned as ``unknown``.
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
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

from pydantic import ValidationError

from vitable_config.api.errors import (
    ApiError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    TransportError,
    UnexpectedResponseError,
)
from vitable_config.api.models import PlanYear, PlanYearCreate, PlanYearUpdate
from vitable_config.domain import fields as F
from vitable_config.engine.guard import request_problem, response_mismatch
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
    # How long a timed-out create is re-read (once a second, after the run's other
    # work) before it is reported "outcome unknown". Never re-sent meanwhile.
    unknown_wait_seconds: float = 5.0


@dataclass(slots=True)
class _TimedOut:
    """A create whose POST timed out: resolved by re-reading after the other work."""

    change: PlanYearChange
    body: PlanYearCreate
    reason: str
    at: float


async def apply_changes(
    plan: Plan,
    client: VitableApi,
    *,
    options: ApplyOptions | None = None,
    progress: ProgressCallback | None = None,
    changes: Sequence[PlanYearChange] | None = None,
    stop: asyncio.Event | None = None,
    abandon: asyncio.Event | None = None,
) -> ApplyResult:
    """Run every create and update of ``plan`` (or ``changes``); results keep plan order.

    ``stop`` set: actions not yet started are skipped ("not started"); ``abandon``
    set: in-flight actions are cancelled and reported ``unknown``.
    """
    opts = options or ApplyOptions()
    if opts.concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    limit = asyncio.Semaphore(opts.concurrency)
    actions = list(changes) if changes is not None else plan.actionable()
    timed_out: dict[int, _TimedOut] = {}
    not_started = 0

    async def run_one(i: int, change: PlanYearChange) -> ActionResult:
        nonlocal not_started
        async with limit:
            if stop is not None and stop.is_set():
                not_started += 1
                return ActionResult(
                    change, "skipped", change.live_id, "not started: apply was interrupted"
                )
            outcome = await _guarded(_apply_one(change, client, opts), change, abandon)
        if isinstance(outcome, _TimedOut):
            timed_out[i] = outcome
            return ActionResult(change, "unknown", None, f"outcome unknown ({outcome.reason})")
        if progress is not None:
            progress(outcome)
        return outcome

    results = list(await asyncio.gather(*(run_one(i, c) for i, c in enumerate(actions))))
    if timed_out:
        interrupted = stop is not None and stop.is_set()
        resolved = await asyncio.gather(
            *(
                _guarded(_resolve_timed_out(t, client, opts, quick=interrupted), t.change, abandon)
                for t in timed_out.values()
            )
        )
        for i, r in zip(timed_out, resolved, strict=True):
            assert isinstance(r, ActionResult)
            if not (abandon is not None and abandon.is_set()):
                r = await _follow_up(r.change, r, client)
            results[i] = r
            if progress is not None:
                progress(r)
    interrupted = stop is not None and stop.is_set()
    return ApplyResult(results=results, interrupted=interrupted, not_started=not_started)


async def _guarded(
    work: Coroutine[Any, Any, ActionResult | _TimedOut],
    change: PlanYearChange,
    abandon: asyncio.Event | None,
) -> ActionResult | _TimedOut:
    """``work``, unless ``abandon`` is set first: then it is cancelled (outcome unknown)."""
    if abandon is None:
        return await work
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(abandon.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    return ActionResult(
        change,
        "unknown",
        change.live_id,
        "abandoned in flight by a second interrupt: outcome unknown — re-run later to converge",
    )


async def _resolve_timed_out(
    t: _TimedOut, client: VitableApi, opts: ApplyOptions, *, quick: bool
) -> ActionResult:
    """Re-read a timed-out create until it shows up or the wait is over; never re-send."""
    loop = asyncio.get_running_loop()
    settle = max(opts.settle_seconds, opts.timeout_settle_seconds)
    wait = t.at + settle - loop.time()
    if wait > 0:
        await asyncio.sleep(wait)
    deadline = loop.time() + (0.0 if quick else max(0.0, opts.unknown_wait_seconds))
    last_error = ""
    while True:
        try:
            found = await _find_by_key(client, t.change.key.benefit_product, t.body)
            last_error = ""
        except Exception as read_exc:
            found, last_error = None, f"; re-reading failed ({_describe(read_exc)})"
        if found is not None:
            return _created(t.change, t.body, found, recovered=True)
        if loop.time() >= deadline:
            break
        await asyncio.sleep(min(1.0, max(0.0, deadline - loop.time())))
    return ActionResult(
        t.change,
        "unknown",
        None,
        f"outcome unknown ({t.reason}){last_error}: no plan year has appeared for it, and it "
        "was not sent again (the API has no idempotency key) — re-run later to converge",
    )


async def _follow_up(
    change: PlanYearChange, result: ActionResult, client: VitableApi
) -> ActionResult:
    """A created plan year's follow-up PUT (the fields a create cannot carry)."""
    if result.status != "created" or change.then_request is None or result.live_id is None:
        return result
    new_id = result.live_id
    body = PlanYearUpdate.model_validate(change.then_request)
    what = ", ".join(f"{k} {v}" for k, v in sorted(change.then_request.items()))
    try:
        updated = await client.update_plan_year(new_id, body)
    except (ApiError, TransportError) as exc:
        if await _update_is_live(client, new_id, body) is True:
            return ActionResult(
                change, "created", new_id, f"then set {what}", recovered=result.recovered
            )
        return ActionResult(
            change,
            "failed",
            new_id,
            f"created as {new_id}, but the PUT right after the create to set {what} failed "
            f"({_describe(exc)}); run apply again to set it",
        )
    mismatch = response_mismatch(replace(change, live_id=new_id), body, updated)
    if mismatch is not None:
        return ActionResult(change, "failed", new_id, f"created as {new_id}, but {mismatch}")
    return ActionResult(
        change,
        "created",
        new_id,
        f"then set {what} (a PUT right after the create)",
        recovered=result.recovered,
    )


def _created(
    change: PlanYearChange, body: PlanYearCreate, got: PlanYear, *, recovered: bool = False
) -> ActionResult:
    """``created``, unless the plan year the API answered with is not what was asked."""
    mismatch = response_mismatch(change, body, got)
    if mismatch is not None:
        return ActionResult(change, "failed", got.id, mismatch)
    return ActionResult(change, "created", got.id, None, recovered=recovered)


async def _apply_one(
    change: PlanYearChange, client: VitableApi, opts: ApplyOptions
) -> ActionResult | _TimedOut:
    if change.request is None:
        return ActionResult(change, "skipped", change.live_id, "the plan has no request for it")
    problem = request_problem(change)
    if problem is not None:
        return ActionResult(change, "failed", change.live_id, f"not sent: {problem}")
    body: PlanYearCreate | PlanYearUpdate
    try:
        if change.action == "create":
            body = PlanYearCreate.model_validate(change.request)
        elif change.action == "update":
            body = PlanYearUpdate.model_validate(change.request)
        else:
            return ActionResult(
                change, "skipped", change.live_id, f"nothing to do for {change.action}"
            )
    except ValidationError as exc:
        return ActionResult(
            change,
            "failed",
            change.live_id,
            f"not sent: the request is invalid ({exc.error_count()} problem(s): "
            f"{exc.errors()[0]['msg']})",
        )
    try:
        if isinstance(body, PlanYearCreate):
            outcome = await _create(change, body, client, opts)
            if isinstance(outcome, ActionResult):
                return await _follow_up(change, outcome, client)
            return outcome
        return await _update(change, body, client)
    except Exception as exc:  # one action's bug or surprise must not stop the others
        log.debug("unexpected error applying %s", change.key, exc_info=True)
        return ActionResult(
            change,
            "unknown",
            change.live_id,
            f"outcome unknown ({_describe(exc)}) — re-run later to converge",
        )


async def _create(
    change: PlanYearChange, body: PlanYearCreate, client: VitableApi, opts: ApplyOptions
) -> ActionResult | _TimedOut:
    product_id = change.key.benefit_product
    last_reason = ""
    for attempt in range(1, max(1, opts.create_attempts) + 1):
        try:
            created = await client.create_plan_year(product_id, body)
            return _created(change, body, created)
        except OutcomeUnknownError as exc:
            last_reason = exc.reason
            log.info("create %s attempt %d: outcome unknown (%s)", change.key, attempt, exc.reason)
            if "timeout" in exc.reason.lower() or "timed out" in exc.reason.lower():
                # The server may still commit it: never send it again in this run.
                return _TimedOut(change, body, exc.reason, asyncio.get_running_loop().time())
            if opts.settle_seconds > 0:
                await asyncio.sleep(opts.settle_seconds)
            try:
                found = await _find_by_key(client, product_id, body)
            except Exception as read_exc:
                # Cannot tell whether it was committed: do not retry blindly.
                return ActionResult(
                    change,
                    "unknown",
                    None,
                    f"outcome unknown ({exc.reason}) and re-reading failed "
                    f"({_describe(read_exc)}) — re-run later to converge",
                )
            if found is not None:
                return _created(change, body, found, recovered=True)
            # Definitely not committed (the server answered or closed): safe to send again.
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
                    "unknown",
                    None,
                    f"the API accepted the create ({exc.status}) but its answer was unreadable "
                    f"and re-reading failed ({_describe(read_exc)}); run plan to confirm",
                )
            if found is not None:
                return _created(change, body, found, recovered=True)
            return ActionResult(
                change,
                "unknown",
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
    # Every attempt ended with a 5xx or a dropped connection (the server was done) and
    # each re-read showed nothing: definitely not created.
    return ActionResult(
        change,
        "failed",
        None,
        f"not created: {opts.create_attempts} attempts each ended without an answer "
        f"({last_reason}) and re-reading showed no plan year for it; re-run to converge",
    )


async def _update(change: PlanYearChange, body: PlanYearUpdate, client: VitableApi) -> ActionResult:
    assert change.live_id is not None, "an update always has a live id"
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
        if confirmed == "gone":
            return ActionResult(
                change,
                "failed",
                change.live_id,
                f"{_describe(exc)}; re-reading it answers 404 too: plan year {change.live_id} "
                "no longer exists (run plan again)",
            )
        if confirmed is None:
            return ActionResult(
                change,
                "unknown",
                change.live_id,
                f"outcome unknown: {_describe(exc)}, and re-reading the plan year failed — "
                "re-run later to converge",
            )
        return ActionResult(change, "failed", change.live_id, _describe(exc))
    mismatch = response_mismatch(change, body, updated)
    if mismatch is not None:
        return ActionResult(change, "failed", updated.id, mismatch)
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
) -> bool | Literal["gone"] | None:
    """Does the live plan year already carry every field of ``body``? None: unreadable;
    "gone": it answers 404."""
    try:
        live = await client.get_plan_year(plan_year_id)
    except NotFoundError:
        return "gone"
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
