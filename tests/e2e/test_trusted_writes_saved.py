"""Saved plans are verified, not trusted (issue 11, item 4).

``plan --out`` records a digest of its config inputs and of its actions; ``apply FILE``
re-derives the plan from the config and the live state, and refuses the whole file
with zero writes unless the re-derived actions are identical. Each tampered file
below must exit 1 with no POST or PUT received by the sandbox.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.e2e_support import PY, api_args, live_plan_years, run_cli, writes


def acme(er: int = 40000) -> list[PY]:
    return [PY("empr_acme", "MEC", er=er), PY("empr_acme", "VD", ee=1200, er=2400)]


@pytest.fixture
def saved(sandbox, tmp_path) -> tuple[Path, Path, dict[str, Any]]:
    """acme's two plan years live; a saved plan with one update (MEC) and one create
    (acme 2028 MEC). Returns (config, plan file, plan document)."""
    cfg = tmp_path / "vitable.yaml"
    from tests.e2e.e2e_support import config_yaml

    cfg.write_text(config_yaml(acme()))
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)]).code == 0
    cfg.write_text(
        config_yaml([*acme(er=45000), PY("empr_acme", "MEC", start="2028-01-01", end="2028-12-31")])
    )
    out = tmp_path / "plan.json"
    made = run_cli(["plan", cfg, "--out", out, *api_args(sandbox)])
    assert made.code == 0, made.err
    return cfg, out, json.loads(out.read_text())


def _update(doc: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in doc["changes"] if c["action"] == "update")


def _create(doc: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in doc["changes"] if c["action"] == "create")


def cents_changed(doc: dict[str, Any], sb: Any) -> None:
    for c in _update(doc)["request"]["contribution_classes"]:
        c["employer_contribution_cents"] = 99999


def live_id_of_other_employer(doc: dict[str, Any], sb: Any) -> None:
    other = next(p for p in live_plan_years(sb) if p["employer_id"] == "empr_globex")
    _update(doc)["live_id"] = other["id"]


def duplicate_create(doc: dict[str, Any], sb: Any) -> None:
    doc["changes"].append(copy.deepcopy(_create(doc)))


def new_employer_create(doc: dict[str, Any], sb: Any) -> None:
    extra = copy.deepcopy(_create(doc))
    extra["key"]["employer_id"] = "empr_r001"
    extra["request"]["employer_id"] = "empr_r001"
    doc["changes"].append(extra)


def key_employer_differs_from_request(doc: dict[str, Any], sb: Any) -> None:
    extra = copy.deepcopy(_create(doc))
    extra["key"]["coverage_start"] = "2029-01-01"
    extra["request"]["employer_id"] = "empr_globex"
    doc["changes"].append(extra)


TAMPERS: dict[str, Callable[[dict[str, Any], Any], None]] = {
    "request-cents-changed": cents_changed,
    "live-id-of-another-employer": live_id_of_other_employer,
    "appended-duplicate-create": duplicate_create,
    "appended-create-new-employer": new_employer_create,
    "appended-create-key-employer-differs": key_employer_differs_from_request,
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_a_tampered_saved_plan_is_refused_with_zero_writes(
    sandbox, saved, tmp_path, tamper: str
) -> None:
    _cfg, out, doc = saved
    TAMPERS[tamper](doc, sandbox)
    out.write_text(json.dumps(doc, indent=2))
    before = live_plan_years(sandbox)
    n = len(writes(sandbox))
    result = run_cli(["apply", out, "--auto-approve", *api_args(sandbox)])
    assert result.code == 1, result.out + result.err
    assert len(writes(sandbox)) == n, f"{tamper}: a tampered plan was sent"
    assert live_plan_years(sandbox) == before
    assert "Traceback" not in result.err
    assert "saved plan" in result.err and "refus" in result.err, result.err
    print(f"{tamper}: exit 1, writes refused, 0 POST/PUT")


def test_config_changed_after_plan_is_refused(sandbox, saved) -> None:
    cfg, out, _doc = saved
    cfg.write_text(cfg.read_text().replace("45000", "46000"))
    n = len(writes(sandbox))
    result = run_cli(["apply", out, "--auto-approve", *api_args(sandbox)])
    assert result.code == 1
    assert len(writes(sandbox)) == n
    assert "config" in result.err and "changed since the plan was made" in result.err


def test_digest_shown_in_plan_and_apply_and_untampered_plan_applies(sandbox, saved) -> None:
    cfg, out, doc = saved
    digest = doc["digest"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    text = run_cli(["plan", cfg, *api_args(sandbox)])
    md = run_cli(["plan", cfg, "--format", "markdown", *api_args(sandbox)])
    assert digest in text.out and digest in md.out
    result = run_cli(["apply", out, "--auto-approve", *api_args(sandbox)])
    assert result.code == 0, result.err
    assert digest in result.out
    assert "Apply: 1 created, 1 updated, 0 failed, 0 skipped" in result.out
