"""The headcount file's matching rules (the CLI paths are in tests/e2e/test_policy_cost.py)."""

from __future__ import annotations

from pathlib import Path

from vitable_config.policy.cost import read_headcount


def test_most_specific_row_wins(tmp_path: Path) -> None:
    path = tmp_path / "hc.csv"
    path.write_text(
        "employer,benefit_product,employment,tier,count\n"
        "*,*,full_time,EE,1\n"
        "*,MEC,full_time,EE,2\n"
        "empr_a*,*,full_time,EE,3\n"
        "empr_acme,*,full_time,EE,4\n"
        "empr_acme,bprd_mec,full_time,EE,5\n"
    )
    hc = read_headcount(path)
    assert hc.count("empr_acme", "MEC", "bprd_mec", "full_time", "EE") == 5  # exact, exact
    assert hc.count("empr_acme", "VD", "bprd_dental", "full_time", "EE") == 4  # exact, glob
    assert hc.count("empr_abc", "MEC", "bprd_mec", "full_time", "EE") == 2  # glob, exact
    assert hc.count("empr_abc", "VD", "bprd_dental", "full_time", "EE") == 3  # later glob row
    assert hc.count("empr_zed", "VD", "bprd_dental", "full_time", "EE") == 1
    assert hc.count("empr_zed", "VD", "bprd_dental", "full_time", "EF") is None
    counts = hc.counts("empr_acme", "MEC", "bprd_mec")
    assert counts[("full_time", "EE")] == 5 and counts[("part_time", "EE")] is None
