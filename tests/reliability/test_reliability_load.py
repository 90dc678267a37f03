"""The sandbox under load: 32 concurrent clients, mixed requests, a restart mid-run.

The sandbox runs in its own process on a ``--state`` file with a small share of
injected faults (500 before / after the write). Halfway through, it is killed
with SIGKILL and started again on the same port and file. Checked:

* no error except the injected ones (and connection failures while it restarts);
* no lost write: every acknowledged create is in the database after the run;
* no torn write: every plan year we created holds exactly the classes of one
  version we sent (the last acknowledged one, or a later unacknowledged one).
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.rel_support import EMPLOYERS, Classes, SandboxProcess, classes_of

CLIENTS = 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Owned:
    """A plan year one client created: what it last saw acknowledged, and what is in doubt."""

    product: str
    acked: Classes
    pending: list[Classes] = field(default_factory=list)

    def allowed(self) -> list[Classes]:
        return [self.acked, *self.pending]


@dataclass
class Tally:
    sent: int = 0
    ok: int = 0
    injected: int = 0
    restart_errors: int = 0
    unexpected: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)


def classes_body(classes: Classes) -> list[dict[str, Any]]:
    return [
        {
            "employment": employment,
            "family_status": tier,
            "employee_contribution_cents": ee,
            "employer_contribution_cents": er,
        }
        for (employment, tier), (ee, er) in classes.items()
    ]


def random_classes(rng: random.Random) -> Classes:
    tiers = rng.sample(["EE", "ES", "EC", "EF"], rng.randint(1, 4))
    out: Classes = {}
    for tier in tiers:
        out[("full_time", tier)] = (rng.randrange(0, 90000), rng.randrange(0, 90000))
    if rng.random() < 0.5:
        out[("part_time", "EE")] = (rng.randrange(0, 90000), rng.randrange(0, 90000))
    return out


class LoadRun:
    def __init__(self, base_url: str, key: str, total: int, seed: int) -> None:
        self.base_url = base_url
        self.key = key
        self.total = total
        self.seed = seed
        self.tally = Tally()
        self.owned: dict[str, Owned] = {}
        self.unknown_creates = 0
        self.restart_at = total // 2
        self.restarted = asyncio.Event()
        self.restart_requested = asyncio.Event()
        self.day = 0

    async def send(
        self, client: httpx.AsyncClient, method: str, path: str, body: Any = None, **params: Any
    ) -> httpx.Response | None:
        """One request. None: no usable answer (injected fault or connection lost)."""
        self.tally.sent += 1
        if self.tally.sent == self.restart_at:
            self.restart_requested.set()
        self.tally.kinds[method] += 1
        for _ in range(400):
            try:
                response = await client.request(method, path, json=body, params=params or None)
            except httpx.ConnectError:  # restarting: nothing was sent, try again
                await asyncio.sleep(0.025)
                continue
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
                self.tally.restart_errors += 1  # cut by the kill: outcome unknown
                return None
            break
        else:
            self.tally.unexpected.append(f"{method} {path}: sandbox never came back")
            return None
        if response.status_code >= 500 and "injected fault" in response.text:
            self.tally.injected += 1
            return None
        if response.status_code >= 300:
            self.tally.unexpected.append(f"{method} {path}: {response.status_code} {response.text}")
            return None
        self.tally.ok += 1
        return response

    async def client(self, index: int, requests: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        employer = EMPLOYERS[index % len(EMPLOYERS)]
        mine: list[str] = []
        async with httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        ) as client:
            for _ in range(requests):
                roll = rng.random()
                if roll < 0.25 or not mine:
                    await self.create(client, rng, employer, mine)
                elif roll < 0.45:
                    await self.update(client, rng, mine)
                elif roll < 0.75:
                    await self.get_one(client, rng, mine)
                else:
                    product = rng.choice(["bprd_mec", "bprd_dental"])
                    await self.send(
                        client,
                        "GET",
                        f"/v1/benefit-products/{product}/plan-years",
                        employer_id=employer,
                        limit=rng.choice([5, 20, 100]),
                        page=rng.randint(1, 3),
                    )

    async def create(
        self, client: httpx.AsyncClient, rng: random.Random, employer: str, mine: list[str]
    ) -> None:
        self.day += 1
        start = date(2030, 1, 1) + timedelta(days=self.day)
        product = rng.choice(["bprd_mec", "bprd_dental"])
        classes = random_classes(rng)
        body = {
            "employer_id": employer,
            "coverage_start": start.isoformat(),
            "coverage_end": (start + timedelta(days=300)).isoformat(),
            "open_enrollment_start": (start - timedelta(days=30)).isoformat(),
            "open_enrollment_end": (start - timedelta(days=15)).isoformat(),
            "contribution_classes": classes_body(classes),
        }
        response = await self.send(
            client, "POST", f"/v1/benefit-products/{product}/plan-years", body
        )
        if response is None:
            self.unknown_creates += 1
            return
        created = response.json()
        self.owned[created["id"]] = Owned(product, classes)
        mine.append(created["id"])
        if classes_of(created) != classes:
            self.tally.unexpected.append(f"create answered other classes: {created['id']}")

    async def update(self, client: httpx.AsyncClient, rng: random.Random, mine: list[str]) -> None:
        plan_year_id = rng.choice(mine)
        owned = self.owned[plan_year_id]
        classes = random_classes(rng)
        owned.pending.append(classes)
        response = await self.send(
            client,
            "PUT",
            f"/v1/plan-years/{plan_year_id}",
            {"contribution_classes": classes_body(classes)},
        )
        if response is not None:
            owned.acked, owned.pending = classes, []
            if classes_of(response.json()) != classes:
                self.tally.unexpected.append(f"PUT answered other classes: {plan_year_id}")

    async def get_one(self, client: httpx.AsyncClient, rng: random.Random, mine: list[str]) -> None:
        plan_year_id = rng.choice(mine)
        owned = self.owned[plan_year_id]
        response = await self.send(client, "GET", f"/v1/plan-years/{plan_year_id}")
        if response is not None and classes_of(response.json()) not in owned.allowed():
            self.tally.unexpected.append(f"GET shows classes never sent: {plan_year_id}")

    async def run(self, restart: Any) -> None:
        per_client = self.total // CLIENTS

        async def restarter() -> None:
            await self.restart_requested.wait()
            await asyncio.to_thread(restart)
            self.restarted.set()

        task = asyncio.create_task(restarter())
        await asyncio.gather(*(self.client(i, per_client) for i in range(CLIENTS)))
        if not task.done():
            task.cancel()


def load_run(tmp_path: Path, secret_key: str, total: int, seed: int) -> None:
    port = free_port()
    state = tmp_path / "state.db"
    faults = ["--fault-error-before", "0.01", "--fault-error-after", "0.01", "--allow-overlap"]
    sandbox = SandboxProcess(
        state, secret_key, port=port, extra=[*faults, "--fault-seed", str(seed)]
    )
    sandbox.start()
    restarts: list[SandboxProcess] = [sandbox]

    def restart() -> None:
        restarts[-1].kill()  # SIGKILL: no graceful shutdown, no final checkpoint
        restarts.append(SandboxProcess(state, secret_key, port=port, extra=faults).start())

    run = LoadRun(sandbox.base_url, secret_key, total, seed)
    try:
        asyncio.run(run.run(restart))
        live = {p["id"]: p for p in restarts[-1].plan_years()}
    finally:
        restarts[-1].stop()
    lost = [i for i in run.owned if i not in live]
    torn = [i for i, o in run.owned.items() if i in live and classes_of(live[i]) not in o.allowed()]
    t = run.tally
    print(
        f"\nload figures: {t.sent} requests from {CLIENTS} clients {dict(t.kinds)}; "
        f"{t.ok} ok, {t.injected} injected 500s, {t.restart_errors} cut by the restart, "
        f"{len(t.unexpected)} unexpected; {len(run.owned)} acknowledged creates, "
        f"{len(lost)} lost, {len(torn)} torn; restarts: {len(restarts) - 1}"
    )
    assert len(restarts) == 2, "the sandbox was not restarted mid-run"
    assert t.unexpected == [], t.unexpected[:10]
    assert lost == [] and torn == []
    assert t.injected > 0 and t.ok > 0.9 * t.sent


def test_sandbox_under_load_with_a_restart_ci(tmp_path: Path, secret_key: str) -> None:
    load_run(tmp_path, secret_key, total=3200, seed=1)


@pytest.mark.full
def test_sandbox_under_load_with_a_restart_full(tmp_path: Path, secret_key: str) -> None:
    load_run(tmp_path, secret_key, total=20000, seed=2)
