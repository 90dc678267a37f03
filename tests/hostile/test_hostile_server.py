"""The CLI against a lying or broken server (issue 12 items 4-5, issue 14 item 5).

Every case runs ``vitable-config plan examples/quickstart --base-url
http://127.0.0.1:PORT --api-key KEY`` as a subprocess against a small stdlib server
that lies in one way, and checks the same things: the run ends (under 60 s) with
exit 1 and a message naming what was wrong — or behaves correctly —, the child's
peak RSS stays under 1 GB, the server saw no write, and the key (in any case or
encoding) is nowhere in stdout or stderr. Measured figures (seconds, peak RSS)
are appended to the file named by ``HOSTILE_FIGURES`` when it is set.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from markdown_it import MarkdownIt

from tests.hostile.hostile_support import (
    COVERAGE_END,
    COVERAGE_START,
    EMPLOYER,
    REPO,
    HostileServer,
    Reply,
    Request,
    Run,
    contribution_class,
    employer,
    hostile_server,
    plan_args,
    plan_year,
    product,
    run_cli,
)

MAX_SECONDS = 60.0
MAX_RSS_MB = 1024.0
MEC_LIST = "/v1/benefit-products/bprd_mec/plan-years"


@pytest.fixture
def key() -> str:
    # Mixed case and characters that URL-encoding changes, so every variant differs.
    return f"vc_Test_{secrets.token_hex(10)}+/={secrets.token_hex(6).upper()}"


def key_forms(key: str) -> list[str]:
    return [key, key.lower(), key.upper(), quote(key, safe=""), quote_plus(key), quote(key)]


def record(name: str, run: Run) -> None:
    path = os.environ.get("HOSTILE_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            figures = {
                "case": name,
                "seconds": round(run.seconds, 2),
                "vmhwm_mb": run.peak_rss_mb,
                "maxrss_bound_mb": run.maxrss_bound_mb,
            }
            fh.write(json.dumps({**figures, "code": run.code}) + "\n")


def assert_safe(run: Run, server: HostileServer | None, key: str, name: str) -> None:
    record(name, run)
    assert run.seconds < MAX_SECONDS, f"{name}: took {run.seconds:.1f} s"
    assert run.peak_rss_mb < MAX_RSS_MB, f"{name}: peak RSS {run.peak_rss_mb:.0f} MB"
    assert run.maxrss_bound_mb < MAX_RSS_MB, f"{name}: ru_maxrss {run.maxrss_bound_mb:.0f} MB"
    if server is not None:
        assert server.writes == 0, f"{name}: {server.writes} write(s) reached the server"
    assert "Traceback" not in run.err, run.err[-3000:]
    for form in key_forms(key):
        assert form.lower() not in run.out.lower(), f"{name}: key in stdout"
        assert form.lower() not in run.err.lower(), f"{name}: key in stderr"


def fails_with(run: Run, pattern: str) -> None:
    assert run.code == 1, f"exit {run.code}\n{run.text[-3000:]}"
    assert re.search(pattern, run.err), run.err[-3000:]


# --- pagination ---------------------------------------------------------------------


def test_a_page_repeating_page_one_stops_the_plan(key: str) -> None:
    # Page 2 repeats page 1; the real plan year is on page 3. It used to stop
    # silently after page 2 and plan a create of the plan year that exists.
    def route(request: Request) -> Reply | None:
        if request.path != MEC_LIST:
            return None
        full = [
            plan_year(f"plyr_old{i:03d}", start=f"{1900 + i}-01-01", end=f"{1900 + i}-12-31")
            for i in range(request.limit)
        ]
        if request.page in (1, 2):
            return Reply(body=full)
        return Reply(body=[plan_year("plyr_real")] if request.page == 3 else [])

    with hostile_server(route) as server:
        run = run_cli(plan_args(server, key))
    assert_safe(run, server, key, "repeated page")
    fails_with(run, rf"GET {MEC_LIST} -> 200: page 2 repeats items of earlier pages")
    assert "to create" not in run.out


def test_an_endless_bare_list_is_refused_at_the_bound(key: str) -> None:
    # Always a full page of new plan years: it ran for minutes and grew to 3.4 GB.
    def route(request: Request) -> Reply | None:
        if request.path != MEC_LIST:
            return None
        page = request.page
        return Reply(
            body=[
                plan_year(f"plyr_{page}_{i}", start=f"{1000 + i}-01-01", end=f"{1000 + i}-12-31")
                for i in range(request.limit)
            ]
        )

    with hostile_server(route) as server:
        run = run_cli(plan_args(server, key))
        pages = sum(1 for r in server.requests if r.path == MEC_LIST)
    assert_safe(run, server, key, "endless bare list")
    fails_with(run, r"keeps serving full pages: more than the bound of 1,000 pages")
    assert pages == 1_000


def test_total_pages_of_ten_million_is_refused_at_once(key: str) -> None:
    def route(request: Request) -> Reply | None:
        if request.path != MEC_LIST:
            return None
        items = [
            plan_year(
                f"plyr_{request.page}_{i}", start=f"{1000 + i}-01-01", end=f"{1000 + i}-12-31"
            )
            for i in range(request.limit)
        ]
        meta = {
            "page": request.page,
            "limit": request.limit,
            "total": 10_000_000 * request.limit,
            "total_pages": 10_000_000,
        }
        return Reply(body={"data": items, "pagination": meta})

    with hostile_server(route) as server:
        run = run_cli(plan_args(server, key))
        pages = sum(1 for r in server.requests if r.path == MEC_LIST)
    assert_safe(run, server, key, "total_pages 10,000,000")
    fails_with(run, r"reports 10,000,000 pages: more than the bound")
    assert pages == 1


def test_list_items_not_matching_the_filter_are_an_error(key: str) -> None:
    # The list asked for empr_acme's plan years; one is another employer's. It was
    # silently dropped, so a plan year on the wrong side of the filter went unseen.
    def route(request: Request) -> Reply | None:
        if request.path != MEC_LIST:
            return None
        assert request.query.get("employer_id") == EMPLOYER
        return Reply(body=[plan_year("plyr_mine"), plan_year("plyr_theirs", employer_id="empr_x")])

    with hostile_server(route) as server:
        run = run_cli(plan_args(server, key))
    assert_safe(run, server, key, "filter mismatch")
    fails_with(
        run,
        r"1 list item\(s\) do not match the filter .*employer_id=empr_acme.*"
        r"plyr_theirs \(employer_id empr_x\)",
    )


# --- a slow or huge answer ----------------------------------------------------------


def test_a_drip_feeding_server_cannot_hang_past_the_timeout(key: str) -> None:
    # One byte every 0.4 s against --timeout 1: every read is quicker than the timeout,
    # so only a deadline for the whole exchange ends it (the body takes 400 s).
    server_ref: list[HostileServer] = []

    def drip() -> Iterator[bytes]:
        for byte in b"[" + b" " * 1000 + b"]":
            yield bytes([byte])
            if server_ref[0].stopping.wait(0.4):
                return

    def route(request: Request) -> Reply | None:
        if request.path == "/v1/benefit-products":
            return Reply(stream=drip)
        return None

    with hostile_server(route) as server:
        server_ref.append(server)
        run = run_cli(plan_args(server, key, "--timeout", "1"))
        attempts = sum(1 for r in server.requests if r.path == "/v1/benefit-products")
    assert_safe(run, server, key, "drip-feed, --timeout 1")
    fails_with(
        run,
        r"GET /v1/benefit-products: could not complete the request "
        r"\(ReadTimeout: no complete response within 1 s\)",
    )
    assert 1 <= attempts <= 6


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "content-length"])
def test_a_200_mb_body_is_not_read_whole(key: str, declared: bool) -> None:
    # It used to be read whole into memory (1.3 GB RSS).
    item = json.dumps(product("MEC")).encode() + b","
    chunk = item * (1024 * 1024 // len(item))
    count = 200 * 1024 * 1024 // len(chunk)

    def huge() -> Iterator[bytes]:
        yield b"["
        for _ in range(count):
            yield chunk
        yield json.dumps(product("VD")).encode() + b"]"

    def route(request: Request) -> Reply | None:
        if request.path == "/v1/benefit-products":
            headers = {"Content-Length": str(count * len(chunk) + 100)} if declared else {}
            return Reply(stream=huge, headers=headers)
        return None

    with hostile_server(route) as server:
        run = run_cli(plan_args(server, key))
    assert_safe(run, server, key, f"200 MB body ({'declared' if declared else 'streamed'})")
    fails_with(
        run,
        r"GET /v1/benefit-products -> 200: the response body is larger than the "
        r"33,554,432 bytes limit",
    )


# --- wrong types --------------------------------------------------------------------


WRONG_TYPES: dict[str, tuple[str, Any, str]] = {
    # case: (field, value, the field path the message must name)
    "cents true": ("employee_contribution_cents", True, "employee_contribution_cents"),
    "cents '4500'": ("employee_contribution_cents", "4500", "employee_contribution_cents"),
    "cents 4500.0": ("employer_contribution_cents", 4500.0, "employer_contribution_cents"),
    "unix-time date": ("coverage_start", 1798761600, "coverage_start"),
    "status true": ("status", True, "status"),
}


@pytest.mark.parametrize("case", list(WRONG_TYPES))
def test_wrong_types_are_refused_not_coerced(key: str, case: str) -> None:
    # cents `true` became 1 cent, and the plan "updated" $0.01 -> $45.00.
    name, value, shown = WRONG_TYPES[case]

    def route(request: Request) -> Reply | None:
        if request.path != MEC_LIST:
            return None
        py = plan_year("plyr_typed")
        if name in py:
            py[name] = value
        else:
            py["contribution_classes"][0][name] = value
        return Reply(body=[py])

    with hostile_server(route) as server:
        run = run_cli(plan_args(server, key))
    assert_safe(run, server, key, f"wrong type: {case}")
    fails_with(
        run,
        rf"GET {MEC_LIST} -> 200: response does not match PlanYear: "
        rf"item 1 \(plyr_typed\): [a-z_.0-9]*{shown}",
    )
    assert "$0.01" not in run.out


def test_a_boolean_written_as_a_number_is_refused(key: str) -> None:
    def route(request: Request) -> Reply | None:
        if request.path == "/v1/benefit-products":
            return Reply(body=[{**product("MEC"), "active": 1}, product("VD")])
        return None

    with hostile_server(route) as server:
        run = run_cli(plan_args(server, key))
    assert_safe(run, server, key, "wrong type: active 1")
    fails_with(run, r"response does not match BenefitProduct: item 1 \(bprd_mec\): active")


# --- Markdown injection -------------------------------------------------------------

INJECTED_NAME = "Acme`` ``\n## Owned @octo-org/admins [click](https://evil.example) <img src=x>"
INJECTED_ID = "plyr_x```\n## fake heading\n+ create\n@someone"


def injection_route(request: Request) -> Reply | None:
    if request.path == f"/v1/employers/{EMPLOYER}":
        return Reply(body=employer(INJECTED_NAME + "\x1b[2J\r\x07"))
    if request.path == MEC_LIST:
        changed = [contribution_class("full_time", "EE", 100, 38000)]
        return Reply(
            body=[
                plan_year(INJECTED_ID, classes=changed),
                plan_year("plyr_`u`<b>@bob</b>\n# H", start="2026-01-01", end="2026-12-31"),
            ]
        )
    return None


def test_server_strings_are_escaped_in_the_markdown_plan(key: str) -> None:
    # Ids with backticks and newlines, names with headings, @mentions, links and HTML
    # were pasted into the pull-request comment as they came.
    with hostile_server(injection_route) as server:
        run = run_cli(plan_args(server, key, "--format", "markdown"))
    assert_safe(run, server, key, "markdown injection")
    assert run.code == 0, run.text[-3000:]
    md = run.out
    assert "\x1b" not in md and "\x07" not in md and "\r" not in md
    rendered = MarkdownIt("commonmark", {"html": True}).render(md)
    headings = re.findall(r"<h(\d)>(.*?)</h\1>", rendered, re.DOTALL)
    assert headings[0] == ("2", "vitable-config plan")
    assert all(level == "3" for level, _ in headings[1:]), headings
    assert "<img" not in rendered and "<a " not in rendered and "<b>@" not in rendered
    # One code block per employer section; no server string added a line to it.
    blocks = re.findall(r"<pre><code[^>]*>(.*?)</code></pre>", rendered, re.DOTALL)
    assert len(blocks) == 1
    lines = blocks[0].splitlines()
    assert not any(line.startswith(("## fake", "+ create\n", "@")) for line in lines)
    assert [line for line in lines if line.startswith("+ create")] == [
        f"+ create VD {COVERAGE_START} → {COVERAGE_END}"
    ]
    # No mention or bare link outside code: GitHub would notify or link them.
    outside = re.sub(r"<code>.*?</code>|<pre>.*?</pre>", "", rendered, flags=re.DOTALL)
    assert not re.search(r"@\w", outside), outside
    assert "https://" not in outside
    assert "plyr_x" in md and "Acme" in md and "octo-org" in md  # still shown, escaped


def test_control_characters_are_removed_from_the_text_plan(key: str) -> None:
    with hostile_server(injection_route) as server:
        run = run_cli(plan_args(server, key))
    assert_safe(run, server, key, "control characters, text plan")
    assert run.code == 0, run.text[-3000:]
    assert "\x1b" not in run.out and "\x07" not in run.out and "\r" not in run.out
    assert not re.search(r"^## fake heading", run.out, re.MULTILINE), run.out
    assert "plyr_x" in run.out


# --- the key ---------------------------------------------------------------------------


def echo_route(where: str, transform: str) -> Any:
    def route(request: Request) -> Reply | None:
        echoed = {
            "same": request.key,
            "upper": request.key.upper(),
            "url": quote(request.key, safe=""),
            "lower": request.key.lower(),
        }[transform]
        body = {
            "message": "Forbidden.",
            "error": "Forbidden.",
            "app_error_code": "forbidden",
            "trace_id": "tr_1",
        }
        reason = None
        headers: dict[str, str] = {}
        if where == "message":
            body["message"] = body["error"] = f"key {echoed} is not allowed"
        elif where in ("app_error_code", "trace_id"):
            body[where] = f"bad_key_{echoed}"
        elif where == "reason":
            reason = f"Forbidden {echoed}"
        elif where == "header":
            headers = {"WWW-Authenticate": f"Bearer {echoed}", "X-Debug-Key": echoed}
        elif where == "text body":
            return Reply(403, stream=lambda: iter([f"<h1>denied {echoed}</h1>".encode()]))
        return Reply(403, body, headers=headers, reason=reason)

    return route


ECHO_CASES = [
    ("app_error_code", "same"),
    ("trace_id", "same"),
    ("message", "upper"),
    ("message", "url"),
    ("trace_id", "lower"),
    ("reason", "same"),
    ("header", "same"),
    ("text body", "url"),
]


@pytest.mark.parametrize(("where", "transform"), ECHO_CASES)
def test_a_key_echoed_by_the_server_is_never_printed(key: str, where: str, transform: str) -> None:
    with hostile_server(echo_route(where, transform)) as server:
        run = run_cli(plan_args(server, key, "-v"))
    assert_safe(run, server, key, f"key echo: {where} ({transform})")
    fails_with(run, r"-> 403")


def test_run_plan_sh_artifacts_stay_clean(key: str, tmp_path: Path) -> None:
    # run-plan.sh saves stderr as a CI artifact, where GitHub's log masking does not apply.
    script = REPO / "examples" / "github-actions" / "scripts" / "run-plan.sh"
    outdir = tmp_path / "out"
    with hostile_server(echo_route("app_error_code", "same")) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VITABLE_", "GITHUB_"))}
        env.update(
            {
                "VITABLE_CONFIG": str(Path(sys.executable).with_name("vitable-config")),
                "PYTHON": sys.executable,
                "VITABLE_CONNECT_API_KEY": key,
                "VITABLE_CONNECT_BASE_URL": server.base_url,
                "NO_COLOR": "1",
            }
        )
        done = subprocess.run(
            ["bash", str(script), str(outdir), str(REPO / "examples" / "quickstart"), "-v"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert server.writes == 0
    assert done.returncode == 0, done.stderr
    assert (outdir / "exit-code").read_text().strip() == "1"
    assert "403" in (outdir / "stderr.log").read_text()
    texts = {"stdout": done.stdout, "stderr": done.stderr}
    texts.update({p.name: p.read_text(errors="replace") for p in outdir.iterdir()})
    for name, text in texts.items():
        for form in key_forms(key):
            assert form.lower() not in text.lower(), f"key in {name}"


@pytest.mark.parametrize(
    "bad",
    [
        "vc_test_ab\ncd1234",
        "vc_test_ab cd1234",
        "vc_test_\u043a\u043b\u044e\u0447",
        "vc_\x01cd1234",
    ],
    ids=["newline", "space", "non-ascii", "control (from the environment)"],
)
def test_a_key_that_cannot_be_a_header_is_refused_without_echo(bad: str) -> None:
    # A newline key leaked inside httpx's LocalProtocolError; a non-ASCII key was a traceback.
    with hostile_server() as server:
        if "\x01" in bad:
            args = ["plan", REPO / "examples" / "quickstart", "--base-url", server.base_url]
            run = run_cli(args, env={"VITABLE_CONNECT_API_KEY": bad})
        else:
            run = run_cli(plan_args(server, bad))
        assert server.requests == []
    assert_safe(run, server, "not-the-key", f"bad key: {bad!r}")
    fails_with(
        run, r"error: invalid API key: the API key contains (whitespace|a control|a non-ASCII)"
    )
    for part in (bad, "ключ", "cd1234"):
        assert part not in run.text


# --- an unreachable API (issue 14 item 5) ---------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "why"),
    [
        ("http://127.0.0.1:1", "connection refused"),
        ("https://no-such-host.invalid", "unknown host"),
    ],
    ids=["refused", "dns"],
)
def test_an_unreachable_api_fails_fast_and_names_the_url(key: str, base_url: str, why: str) -> None:
    # It retried 6 times over 8.8 s (9.3 s for DNS) and said only "ConnectError".
    run = run_cli(
        ["plan", REPO / "examples" / "quickstart", "--base-url", base_url, "--api-key", key]
    )
    assert_safe(run, None, key, f"unreachable: {why}")
    fails_with(run, rf"cannot reach the API at {re.escape(base_url)}: {why}")
    assert "--base-url" in run.err and "VITABLE_CONNECT_BASE_URL" in run.err
    assert "--sandbox" in run.err
    assert run.seconds < 5.0, f"took {run.seconds:.1f} s"
