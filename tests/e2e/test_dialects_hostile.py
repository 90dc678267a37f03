"""A lying API in front of a real sandbox: a small loopback proxy (stdlib HTTP server)
forwards every request to the sandbox and lets a test rewrite the answer. Through the
real CLI: bodies of no known dialect, a dialect change mid-run, a 2026-02 list without
its pagination, a 404 for one id versus a 404 for the whole route, the real status code
in messages, and a PUT answered 200 with an unreadable body."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.e2e.e2e_support import REPO, run_cli, writes

QUICKSTART = REPO / "examples" / "quickstart"
Rewrite = Callable[[str, str, int, Any], tuple[int, Any] | None]  # None: unchanged


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The client closing its connection while the proxy answers is not a test
        # failure (the CLI's output is what is checked); anything else is printed.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Proxy:
    def __init__(self, target: str, rewrite: Rewrite) -> None:
        self.rewrite = rewrite
        self.seen: list[tuple[str, str, int]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization",)}
                if body is not None:
                    headers["content-type"] = "application/json"
                upstream = httpx.request(
                    self.command, target + self.path, content=body, headers=headers, timeout=10
                )
                path = self.path.split("?", 1)[0]
                data = upstream.json() if upstream.content else None
                changed = outer.rewrite(self.command, path, upstream.status_code, data)
                status, data = changed if changed is not None else (upstream.status_code, data)
                outer.seen.append((self.command, path, status))
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = _any

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@contextmanager
def proxy(target: str, rewrite: Rewrite) -> Iterator[Proxy]:
    p = Proxy(target, rewrite)
    p.thread.start()
    try:
        yield p
    finally:
        p.server.shutdown()
        p.server.server_close()
        p.thread.join(timeout=10)


def args_for(p: Proxy, sb: Any) -> list[str]:
    return ["--base-url", p.base_url, "--api-key", sb.api_key]


def changed_quickstart(tmp_path: Any) -> Any:
    """The quick start with one amount changed (an update of a live plan year)."""
    text = (QUICKSTART / "vitable.yaml").read_text(encoding="utf-8")
    config = tmp_path / "vitable.yaml"
    config.write_text(text.replace('employee: "$45.00"', 'employee: "$46.00"'), encoding="utf-8")
    return config


def test_envelope_with_the_old_class_field_names_what_was_expected(
    make_sandbox: Any, tmp_path: Any
) -> None:
    """The issue's "only the envelope changed" server: {"data": …} with family_status."""
    sb = make_sandbox(dialect="2026-02")
    with proxy(sb.base_url, lambda *a: None) as p:
        assert run_cli(["apply", QUICKSTART, "--auto-approve", *args_for(p, sb)]).code == 0
    written = len(writes(sb))

    def envelope_only(method: str, path: str, status: int, body: Any) -> tuple[int, Any] | None:
        data = body.get("data") if isinstance(body, dict) else None
        for item in data if isinstance(data, list) else [data] if data else []:
            for cls in item.get("contribution_classes", []):
                cls["family_status"] = cls.pop("coverage_tier")
        return status, body

    with proxy(sb.base_url, envelope_only) as p:
        run = run_cli(["apply", changed_quickstart(tmp_path), "--auto-approve", *args_for(p, sb)])
    assert run.code == 1, run.out + run.err
    assert "Traceback" not in run.err
    # Named: what came (family_status, a 2025-12 field) and what the run expected.
    assert (
        "the response is in API dialect 2025-12 (contribution class field 'family_status'), "
        "but this run speaks 2026-02 (decided by the first read, GET /v1/benefit-products)"
    ) in run.err
    assert len(writes(sb)) == written  # nothing more was written


def test_a_dialect_change_mid_run_is_an_error_not_a_guess(make_sandbox: Any) -> None:
    sb = make_sandbox(dialect="2026-02")

    def flip_plan_year_lists(method: str, path: str, status: int, body: Any) -> Any:
        if path.endswith("/plan-years") and method == "GET" and isinstance(body, dict):
            items = body["data"]
            for item in items:
                for cls in item.get("contribution_classes", []):
                    cls["family_status"] = cls.pop("coverage_tier")
            return status, items  # a bare 2025-12 array after 2026-02 product/employer reads
        return None

    with proxy(sb.base_url, flip_plan_year_lists) as p:
        run = run_cli(["plan", QUICKSTART, *args_for(p, sb)])
    assert run.code == 1, run.out + run.err
    assert "the response is in API dialect 2025-12" in run.err
    assert "this run speaks 2026-02 (decided by the first read, GET /v1/benefit-products)" in (
        run.err
    )
    assert "the API changed dialect during the run" in run.err


def test_a_2026_02_list_without_its_pagination_is_refused(make_sandbox: Any) -> None:
    sb = make_sandbox(dialect="2026-02")

    def drop_total(method: str, path: str, status: int, body: Any) -> Any:
        if path.endswith("/plan-years") and isinstance(body, dict) and "pagination" in body:
            del body["pagination"]["total"]
            return status, body
        return None

    with proxy(sb.base_url, drop_total) as p:
        run = run_cli(["plan", QUICKSTART, *args_for(p, sb)])
    assert run.code == 1, run.out + run.err
    assert "expected a dialect 2026-02 list" in run.err
    assert "got pagination without total" in run.err


@pytest.mark.parametrize("dialect", ["2025-12", "2026-02"])
def test_404_for_the_plan_year_route_versus_the_whole_api(make_sandbox: Any, dialect: str) -> None:
    sb = make_sandbox(dialect=dialect)

    def plan_years_gone(method: str, path: str, status: int, body: Any) -> Any:
        if path.endswith("/plan-years"):
            return 404, {"message": "Not found.", "error": "Not found.", "app_error_code": "nf"}
        return None

    def everything_gone(method: str, path: str, status: int, body: Any) -> Any:
        if path.startswith(("/v1/benefit-products", "/v1/plan-years")):
            return 404, {"message": "Not found.", "error": "Not found.", "app_error_code": "nf"}
        return None

    with proxy(sb.base_url, plan_years_gone) as p:
        one = run_cli(["plan", QUICKSTART, *args_for(p, sb)])
    # Benefit products are still served: the 404 is about one product, and says so.
    assert one.code == 1 and "-> 404 [nf]: Not found." in one.err, one.err
    assert "does not serve benefit products" not in one.err
    with proxy(sb.base_url, everything_gone) as p:
        gone = run_cli(["plan", QUICKSTART, *args_for(p, sb)])
    assert gone.code == 1, gone.err
    assert f"the API at {p.base_url} does not serve benefit products or plan years" in gone.err
    assert "Traceback" not in gone.err
    assert writes(sb) == []


def test_messages_carry_the_real_status_code(make_sandbox: Any) -> None:
    sb = make_sandbox(dialect="2025-12")

    def bad_create(method: str, path: str, status: int, body: Any) -> Any:
        if method == "POST" and status == 201:
            return 201, {**body, "status": "nonsense"}
        return None

    with proxy(sb.base_url, bad_create) as p:
        run = run_cli(["apply", QUICKSTART, "--auto-approve", *args_for(p, sb)])
    # The creates were committed: found again by key, never "failed" and never sent twice.
    assert run.code == 0, run.out + run.err
    assert "Apply: 2 created, 0 updated, 0 failed" in run.out
    assert [s for m, _, s in p.seen if m == "POST"] == [201, 201]


@pytest.mark.parametrize("dialect", ["2025-12", "2026-02"])
def test_put_answered_200_with_an_unreadable_body_is_applied(
    make_sandbox: Any, tmp_path: Any, dialect: str
) -> None:
    sb = make_sandbox(dialect=dialect)
    with proxy(sb.base_url, lambda *a: None) as p:
        assert run_cli(["apply", QUICKSTART, "--auto-approve", *args_for(p, sb)]).code == 0
    config = changed_quickstart(tmp_path)

    def garbled_put(method: str, path: str, status: int, body: Any) -> Any:
        return (status, {"oops": True}) if method == "PUT" and status == 200 else None

    with proxy(sb.base_url, garbled_put) as p:
        run = run_cli(["apply", config, "--auto-approve", *args_for(p, sb)])
    assert run.code == 0, run.out + run.err
    assert "Apply: 0 created, 1 updated, 0 failed" in run.out
    assert "applied, response unreadable: the API answered 200" in run.out
    assert "re-reading confirms it" in run.out
    assert [s for m, _, s in p.seen if m == "PUT"] == [200]  # sent once
    mec = [
        py
        for py in sb.list_all_plan_years()
        if py["employer_id"] == "empr_acme" and py["benefit_product_id"] == "bprd_mec"
    ]
    cents = {
        c["employee_contribution_cents"]
        for py in mec
        for c in py["contribution_classes"]
        if c["employment"] == "full_time" and c["family_status"] == "EE"
    }
    assert 4600 in cents
