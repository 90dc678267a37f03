"""Policies through the CLI: validate (desired values only), and plan/apply against the
sandbox over loopback HTTP (desired and live values). Every built-in rule kind passes
and fails, scopes select, exceptions need a reason, custom expressions are bounded."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest

from tests.e2e.e2e_support import REPO, api_args, live_plan_years, run_cli, writes

# A rollout of one template to three employers; employer overrides per test.
BASE = """\
version: 1
variables:
  ee_cap: 6000
templates:
  std:
    benefit_product: MEC
    coverage: {start: 2027-01-01, end: 2027-12-31}
    open_enrollment: {start: 2026-12-01, end: 2026-12-15}
    contribution_classes:
      full_time:
        EE: {employee: 5000, employer: 40000}
        ES: {employee: 12000, employer: 60000}
        EC: {employee: 11000, employer: 55000}
        EF: {employee: 18000, employer: 90000}
rollouts:
  - name: wave
    template: std
    employers: {list: [empr_acme, empr_r001, empr_r002]}
"""


def write(tmp_path: Path, policies: str, employers: str = "", name: str = "c.yaml") -> Path:
    """The base config plus a ``policies:`` section and ``employers:`` overrides."""
    text = BASE + "policies:\n" + _indent(policies)
    if employers:
        text += "employers:\n" + _indent(employers)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _indent(block: str) -> str:
    return "".join(f"  {line}\n" if line.strip() else "\n" for line in block.splitlines())


def override(employer: str, classes: str, extra: str = "") -> str:
    """An employer's override of the rollout's plan year (key: MEC, 2027-01-01)."""
    text = (
        f"{employer}:\n  plan_years:\n    - benefit_product: MEC\n"
        f"      coverage: {{start: 2027-01-01}}\n"
    )
    for line in extra.splitlines():
        text += f"      {line}\n"
    text += "      contribution_classes:\n"
    for line in classes.splitlines():
        text += f"        {line}\n"
    return text


def validate(path: Path, *extra: str) -> object:
    return run_cli(["validate", str(path), *extra])


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


# --- built-in rule kinds, through validate ---------------------------------------------


def test_employer_share_min_passes_and_fails_with_provenance(tmp_path: Path) -> None:
    rule = "half:\n  kind: employer_share_min\n  level: deny\n  percent: 50\n  tiers: [EE]\n"
    ok = validate(write(tmp_path, rule))
    assert ok.code == 0, ok.out + ok.err
    assert "OK: 3 plan years" in ok.out

    cfg = write(tmp_path, rule, override("empr_r001", "full_time:\n  EE: {employer: 4000}"))
    bad = validate(cfg)
    assert bad.code == 1
    assert "DENY half" in bad.out
    # names the plan year, the value, the figures and the layer with file:line
    line = line_of(cfg, "EE: {employer: 4000}")
    assert (
        "empr_r001 MEC 2027-01-01: full_time/EE employer share $40.00 is 44.4% of $90.00 "
        "(at least 50% required)" in bad.out
    )
    assert f"from employer override ({cfg}:{line})" in bad.out
    assert "empr_acme" not in bad.out and "empr_r002" not in bad.out
    assert "1 policy violation of deny rule half" in bad.err
    assert "Traceback" not in bad.err


def test_employee_share_max_cap_from_a_variable(tmp_path: Path) -> None:
    rule = (
        "affordable:\n  kind: employee_share_max\n  level: deny\n"
        '  max: {EE: "{{ ee_cap }}", EF: "$200.00"}\n'
    )
    assert validate(write(tmp_path, rule)).code == 0
    cfg = write(tmp_path, rule, override("empr_acme", "full_time:\n  EE: {employee: 6001}"))
    bad = validate(cfg)
    assert bad.code == 1
    assert "full_time/EE employee share $60.01 is above the cap $60.00 by $0.01" in bad.out
    # the cap follows --var (the variable is global, so --var overrides it)
    assert validate(cfg, "--var", "ee_cap=7000").code == 0


def test_tier_order(tmp_path: Path) -> None:
    rule = "order:\n  kind: tier_order\n  level: deny\n"
    assert validate(write(tmp_path, rule)).code == 0
    cfg = write(tmp_path, rule, override("empr_r002", "full_time:\n  EF: {employee: 10000}"))
    bad = validate(cfg)
    assert bad.code == 1
    # EF (family) cheaper than ES and EC for the employee: two steps broken
    assert "full_time/EF employee share $100.00 is less than full_time/ES's $120.00" in bad.out
    assert "full_time/EF employee share $100.00 is less than full_time/EC's $110.00" in bad.out


def test_required_classes_and_scope(tmp_path: Path) -> None:
    rule = (
        "offer-all:\n  kind: required_classes\n  level: deny\n  scope: {employers: ['empr_r*']}\n"
    )
    removal = "full_time:\n  ES: null"
    # the class is removed for empr_acme only: out of scope, so it passes
    assert validate(write(tmp_path, rule, override("empr_acme", removal))).code == 0
    bad = validate(write(tmp_path, rule, override("empr_r001", removal)))
    assert bad.code == 1
    assert "empr_r001 MEC 2027-01-01: missing contribution class full_time/ES" in bad.out
    # scope by product, template and rollout globs: a match checks, no match does not
    for scope in ("{products: [MEC]}", "{rollouts: ['wav*']}", "{templates: [std]}"):
        text = rule.replace("{employers: ['empr_r*']}", scope)
        assert validate(write(tmp_path, text, override("empr_r001", removal))).code == 1, scope
    # scope by product and rollout glob: no match means no check
    for scope in ("{products: [VD]}", "{rollouts: [other*]}", "{templates: [nope]}"):
        text = rule.replace("{employers: ['empr_r*']}", scope)
        assert validate(write(tmp_path, text, override("empr_r001", removal))).code == 0, scope


def test_warn_level_is_shown_but_passes(tmp_path: Path) -> None:
    rule = "order:\n  kind: tier_order\n  level: warn\n  message: check the family price\n"
    cfg = write(tmp_path, rule, override("empr_r002", "full_time:\n  EF: {employee: 10000}"))
    result = validate(cfg)
    assert result.code == 0, result.err
    assert "WARN order: check the family price" in result.out
    assert "OK: 3 plan years" in result.out


# --- exceptions ----------------------------------------------------------------------


def test_exception_with_a_reason_is_shown_and_passes(tmp_path: Path) -> None:
    rule = "half:\n  kind: employer_share_min\n  level: deny\n  percent: 50\n"
    allow = "allow:\n  - {rule: half, reason: contract with R001 runs to 2028}"
    cfg = write(tmp_path, rule, override("empr_r001", "full_time:\n  EE: {employer: 4000}", allow))
    result = validate(cfg)
    assert result.code == 0, result.out + result.err
    assert "ALLOWED half" in result.out
    line = line_of(cfg, "contract with R001")
    assert f"(allowed: 'contract with R001 runs to 2028', employer override ({cfg}:{line}))" in (
        result.out
    )


def test_exception_on_a_template_reaches_every_plan_year(tmp_path: Path) -> None:
    rule = "half:\n  kind: employer_share_min\n  level: deny\n  percent: 90\n"
    cfg = write(tmp_path, rule)
    text = cfg.read_text().replace(
        "    benefit_product: MEC\n",
        "    benefit_product: MEC\n    allow: [{rule: half, reason: pilot pricing}]\n",
    )
    cfg.write_text(text)
    result = validate(cfg)
    assert result.code == 0, result.out + result.err
    assert result.out.count("allowed: 'pilot pricing'") == 12  # 3 plan years x 4 classes


@pytest.mark.parametrize(
    ("allow", "message"),
    [
        ("allow: [half]", "an exception needs a reason"),
        ("allow:\n  - {rule: half}", "the exception to rule 'half' needs a reason"),
        ('allow:\n  - {rule: half, reason: ""}', "needs a reason"),
        ("allow:\n  - {rule: halff, reason: typo}", "allow: no policy named 'halff'"),
    ],
)
def test_exception_without_a_reason_or_rule_is_an_error(
    tmp_path: Path, allow: str, message: str
) -> None:
    rule = "half:\n  kind: employer_share_min\n  level: deny\n  percent: 50\n"
    cfg = write(tmp_path, rule, override("empr_r001", "full_time:\n  EE: {employer: 4000}", allow))
    result = validate(cfg)
    assert result.code == 1
    assert message in result.err
    assert f"{cfg}:{line_of(cfg, allow.splitlines()[-1].strip())}" in result.err
    assert "Traceback" not in result.err


def test_policies_merge_across_files_and_duplicates_are_errors(tmp_path: Path) -> None:
    cfg = write(tmp_path, "")
    cfg.write_text(cfg.read_text().replace("policies:\n", ""))
    extra = tmp_path / "policies.yaml"
    extra.write_text(
        "version: 1\npolicies:\n  order: {kind: tier_order, level: deny}\n", encoding="utf-8"
    )
    assert run_cli(["validate", str(tmp_path)]).code == 0
    dup = tmp_path / "zz-more.yaml"
    dup.write_text("version: 1\npolicies:\n  order: {kind: tier_order, level: warn}\n")
    result = run_cli(["validate", str(tmp_path)])
    assert result.code == 1
    assert f"{dup}:3:3: error: policy 'order' is defined twice (also at {extra}:3:3)" in (
        result.err
    )


def test_bad_rule_is_a_schema_error_at_file_line(tmp_path: Path) -> None:
    cfg = write(tmp_path, "half:\n  kind: employer_share_min\n  level: block\n  percent: 50\n")
    result = validate(cfg)
    assert result.code == 1
    assert f"{cfg}:{line_of(cfg, 'level: block')}" in result.err
    assert "Traceback" not in result.err


# --- custom expressions ----------------------------------------------------------------


def test_custom_expression_passes_and_fails(tmp_path: Path) -> None:
    rule = (
        "family-richer:\n  kind: expression\n  level: deny\n"
        "  expr: desired.full_time.EF.employer >= desired.full_time.EE.employer\n"
    )
    assert validate(write(tmp_path, rule)).code == 0
    cfg = write(tmp_path, rule, override("empr_acme", "full_time:\n  EF: {employer: 100}"))
    bad = validate(cfg)
    assert bad.code == 1
    assert "empr_acme MEC 2027-01-01: expression is false: desired.full_time.EF.employer" in (
        bad.out
    )


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("'x' * 100000 == 'x'", "repetition would exceed"),
        ("desired.full_time.EE.employer ** 99999 > 0", "power too large"),
        ("desired.nope.EE.employer > 0", "undefined variable"),
        ("desired.full_time.EE.employer", "must be true or false"),
        ("(" * 5 + "1" + ")" * 5 + " + 'a' == 1", "expression failed"),
    ],
)
def test_hostile_or_broken_expression_is_an_error_at_its_location(
    tmp_path: Path, expr: str, message: str
) -> None:
    cfg = write(tmp_path, f'bad:\n  kind: expression\n  level: warn\n  expr: "{expr}"\n')
    started = time.monotonic()
    result = validate(cfg)
    elapsed = time.monotonic() - started
    assert result.code == 1, result.out
    assert message in result.err
    assert f"{cfg}:{line_of(cfg, 'expr:')}:" in result.err
    assert "Traceback" not in result.err
    assert elapsed < 30  # generous: the bound is structural, not a timer


def test_expression_size_and_syntax_are_checked_before_anything_runs(tmp_path: Path) -> None:
    long_expr = " or ".join(["desired.full_time.EE.employer > 0"] * 40)  # > 1,000 characters
    for expr, message in (
        (long_expr, "longer than 1,000 characters"),
        ("desired.full_time.EE.employer >", "Jinja syntax error"),
        ("{{ 1 }}", "without {{ }} braces"),
    ):
        cfg = write(tmp_path, f'bad:\n  kind: expression\n  level: warn\n  expr: "{expr}"\n')
        result = validate(cfg)
        assert result.code == 1, expr
        assert message in result.err, result.err
        assert f"{cfg}:{line_of(cfg, 'expr:')}" in result.err


# --- plan and apply against the sandbox -------------------------------------------------


def test_deny_fails_plan_under_detailed_exitcode_and_apply_writes_nothing(
    sandbox, tmp_path: Path
) -> None:
    rule = "half:\n  kind: employer_share_min\n  level: deny\n  percent: 50\n"
    cfg = write(tmp_path, rule, override("empr_r001", "full_time:\n  EE: {employer: 4000}"))
    for extra in ([], ["--detailed-exitcode"], ["--format", "json"], ["--format", "markdown"]):
        plan = run_cli(["plan", str(cfg), *extra, *api_args(sandbox)])
        assert plan.code == 1, (extra, plan.err)
        assert "policy violation" in plan.err
    out = tmp_path / "plan.json"
    saved = run_cli(["plan", str(cfg), "--out", str(out), *api_args(sandbox)])
    assert saved.code == 1 and not out.exists()  # a denied plan is not saved
    before = live_plan_years(sandbox)
    applied = run_cli(["apply", str(cfg), "--auto-approve", *api_args(sandbox)])
    assert applied.code == 1
    assert "nothing was written to the API" in applied.err
    assert writes(sandbox) == [] and live_plan_years(sandbox) == before


def test_json_and_markdown_carry_violations_first(sandbox, tmp_path: Path) -> None:
    rule = "order:\n  kind: tier_order\n  level: warn\n"
    cfg = write(tmp_path, rule, override("empr_r002", "full_time:\n  EF: {employee: 10000}"))
    plan = run_cli(["plan", str(cfg), "--format", "json", *api_args(sandbox)])
    assert plan.code == 0, plan.err
    doc = plan.json
    schema = json.loads((REPO / "schemas" / "plan.schema.json").read_text())
    jsonschema.validate(doc, schema)
    (v, *_rest) = doc["violations"]
    assert v["rule"] == "order" and v["level"] == "warn" and v["denies"] is False
    assert v["key"]["employer_id"] == "empr_r002"
    assert v["path"] == ["contribution_classes", "full_time", "EF", "employee_contribution_cents"]
    assert v["value"] == 10000
    assert v["source"]["kind"] == "employer" and v["source"]["line"] == line_of(
        cfg, "EF: {employee: 10000}"
    )
    md = run_cli(["plan", str(cfg), "--format", "markdown", *api_args(sandbox)]).out
    assert md.index("Policy violations") < md.index("Changes by employer")
    assert "**WARN order: an employee must never pay less for a larger tier** (2)" in md


def test_no_employer_decrease_needs_live_values(sandbox, tmp_path: Path) -> None:
    rule = "keep:\n  kind: no_employer_decrease\n  level: deny\n"
    cfg = write(tmp_path, rule)
    assert run_cli(["apply", str(cfg), "--auto-approve", *api_args(sandbox)]).code == 0
    lower = write(tmp_path, rule, override("empr_acme", "full_time:\n  ES: {employer: 59000}"))
    # validate has no live values: the rule is not evaluated there
    assert validate(lower).code == 0
    plan = run_cli(["plan", str(lower), "--detailed-exitcode", *api_args(sandbox)])
    assert plan.code == 1
    assert "empr_acme MEC 2027-01-01: full_time/ES employer share $600.00 → $590.00 (-$10.00)" in (
        plan.out
    )
    higher = write(tmp_path, rule, override("empr_acme", "full_time:\n  ES: {employer: 61000}"))
    assert run_cli(["plan", str(higher), "--detailed-exitcode", *api_args(sandbox)]).code == 2


def test_expression_over_live_values(sandbox, tmp_path: Path) -> None:
    rule = (
        "small-steps:\n  kind: expression\n  level: deny\n"
        "  expr: desired.full_time.EE.employee - live.full_time.EE.employee <= 1000\n"
    )
    cfg = write(tmp_path, rule)
    assert validate(cfg).code == 0  # reads `live`: skipped without live values
    assert run_cli(["apply", str(cfg), "--auto-approve", *api_args(sandbox)]).code == 0
    jump = write(tmp_path, rule, override("empr_r001", "full_time:\n  EE: {employee: 7000}"))
    plan = run_cli(["plan", str(jump), *api_args(sandbox)])
    assert plan.code == 1
    assert "DENY small-steps" in plan.out and "empr_r001 MEC 2027-01-01" in plan.out


def test_saved_plan_with_a_denial_is_refused_by_apply(sandbox, tmp_path: Path) -> None:
    rule = "order:\n  kind: tier_order\n  level: warn\n"
    cfg = write(tmp_path, rule, override("empr_r002", "full_time:\n  EF: {employee: 10000}"))
    out = tmp_path / "plan.json"
    assert run_cli(["plan", str(cfg), "--out", str(out), *api_args(sandbox)]).code == 0
    doc = json.loads(out.read_text())
    for v in doc["violations"]:  # as if the rule had been deny when the plan was made
        v["level"], v["denies"] = "deny", True
    out.write_text(json.dumps(doc))
    applied = run_cli(["apply", str(out), *api_args(sandbox)])
    assert applied.code == 1
    assert "policy violations of deny rule order" in applied.err
    assert writes(sandbox) == []


def test_validate_json_reports_violations_as_problems(tmp_path: Path) -> None:
    rule = "half:\n  kind: employer_share_min\n  level: deny\n  percent: 50\n"
    rule += "order:\n  kind: tier_order\n  level: warn\n"
    cfg = write(
        tmp_path,
        rule,
        override("empr_r001", "full_time:\n  EE: {employer: 4000}\n  EF: {employee: 100}"),
    )
    result = run_cli(["validate", str(cfg), "--format", "json"])
    assert result.code == 1
    report = result.json
    schema = json.loads((REPO / "schemas" / "validate.schema.json").read_text())
    jsonschema.validate(report, schema)
    assert report["ok"] is False
    by_severity = {p["severity"]: p for p in report["problems"]}
    assert by_severity["error"]["message"].startswith("policy half (deny): ")
    assert by_severity["error"]["line"] == line_of(cfg, "EE: {employer: 4000}")
    assert by_severity["warning"]["message"].startswith("policy order (warn): ")
