"""Regressions for bugs the hostile corpus and the fuzzers found (each failed before its fix)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.reliability.rel_support import api_args, run_cli, start_sandbox
from vitable_config.config.values import MAX_CENTS, parse_cents
from vitable_config.config.yaml_loader import parse_yaml
from vitable_config.errors import UserError
from vitable_config.sandbox import SandboxHandle


def test_impossible_unquoted_yaml_date_is_a_located_error_not_a_traceback() -> None:
    # PyYAML turned 2027-02-30 into a bare ValueError that escaped the CLI.
    with pytest.raises(UserError) as info:
        parse_yaml("coverage:\n  start: 2027-02-30\n", "c.yaml")
    assert "c.yaml:2:10: error: invalid date '2027-02-30'" in info.value.format()


def test_cents_beyond_the_limit_are_refused_by_the_config() -> None:
    assert parse_cents(MAX_CENTS) == MAX_CENTS
    with pytest.raises(ValueError, match="at most"):
        parse_cents(MAX_CENTS + 1)


def test_unclosed_csv_quote_is_an_error(tmp_path: Path) -> None:
    # Python's csv reader silently ran the cell to the end of the file.
    (tmp_path / "employers.csv").write_text('employer_id,label\nempr_r001,"open\n')
    (tmp_path / "c.yaml").write_text(
        "version: 1\ntemplates:\n  t:\n    benefit_product: MEC\n"
        "    coverage: {start: 2027-01-01, end: 2027-12-31}\n"
        "    open_enrollment: {start: 2026-12-01, end: 2026-12-15}\n"
        "    contribution_classes: {full_time: {EE: {employee: 1, employer: 2}}}\n"
        "rollouts:\n  - name: a\n    template: t\n    employers: {csv: employers.csv}\n"
    )
    result = run_cli(["validate", tmp_path / "c.yaml"])
    assert result.code == 1
    assert "employers.csv:2:1: error: invalid CSV: unexpected end of data" in result.err


@pytest.mark.parametrize("cents", [2**63, 10**30, 2**53])
def test_sandbox_refuses_huge_cents_with_422_not_500(
    module_sandbox: SandboxHandle, cents: int
) -> None:
    # SQLite cannot store them: the sandbox answered 500 (OverflowError) before.
    sb = module_sandbox
    body = {
        "employer_id": "empr_r001",
        "coverage_start": "2035-01-01",
        "coverage_end": "2035-12-31",
        "open_enrollment_start": "2034-12-01",
        "open_enrollment_end": "2034-12-15",
        "contribution_classes": [
            {
                "employment": "full_time",
                "family_status": "EE",
                "employee_contribution_cents": cents,
                "employer_contribution_cents": 1,
            }
        ],
    }
    response = httpx.post(
        f"{sb.base_url}/v1/benefit-products/bprd_mec/plan-years",
        json=body,
        headers={"Authorization": f"Bearer {sb.api_key}"},
    )
    assert response.status_code == 422, response.text
    assert "employee_contribution_cents" in response.json()["message"]
    assert not [p for p in sb.list_all_plan_years() if str(p["coverage_start"]) == "2035-01-01"]


def test_apply_with_a_key_never_reaches_the_api_for_bad_input(
    module_sandbox: SandboxHandle, tmp_path: Path
) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text("version: 1\nemployers:\n  empr_r001:\n    plan_years: 5\n")
    sb = module_sandbox
    sb.clear_request_log()
    result = run_cli(["apply", bad, "--auto-approve", *api_args(sb.base_url, sb.api_key)])
    assert result.code == 1
    assert sb.request_log == []


def test_tls_failures_are_not_retried() -> None:
    # A bad certificate or a plain-http server behind https:// was retried five
    # times with backoff (~9 s) before failing; neither can fix itself.
    import ssl

    import httpx

    from vitable_config.api.retry import Decision, decide_transport_error

    def connect_error(cause: BaseException) -> httpx.ConnectError:
        try:
            raise httpx.ConnectError(str(cause)) from cause
        except httpx.ConnectError as exc:
            return exc

    cert = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] self-signed")
    assert decide_transport_error("GET", connect_error(cert)) is Decision.FAIL
    refused = ConnectionRefusedError(111, "Connection refused")
    assert decide_transport_error("GET", connect_error(refused)) is Decision.RETRY


@pytest.mark.parametrize("page", [2**63, 41009205611227316224, 10**6 + 1])
def test_sandbox_refuses_a_huge_page_with_422_not_500(
    module_sandbox: SandboxHandle, page: int
) -> None:
    # schemathesis: OFFSET overflowed SQLite's integer -> 500 OverflowError/IntegrityError.
    sb = module_sandbox
    for path in ("/v1/benefit-products", "/v1/benefit-products/bprd_mec/plan-years"):
        response = httpx.get(
            f"{sb.base_url}{path}",
            params={"page": page},
            headers={"Authorization": f"Bearer {sb.api_key}"},
        )
        assert response.status_code == 422, response.text
        assert "page" in response.json()["message"]


def test_sandbox_405_allows_every_method_of_the_path(module_sandbox: SandboxHandle) -> None:
    # schemathesis: Allow said "GET" on /v1/employers, which also takes POST.
    sb = module_sandbox
    response = httpx.request(
        "OPTIONS", f"{sb.base_url}/v1/employers", headers={"Authorization": f"Bearer {sb.api_key}"}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_sandbox_documents_400_for_a_body_that_is_not_json(module_sandbox: SandboxHandle) -> None:
    # schemathesis: a non-JSON body got 400, a status the OpenAPI document did not list.
    from vitable_config.sandbox.openapi import openapi_document

    sb = module_sandbox
    response = httpx.post(
        f"{sb.base_url}/v1/employers",
        content=b"\xff\xfe not json",
        headers={"Authorization": f"Bearer {sb.api_key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    paths = openapi_document()["paths"]
    for path, method in [
        ("/v1/employers", "post"),
        ("/v1/benefit-products/{benefit_product_id}/plan-years", "post"),
        ("/v1/plan-years/{plan_year_id}", "put"),
        ("/v1/enrollments/{enrollment_id}/reissue", "post"),
    ]:
        assert "400" in paths[path][method]["responses"], (path, method)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/v1/employers/empr_globex/benefit-eligibility-policy",
            {"name": "p", "effective_date": 0, "rules": []},
        ),
        (
            "/v1/benefit-products/bprd_mec/plan-years",
            {
                "employer_id": "empr_r001",
                "coverage_start": 1893456000,  # 2030-01-01 as a Unix time
                "coverage_end": "2030-12-31",
                "open_enrollment_start": "2029-12-01",
                "open_enrollment_end": "2029-12-15",
                "contribution_classes": [
                    {
                        "employment": "full_time",
                        "family_status": "EE",
                        "employee_contribution_cents": 1,
                        "employer_contribution_cents": 1,
                    }
                ],
            },
        ),
    ],
)
def test_sandbox_refuses_a_number_as_a_date(
    module_sandbox: SandboxHandle, path: str, body: dict
) -> None:
    # schemathesis: {"effective_date": 0} was accepted as 1970-01-01.
    sb = module_sandbox
    response = httpx.post(
        f"{sb.base_url}{path}", json=body, headers={"Authorization": f"Bearer {sb.api_key}"}
    )
    assert response.status_code == 422, response.text
    assert "not a number" in response.json()["message"]


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32"), ("utf-32-be", "UTF-32")],
)
def test_wide_encodings_are_named(tmp_path: Path, encoding: str, name: str) -> None:
    # The corpus: a UTF-16 file was reported as "binary ... check the path".
    path = tmp_path / "c.yaml"
    path.write_bytes("version: 1\nemployers: {}\n".encode(encoding))
    result = run_cli(["validate", path])
    assert result.code == 1
    assert f"{path}:1:1: error: file is encoded as {name}, not UTF-8" in result.err
    assert "save the file as UTF-8" in result.err


def test_throttle_fault_is_a_429_with_retry_after_and_writes_nothing() -> None:
    # The fault tests need 429s drawn from the seed (the rate limit depends on timing).

    from vitable_config.sandbox import FaultSettings, running_sandbox

    with running_sandbox(start_sandbox(faults=FaultSettings(throttle=1.0, throttle_ms=70))) as sb:
        before = len(sb.list_all_plan_years())
        response = httpx.post(
            f"{sb.base_url}/v1/employers",
            json={"name": "n", "legal_name": "l", "ein": "12-3456789"},
            headers={"Authorization": f"Bearer {sb.api_key}"},
        )
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        assert response.headers["retry-after-ms"] == "70"
        assert sb.write_count() == 0 and len(sb.list_all_plan_years()) == before
        assert [r.fault for r in sb.request_log] == ["throttle"]
