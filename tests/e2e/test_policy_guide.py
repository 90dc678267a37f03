"""docs/guide/policies.md: the pull request it describes, made against the sandbox;
every line of the guide's sample comment must be in the real comment."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.e2e.e2e_support import REPO, api_args, run_cli

GUIDE = REPO / "docs" / "guide" / "policies.md"

R002_OVERRIDE = """\
  empr_r002:
    plan_years:
      - benefit_product: bprd_mec
        coverage: {start: 2032-01-01}
        allow:
          - rule: affordability
            reason: R002's union agreement fixes the employee share at $110 until 2033
        contribution_classes:
          full_time:
            EE: {employee: "$110.00"}

"""


def _sample() -> list[str]:
    blocks = re.findall(r"```markdown\n(.*?)```", GUIDE.read_text(), flags=re.S)
    assert len(blocks) == 1
    return [line for line in blocks[0].splitlines() if line.strip()]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_guide_comment_matches_the_real_pull_request(
    sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "examples" / "rollout", tmp_path / "rollout")
    assert run_cli(["apply", "rollout", "--auto-approve", *api_args(sandbox)]).code == 0
    # the pull request the guide describes
    _edit(tmp_path / "rollout" / "employers.csv", "empr_r001,35000,0.4", "empr_r001,38000,0.4")
    vitable = tmp_path / "rollout" / "vitable.yaml"
    _edit(vitable, 'EE: {employer: "$200.00"}', 'EE: {employer: "$80.00"}')
    _edit(vitable, "  empr_r007:\n", R002_OVERRIDE + "  empr_r007:\n")
    # the guide quotes the policy file and the exception: both must be what runs
    guide = GUIDE.read_text()
    assert R002_OVERRIDE.strip().split("\n", 1)[1] in guide
    assert (
        "employer-pays-half:\n    kind: employer_share_min"
        in (REPO / "examples" / "rollout" / "policies.yaml").read_text()
    )
    plan = run_cli(
        ["plan", "rollout", "--headcount", "rollout/headcount.csv", "--format", "markdown",
         *api_args(sandbox)]
    )  # fmt: skip
    assert plan.code == 1  # the deny rule fails the run
    comment = plan.out
    for line in _sample():
        assert line in comment, f"guide line not in the real comment: {line}"
    assert len(comment) < 65_000
