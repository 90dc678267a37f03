"""The naive reconciler the issue-6 harness compares vitable-config against.

What a user would write with the SDK in an afternoon: for each (employer,
product) pair in the desired state, one list call filtered by employer, then a
sequential create (or update) when the plan year is missing (or differs). One
request at a time, a synchronous HTTP client with keep-alive (the generated SDK
is built on httpx too), and the SDK's default handling of 429: wait for
``Retry-After`` and try again.

It reads its desired state from a JSON file the harness writes (a list of
create bodies with their ``benefit_product_id``), so its wall time does not
include loading or rendering a config: that only flatters the naive side.

    python benchmarks/naive.py DESIRED.json --base-url URL   # key in VITABLE_CONNECT_API_KEY
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

MAX_429_RETRIES = 5


@dataclass
class NaiveResult:
    wall_s: float = 0.0
    requests: int = 0
    rate_limited: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "wall_s": self.wall_s,
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": len(self.failed),
            "first_failures": self.failed[:3],
        }


def _classes(items: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, int]]:
    return {
        (c["employment"], c["family_status"]): (
            c["employee_contribution_cents"],
            c["employer_contribution_cents"],
        )
        for c in items
    }


def _differs(live: dict[str, Any], body: dict[str, Any]) -> bool:
    return (
        live["open_enrollment_start_date"] != body["open_enrollment_start"]
        or live["open_enrollment_end_date"] != body["open_enrollment_end"]
        or _classes(live["contribution_classes"]) != _classes(body["contribution_classes"])
    )


class NaiveReconciler:
    def __init__(self, client: httpx.Client, *, write: bool) -> None:
        self.client = client
        self.write = write
        self.result = NaiveResult()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for _ in range(MAX_429_RETRIES + 1):
            response = self.client.request(method, path, **kwargs)
            self.result.requests += 1
            if response.status_code != 429:
                return response
            self.result.rate_limited += 1
            time.sleep(float(response.headers.get("retry-after", "1")))
        return response

    def reconcile_one(self, product_id: str, body: dict[str, Any]) -> None:
        path = f"/v1/benefit-products/{product_id}/plan-years"
        listed = self._send("GET", path, params={"employer_id": body["employer_id"]})
        if listed.status_code != 200:
            self.result.failed.append(f"list {body['employer_id']}: {listed.status_code}")
            return
        live = next(
            (py for py in listed.json() if py["coverage_start"] == body["coverage_start"]), None
        )
        if live is not None and not _differs(live, body):
            self.result.unchanged += 1
            return
        if not self.write:
            if live is None:
                self.result.created += 1  # would create
            else:
                self.result.updated += 1  # would update
            return
        if live is None:
            response = self._send("POST", path, json=body)
            ok_count = "created"
        else:
            update = {k: body[k] for k in ("open_enrollment_start", "open_enrollment_end")}
            update["contribution_classes"] = body["contribution_classes"]
            response = self._send("PUT", f"/v1/plan-years/{live['id']}", json=update)
            ok_count = "updated"
        if response.is_success:
            setattr(self.result, ok_count, getattr(self.result, ok_count) + 1)
        else:
            self.result.failed.append(f"{ok_count} {body['employer_id']}: {response.status_code}")


def run_naive(
    desired: list[dict[str, Any]], base_url: str, api_key: str, *, write: bool
) -> NaiveResult:
    """Reconcile ``desired`` (dicts with ``benefit_product_id`` and ``body``) one by one."""
    headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    started = time.perf_counter()
    with httpx.Client(base_url=base_url, headers=headers, timeout=60.0) as client:
        naive = NaiveReconciler(client, write=write)
        for item in desired:
            naive.reconcile_one(item["benefit_product_id"], item["body"])
    naive.result.wall_s = time.perf_counter() - started
    return naive.result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("desired", type=Path, help="JSON list written by benchmarks/perf.py")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--write", action="store_true", help="create/update (else plan only)")
    args = parser.parse_args()
    key = os.environ.get("VITABLE_CONNECT_API_KEY")
    if not key:
        sys.exit("set VITABLE_CONNECT_API_KEY")
    desired = json.loads(args.desired.read_text())
    result = run_naive(desired, args.base_url, key, write=args.write)
    print(json.dumps(result.as_dict()))


if __name__ == "__main__":
    main()
