"""Digests that tie a saved plan to what the reviewers saw.

* The **inputs digest** covers the config inputs: every file the config loader read
  (name as shown, and content) and the ``--var``/``--var-file`` variables.
* The **actions digest** covers what apply will do: every create, update and
  blocked change (action, natural key, live id, API request), in plan order.
* The **plan digest** (``sha256:…``, shown in the text and Markdown plan and in
  apply's output) combines both with the API base URL: two plans with the same
  digest were made from the same config for the same API and do the same thing.

A digest is not a signature (anyone can recompute one), so ``apply FILE`` never
trusts the file's actions: it re-derives the plan from the config and the live
state and refuses the whole file unless the re-derived actions are identical
(:func:`action_differences`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from vitable_config.engine.model import Plan, PlanYearChange

PREFIX = "sha256:"
DIGESTED_ACTIONS = ("create", "update", "blocked")


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def _sha(data: bytes) -> str:
    return PREFIX + hashlib.sha256(data).hexdigest()


def inputs_digest(files: Iterable[str], variables: Mapping[str, object] | None) -> str:
    """sha256 of every input file (name and bytes) and of the variables.

    An unreadable file is digested as missing, so the digest still differs from
    the one made when it was there.
    """
    h = hashlib.sha256()
    for name in sorted(set(files)):
        try:
            content = Path(name).read_bytes()
            tag = hashlib.sha256(content).hexdigest()
        except OSError:
            tag = "missing"
        h.update(_canonical([name, tag]))
    h.update(_canonical(dict(variables or {})))
    return PREFIX + h.hexdigest()


def action_record(change: PlanYearChange) -> dict[str, Any]:
    k = change.key
    return {
        "action": change.action,
        "key": [k.employer_id, k.benefit_product, k.coverage_start.isoformat()],
        "live_id": change.live_id,
        "request": change.request,
        "then_request": change.then_request,
    }


def action_records(changes: Iterable[PlanYearChange]) -> list[dict[str, Any]]:
    return [action_record(c) for c in changes if c.action in DIGESTED_ACTIONS]


def actions_digest(plan: Plan) -> str:
    return _sha(_canonical(action_records(plan.changes)))


def plan_digest(plan: Plan, inputs: str | None) -> str:
    return _sha(
        _canonical(
            {
                "base_url": plan.base_url.rstrip("/"),
                "inputs": inputs,
                "actions": actions_digest(plan),
            }
        )
    )


def _label(record: Mapping[str, Any]) -> str:
    employer, product, start = record["key"]
    return f"{record['action']} {employer}/{product}/{start}"


def action_differences(
    saved: Sequence[PlanYearChange], derived: Sequence[PlanYearChange], limit: int = 10
) -> list[str]:
    """How the saved plan's actions differ from the re-derived ones (empty = same)."""
    a = action_records(saved)
    b = action_records(derived)
    if a == b:
        return []
    out: list[str] = []
    derived_by_key: dict[str, list[dict[str, Any]]] = {}
    for rec in b:
        derived_by_key.setdefault(json.dumps(rec["key"]), []).append(rec)
    seen: dict[str, int] = {}
    for rec in a:
        k = json.dumps(rec["key"])
        i = seen.get(k, 0)
        seen[k] = i + 1
        matches = derived_by_key.get(k, [])
        if i >= len(matches):
            what = "a second" if i else "a"
            out.append(f"the file has {what} {_label(rec)} that the config does not produce")
            continue
        other = matches[i]
        if other["action"] != rec["action"]:
            out.append(f"{_label(rec)}: the config now gives {other['action']}")
        elif other["live_id"] != rec["live_id"]:
            out.append(
                f"{_label(rec)}: the file targets plan year {rec['live_id']}, the config and "
                f"live state give {other['live_id']}"
            )
        elif other["request"] != rec["request"]:
            out.append(f"{_label(rec)}: the file's request differs from the config's")
        elif other.get("then_request") != rec.get("then_request"):
            out.append(f"{_label(rec)}: the file's follow-up request differs from the config's")
    for k, matches in derived_by_key.items():
        extra = matches[seen.get(k, 0) :]
        out.extend(f"the config gives {_label(rec)}, missing from the file" for rec in extra)
    if not out:
        out.append("the actions are in a different order than the config gives")
    return out[:limit] + ([f"... and {len(out) - limit} more"] if len(out) > limit else [])
