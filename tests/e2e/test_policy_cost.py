"""Cost impact through the CLI against the sandbox: the rollout example with its
headcount file, checked against figures computed by hand from the example's YAML,
CSV and headcount rows; blocked changes apart; guardrails; bad headcount files."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.e2e.e2e_support import REPO, api_args, run_cli, writes

ROLLOUT = REPO / "examples" / "rollout"
R007_LOCKED = date(2031, 10, 20)  # empr_r007 is in open enrollment, the others are drafts
HEADCOUNT = ROLLOUT / "headcount.csv"

# Hand-computed from examples/rollout (vitable.yaml, employers.csv) and headcount.csv.
# Headcount for every MEC plan year: full_time EE 10, ES 3, EC 2, EF 4; part_time EE 5;
# empr_r003's full_time EE is 25 (its own row wins over the '*' row).
# Template employee shares: EE $45, ES $120, EC $110, EF $180, part_time EE $90.
STANDARD_EMPLOYEE = 10 * 4500 + 3 * 12000 + 2 * 11000 + 4 * 18000 + 5 * 9000  # 220,000
R003_EMPLOYEE = 25 * 4500 + 3 * 12000 + 2 * 11000 + 4 * 18000 + 5 * 9000  # 287,500
R007_EMPLOYEE = STANDARD_EMPLOYEE - 5 * 9000  # no part-time class: 175,000
# empr_r003: ee_employer_cents 30000, its override sets EE employer $500.00;
# ES = round(30000 * 1.7), EC = round(30000 * 1.6), EF = 30000 * 2.5, part_time x 0.5.
R003_EMPLOYER = 25 * 50000 + 3 * 51000 + 2 * 48000 + 4 * 75000 + 5 * 15000  # 1,874,000
# Dental (bprd_dental rows): EE 8 x ($12, $24), EF 2 x ($35, $40), for r001..r005.
DENTAL = (8 * 1200 + 2 * 3500, 8 * 2400 + 2 * 4000)  # (16,600, 27,200)
# 28 standard MEC plan years + r003 + r007 + Globex (standard employee shares) + 5 dental.
ALL_EMPLOYEE = 28 * STANDARD_EMPLOYEE + R003_EMPLOYEE + R007_EMPLOYEE
ALL_EMPLOYEE += STANDARD_EMPLOYEE + 5 * DENTAL[0]  # 6,925,500


def cost_of(doc: dict, employer: str, product: str) -> dict:
    for line in doc["cost"]["plan_years"]:
        key = line["key"]
        if key["employer_id"] == employer and key["product_code"] == product:
            return line
    raise AssertionError(f"no cost line for {employer} {product}")


def test_rollout_example_costs_from_zero_match_hand_computed(sandbox) -> None:
    plan = run_cli(
        ["plan", ROLLOUT, "--headcount", HEADCOUNT, "--format", "json", *api_args(sandbox)]
    )
    assert plan.code == 0, plan.err
    doc = plan.json
    assert [v for v in doc["violations"] if v["denies"]] == []  # the example passes
    r003 = cost_of(doc, "empr_r003", "MEC")
    assert r003["action"] == "create"
    assert r003["monthly"]["before"] == {"employee": 0, "employer": 0}  # creates from zero
    assert r003["monthly"]["after"] == {"employee": R003_EMPLOYEE, "employer": R003_EMPLOYER}
    assert r003["annual"]["after"]["employer"] == 12 * R003_EMPLOYER
    dental = cost_of(doc, "empr_r001", "VD")
    assert dental["monthly"]["after"] == {"employee": DENTAL[0], "employer": DENTAL[1]}
    assert cost_of(doc, "empr_r007", "MEC")["monthly"]["after"]["employee"] == R007_EMPLOYEE
    overall = doc["cost"]["overall"]["monthly"]
    assert overall["before"] == {"employee": 0, "employer": 0}
    assert overall["after"]["employee"] == ALL_EMPLOYEE
    # the overall employer total is the sum of the 36 plan years
    assert overall["after"]["employer"] == sum(
        line["monthly"]["after"]["employer"] for line in doc["cost"]["plan_years"]
    )
    assert len(doc["cost"]["plan_years"]) == 36
    assert doc["cost"]["unmatched_classes"] == 0
    assert writes(sandbox) == []


def test_rollout_change_in_markdown_leads_with_the_overall_change(sandbox, tmp_path) -> None:
    config = tmp_path / "rollout"
    shutil.copytree(ROLLOUT, config)
    applied = run_cli(["apply", config, "--auto-approve", *api_args(sandbox)])
    assert applied.code == 0, applied.err
    # empr_r007's open enrollment starts 2031-10-15, everyone else's 2031-11-01.
    sandbox.set_today(R007_LOCKED)
    # The pull request: the employee-only employee share goes from $45.00 to $50.00.
    yaml_file = config / "vitable.yaml"
    text = yaml_file.read_text()
    assert 'EE: {employee: "$45.00", employer: "{{ ee_employer_cents }}"}' in text
    yaml_file.write_text(text.replace('EE: {employee: "$45.00"', 'EE: {employee: "$50.00"'))
    plan = run_cli(
        ["plan", config, "--force", "--headcount", HEADCOUNT, "--format", "markdown",
         *api_args(sandbox)]
    )  # fmt: skip
    assert plan.code == 0, plan.err
    md = plan.out
    # 29 rollout plan years + Globex update; empr_r007 is in open enrollment: blocked.
    assert "Plan: 0 to create, 30 to update, 1 blocked" in md
    delta = 500 * (28 * 10 + 25 + 10)  # 157,500 cents
    assert delta == 157_500
    pct = 100 * delta / ALL_EMPLOYEE  # 2.27...
    head = f"**Employee contributions +$1,575.00/month (+{pct:.1f}%)"
    assert head in md
    assert md.index(head) < md.index("### Blocked")
    assert "+$18,900.00/year" in md  # 12 x $1,575.00
    assert "**Employer contributions +$0.00/month (+0.0%)" in md
    r007 = 500 * 10 / R007_EMPLOYEE * 100
    assert (
        "Blocked changes would cost employer +$0.00/month (+0.0%), employee +$50.00/month "
        f"(+{r007:.1f}%) but cannot be applied" in md
    )
    assert len(md) < 65_000
    # text and JSON say the same
    text_plan = run_cli(["plan", config, "--force", "--headcount", HEADCOUNT, *api_args(sandbox)])
    assert text_plan.code == 0, text_plan.err
    assert f"Employee contributions +$1,575.00/month (+{pct:.1f}%)" in text_plan.out
    doc = run_cli(
        ["plan", config, "--force", "--headcount", HEADCOUNT, "--format", "json",
         *api_args(sandbox)]
    ).json  # fmt: skip
    assert doc["cost"]["overall"]["monthly"]["change"] == {"employee": delta, "employer": 0}
    assert doc["cost"]["blocked"]["monthly"]["change"] == {"employee": 5000, "employer": 0}


def test_without_a_headcount_file_the_plan_says_totals_need_one(sandbox) -> None:
    plan = run_cli(["plan", ROLLOUT, "--format", "markdown", *api_args(sandbox)])
    assert plan.code == 0, plan.err
    assert "totals need a headcount file" in plan.out
    assert "Employer contributions" not in plan.out
    assert "warning" not in plan.out.lower()  # the example's policies pass


def _guardrail(tmp_path: Path, rule: str) -> Path:
    config = tmp_path / "rollout"
    shutil.copytree(ROLLOUT, config)
    (config / "guardrail.yaml").write_text(f"version: 1\npolicies:\n{rule}")
    return config


def test_cost_guardrail_overall_amount_denies(sandbox, tmp_path) -> None:
    config = _guardrail(
        tmp_path,
        "  budget:\n    kind: cost_change_max\n    level: deny\n    amount: '$300000.00'\n",
    )
    plan = run_cli(["plan", config, "--headcount", HEADCOUNT, *api_args(sandbox)])
    assert plan.code == 1
    assert "DENY budget" in plan.out
    assert "overall: employer contributions +$345,591.00/month (from $0.00), more than " in (
        plan.out
    )
    # a higher budget passes; without --headcount the guardrail cannot be checked
    config = _guardrail(
        tmp_path / "b",
        "  budget:\n    kind: cost_change_max\n    level: deny\n    amount: '$400000.00'\n",
    )
    assert run_cli(["plan", config, "--headcount", HEADCOUNT, *api_args(sandbox)]).code == 0
    unchecked = run_cli(["plan", config, *api_args(sandbox)])
    assert unchecked.code == 0
    # the guardrail is reported as not evaluated, never as passed
    assert "policy budget not evaluated: cost guardrails need a headcount file" in unchecked.out


def test_cost_guardrail_per_employer_percent(sandbox, tmp_path) -> None:
    config = tmp_path / "rollout"
    shutil.copytree(ROLLOUT, config)
    assert run_cli(["apply", config, "--auto-approve", *api_args(sandbox)]).code == 0
    sandbox.set_today(R007_LOCKED)
    (config / "guardrail.yaml").write_text(
        "version: 1\npolicies:\n  step:\n    kind: cost_change_max\n    level: deny\n"
        "    per: employer\n    side: employee\n    percent: 2\n"
    )
    text = (config / "vitable.yaml").read_text()
    text = text.replace('EE: {employee: "$45.00"', 'EE: {employee: "$50.00"')
    # a per-employer guardrail is excepted by an allow: on one of that employer's plan years
    r003 = "      - benefit_product: bprd_mec\n        coverage: {start: 2032-01-01}\n"
    assert text.count(r003) == 2  # empr_r003's override, then empr_r007's
    text = text.replace(
        r003, r003 + "        allow: [{rule: step, reason: R003 agreed the rise}]\n", 1
    )
    (config / "vitable.yaml").write_text(text)
    plan = run_cli(
        ["plan", config, "--force", "--headcount", HEADCOUNT, "--format", "json",
         *api_args(sandbox)]
    )  # fmt: skip
    assert plan.code == 1
    denied = {v["employer_id"] for v in plan.json["violations"] if v["denies"]}
    # +$50.00 on $2,200.00 is +2.3% (> 2%); r003 (excepted): +$125.00 on $2,875.00;
    # r001..r005 also have dental, unchanged, so +$50 on $2,366 = +2.1%; r007 is blocked.
    assert "empr_r007" not in denied
    assert {"empr_r001", "empr_globex", "empr_r010"} <= denied
    assert len(denied) == 29
    (allowed,) = [v for v in plan.json["violations"] if v["allowed"]]
    # 25 x $5.00 on MEC $2,875.00 + dental $166.00 = $3,041.00: +4.1%
    r003_pct = 100 * 25 * 500 / (R003_EMPLOYEE + DENTAL[0])
    assert allowed["employer_id"] == "empr_r003"
    assert allowed["detail"] == (
        f"employee contributions +$125.00/month (+{r003_pct:.1f}%), more than 2%"
    )
    assert allowed["allowed"]["reason"] == "R003 agreed the rise"


HEADER = "employer,benefit_product,employment,tier,count\n"


@pytest.mark.parametrize(
    ("content", "message", "where"),
    [
        ("employer,benefit_product,tier,count\n*,MEC,EE,1\n", "no employment column", ":1"),
        (HEADER + "*,MEC,full_time,XX,1\n", "tier 'XX'", ":2:4"),
        (HEADER + "*,MEC,full_time,EE,-1\n", "count '-1'", ":2:5"),
        (
            HEADER + "*,MEC,full_time,EE,1\n*,MEC,full_time,EE,2\n",
            "duplicate row for */MEC/full_time/EE",
            ":3",
        ),
        (HEADER + "*,MEC,full_time\n", "expected 5 cells", ":2"),
    ],
)
def test_bad_headcount_file_is_an_error_at_file_line(
    sandbox, tmp_path, content: str, message: str, where: str
) -> None:
    path = tmp_path / "headcount.csv"
    path.write_text(content)
    for command in (["validate", ROLLOUT], ["plan", ROLLOUT, *api_args(sandbox)]):
        result = run_cli([*command, "--headcount", path])
        assert result.code == 1, result.out
        assert f"{path}{where}" in result.err and message in result.err
        assert "Traceback" not in result.err
    assert sandbox.request_log == [] or all(
        not str(getattr(r, "path", r.get("path") if isinstance(r, dict) else "")).startswith("/v1/")
        for r in sandbox.request_log
    )
