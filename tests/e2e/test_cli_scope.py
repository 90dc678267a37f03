"""Scoping (--employer/--product globs), sharding and the safety cap through the CLI."""

from __future__ import annotations

import pytest

from tests.e2e.e2e_support import PY, api_args, keys_of, live_plan_years, run_cli, writes

EMPLOYERS = [f"empr_r{i:03d}" for i in range(1, 13)]


def estate() -> list[PY]:
    return [PY(e) for e in EMPLOYERS] + [PY(e, "VD", ee=1200, er=2400) for e in EMPLOYERS[:4]]


def plan_keys(result) -> set[tuple[str, str, str]]:
    return {
        (c["key"]["employer_id"], c["key"]["benefit_product_id"], c["key"]["coverage_start"])
        for c in result.json["changes"]
    }


def test_employer_and_product_globs(sandbox, write_config) -> None:
    cfg = write_config(estate())
    r = run_cli(["plan", cfg, "--employer", "empr_r00[12]", "--format", "json", *api_args(sandbox)])
    assert r.code == 0, r.err
    assert {k[0] for k in plan_keys(r)} == {"empr_r001", "empr_r002"}
    assert r.json["summary"]["create"] == 4
    assert r.json["scope"] == {"employers": ["empr_r00[12]"]}

    for glob in ("VD", "bprd_dent*"):  # code or id
        r = run_cli(["plan", cfg, "--product", glob, "--format", "json", *api_args(sandbox)])
        assert {k[1] for k in plan_keys(r)} == {"bprd_dental"}
        assert r.json["summary"]["create"] == 4

    applied = run_cli(
        [
            "apply",
            cfg,
            "--employer",
            "empr_r001",
            "--product",
            "MEC",
            "--auto-approve",
            *api_args(sandbox),
        ]
    )
    assert applied.code == 0 and "Apply: 1 created" in applied.out
    assert ("empr_r001", "bprd_mec", "2027-01-01") in keys_of(live_plan_years(sandbox))
    assert len(writes(sandbox)) == 1

    nothing = run_cli(
        ["plan", cfg, "--employer", "empr_zzz*", "--detailed-exitcode", *api_args(sandbox)]
    )
    # A scope that matches nothing is an error (issue 14), not "in sync".
    assert nothing.code == 1 and "--employer 'empr_zzz*' matches no employer" in nothing.err


def test_shards_split_the_estate_disjointly(sandbox, write_config) -> None:
    cfg = write_config(estate())
    whole = run_cli(["plan", cfg, "--format", "json", *api_args(sandbox)])
    everything = plan_keys(whole)
    assert len(everything) == 16
    parts = []
    for k in range(1, 5):
        r = run_cli(["plan", cfg, "--shard", f"{k}/4", "--format", "json", *api_args(sandbox)])
        assert r.code == 0, r.err
        assert r.json["scope"] == {"shard": f"{k}/4"}
        parts.append(plan_keys(r))
    assert set().union(*parts) == everything
    assert sum(len(p) for p in parts) == len(everything), "shards must not overlap"
    # An employer's plan years all land in the same shard.
    for p in parts:
        for other in parts:
            if other is not p:
                assert not {k[0] for k in p} & {k[0] for k in other}
    # Applying every shard (as N CI jobs would) converges to the whole.
    for k in range(1, 5):
        applied = run_cli(["apply", cfg, "--shard", f"{k}/4", "--auto-approve", *api_args(sandbox)])
        assert applied.code == 0, applied.err
    assert run_cli(["plan", cfg, "--detailed-exitcode", *api_args(sandbox)]).code == 0


def test_safety_cap_and_force(sandbox, write_config) -> None:
    employers = EMPLOYERS[:10]
    base = write_config([PY(e) for e in employers])
    assert run_cli(["apply", base, "--auto-approve", *api_args(sandbox)]).code == 0

    three = write_config([PY(e, er=41000 if i < 3 else 40000) for i, e in enumerate(employers)])
    ok = run_cli(["plan", three, "--detailed-exitcode", *api_args(sandbox)])
    assert ok.code == 2, ok.err  # 3 of 10 = 30%: at the cap, allowed

    four = write_config([PY(e, er=41000 if i < 4 else 40000) for i, e in enumerate(employers)])
    refused = run_cli(["plan", four, "--detailed-exitcode", *api_args(sandbox)])
    assert refused.code == 1
    assert "update 4 of 10 managed plan years (40%)" in refused.err and "--force" in refused.err
    n = len(writes(sandbox))
    refused_apply = run_cli(["apply", four, "--auto-approve", *api_args(sandbox)])
    assert refused_apply.code == 1 and "safety cap" in refused_apply.err
    assert len(writes(sandbox)) == n
    assert run_cli(["plan", four, "--max-change-percent", "50", *api_args(sandbox)]).code == 0

    forced = run_cli(["apply", four, "--auto-approve", "--force", *api_args(sandbox)])
    assert forced.code == 0, forced.err
    assert "overridden by --force" in forced.err
    assert "Apply: 0 created, 4 updated, 0 failed, 0 skipped" in forced.out
    assert run_cli(["plan", four, "--detailed-exitcode", *api_args(sandbox)]).code == 0


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--employer", "nomatch*"], "--employer 'nomatch*' matches no employer"),
        (["--product", "XYZ"], "--product 'XYZ' matches no product"),
        (["--employer", "empr_acme", "--employer", "typo*"], "--employer 'typo*' matches no"),
    ],
)
def test_a_scope_that_matches_nothing_is_an_error_naming_the_glob(
    sandbox, write_config, flags: list[str], named: str
) -> None:
    cfg = write_config([PY("empr_acme"), PY("empr_beta")])
    for command in (["plan", "--detailed-exitcode"], ["apply", "--auto-approve"]):
        result = run_cli([*command, cfg, *flags, *api_args(sandbox)])
        assert result.code == 1, result.out
        assert named in result.err
        assert "No changes" not in result.out
        assert "Traceback" not in result.err
    assert writes(sandbox) == []
