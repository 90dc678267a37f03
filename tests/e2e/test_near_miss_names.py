"""A plan that removes a live class and adds one whose employment name is a near miss
(``fulltime`` for ``full_time``) says so beside the change."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.e2e_support import PY, api_args, run_cli


def test_a_typo_in_an_employment_name_is_flagged_beside_the_change(
    sandbox, write_config, tmp_path: Path
) -> None:
    cfg = write_config([PY("empr_acme")])
    assert run_cli(["apply", cfg, "--auto-approve", *api_args(sandbox)]).code == 0
    text = cfg.read_text(encoding="utf-8")
    assert "full_time:" in text
    typo = tmp_path / "typo.yaml"
    typo.write_text(text.replace("full_time:", "fulltime:"), encoding="utf-8")
    plan = run_cli(["plan", typo, *api_args(sandbox)])
    assert plan.code == 0, plan.err
    assert "- class full_time/EE" in plan.out and "+ class fulltime/EE" in plan.out
    assert (
        "warning: classes fulltime/* are added and full_time/* removed: did you mean "
        "'full_time'?" in plan.out
    )
    # A deliberate new employment type (not a near miss) gets no such warning.
    other = tmp_path / "other.yaml"
    other.write_text(text.replace("full_time:", "seasonal:"), encoding="utf-8")
    assert "did you mean" not in run_cli(["plan", other, *api_args(sandbox)]).out
