"""The API key never appears in any output: every command, every format, errors too.

Runs validate, render, plan (text/json/markdown, with -v and --out), apply (from
config and from a saved plan, with faults so errors and retries are logged),
export, and the error paths (401 with a wrong key, a key inside the URL, a
refused http:// URL), then greps every stdout, stderr, log record and written
file for the key — and for the wrong key too, which is just as secret.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tests.reliability.rel_support import (
    CliResult,
    config_yaml,
    run_cli,
    start_sandbox,
    wanted_plan_years,
)
from vitable_config.api.client import VitableClient
from vitable_config.api.errors import ApiError
from vitable_config.api.settings import ClientSettings
from vitable_config.cli.options import api_from
from vitable_config.sandbox import FaultSettings, running_sandbox


def all_files_text(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_key_never_in_any_output(
    tmp_path: Path, secret_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, httpx/httpcore included
    wrong_key = "vc_test_" + secret_key[::-1][:32]
    config = tmp_path / "config" / "vitable.yaml"
    config.parent.mkdir()
    config.write_text(config_yaml(wanted_plan_years(8)))
    out = tmp_path / "out"
    out.mkdir()
    results: dict[str, CliResult] = {}
    with running_sandbox(start_sandbox(api_key=secret_key, allow_overlap=True)) as sb:
        url = sb.base_url
        env = {"VITABLE_CONNECT_API_KEY": secret_key, "VITABLE_CONNECT_BASE_URL": url}
        flag = ["--api-key", secret_key, "--base-url", url]
        runs: dict[str, tuple[list[object], dict[str, str]]] = {
            "validate": (["validate", config], env),
            "render-yaml": (["render", config], env),
            "render-json": (["render", config, "--format", "json", "--sources"], env),
            "plan-text": (["plan", config, "-v", "--out", out / "plan.json", *flag], {}),
            "plan-json": (["plan", config, "-v", "--format", "json"], env),
            "plan-md": (
                ["plan", config, "-v", "--format", "markdown", "--out", out / "p2.json"],
                env,
            ),
            "apply-saved": (["apply", out / "plan.json", "--auto-approve", "-v", *flag], {}),
            "export": (["export", "-o", out / "export", "-v"], env),
            "wrong-key": (["plan", config, "-v", "--api-key", wrong_key, "--base-url", url], {}),
            "wrong-key-env": (
                ["apply", config, "--auto-approve", "-v"],
                {**env, "VITABLE_CONNECT_API_KEY": wrong_key},
            ),
            "key-in-url": (
                ["plan", config, "--base-url", url.replace("//", f"//user:{secret_key}@")],
                env,
            ),
            "http-refused": (["plan", config, "-v", "--base-url", "http://api.example.com"], env),
            "bad-config": (["apply", tmp_path / "missing.yaml", "--auto-approve", *flag], {}),
        }
        for name, (args, run_env) in runs.items():
            results[name] = run_cli(args, env=run_env)
        # apply under faults: retries, unknown outcomes and failures get logged with -v
        config.write_text(config_yaml(wanted_plan_years(16, bump=1)))
        # Every POST answers 500 before writing, so failures (with the server's "injected
        # fault" text) are certain to be reported whatever order the concurrent requests
        # draw the seeded faults in (a mix of kinds could all be recovered silently).
        sb.set_faults(
            FaultSettings(
                error_before=1.0,
                seed=3,
                methods=frozenset({"POST"}),
            )
        )
        results["apply-faults"] = run_cli(
            ["apply", config, "--auto-approve", "--force", "-v", "--timeout", "0.3"], env=env
        )
        sb.set_faults(FaultSettings())

    # the runs did what they say (so the grep below is meaningful)
    assert results["validate"].code == 0
    assert results["plan-text"].code == 0 and (out / "plan.json").is_file()
    assert results["apply-saved"].code == 0, results["apply-saved"].text
    assert results["export"].code == 0 and list((out / "export").glob("*.yaml"))
    assert "GET /v1/" in results["plan-json"].err  # -v logged the HTTP calls
    for name in ("wrong-key", "wrong-key-env"):
        assert results[name].code == 1 and "401" in results[name].text, results[name].text
    assert results["key-in-url"].code == 1
    assert results["http-refused"].code == 1 and "plain http" in results["http-refused"].err
    assert "injected fault" in results["apply-faults"].err  # errors were logged with -v
    assert "Apply:" in results["apply-faults"].out

    for name, result in results.items():
        assert result.exception is None, f"{name}: {result.exception!r}"
        for key in (secret_key, wrong_key):
            assert key not in result.out, f"{name}: key in stdout"
            assert key not in result.err, f"{name}: key in stderr"
    for path, data in all_files_text(tmp_path).items():
        if path == str(config):
            continue
        for key in (secret_key, wrong_key):
            assert key.encode() not in data, f"key written to {path}"
    assert caplog.records, "no log records captured"
    for record in caplog.records:
        text = record.getMessage()
        for key in (secret_key, wrong_key):
            assert key not in text, f"key in log record {record.name}"


def test_key_never_in_reprs_or_exceptions(secret_key: str) -> None:
    with running_sandbox(start_sandbox(api_key=secret_key)) as sb:
        assert secret_key not in repr(sb)
        assert secret_key not in repr(sb.runtime.settings)
        wrong = ClientSettings.from_env(api_key=secret_key[::-1], base_url=sb.base_url)
        good = ClientSettings.from_env(api_key=secret_key, base_url=sb.base_url)
        texts = [repr(good), str(good), repr(good.api_key), str(good.api_key)]

        async def calls() -> None:
            async with VitableClient(good) as client:
                texts.append(repr(client))
                texts.append(repr(client.stats))
                try:
                    await client.get_plan_year("plyr_does_not_exist")
                except ApiError as exc:
                    texts.extend([str(exc), repr(exc), repr(exc.__dict__)])
                else:
                    raise AssertionError("expected a 404")
            async with VitableClient(wrong) as client:
                try:
                    await client.list_benefit_products()
                except ApiError as exc:
                    assert exc.status == 401
                    texts.extend([str(exc), repr(exc), repr(exc.__dict__), repr(exc.__cause__)])
                else:
                    raise AssertionError("expected a 401")

        asyncio.run(calls())
    options = api_from(
        {
            "sandbox": False,
            "api_key": secret_key,
            "base_url": "https://x",
            "insecure": False,
            "concurrency": 1,
            "rate_limit": None,
            "timeout": 1.0,
            "verbose": False,
        }
    )
    texts += [repr(options), str(options)]
    for text in texts:
        assert secret_key not in text and secret_key[::-1] not in text, text
