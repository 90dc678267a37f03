"""The workflow scripts that talk to GitHub, run locally against a fake `gh`."""

from __future__ import annotations

from pathlib import Path

from tests.gitops.gitops_support import FakeGitHub, ScriptRunner, make_rundir
from vitable_config.gitops.comment import MARKER, marker_for

BOT = {"login": "github-actions[bot]"}


def test_pr_comment_creates_the_first_comment(
    tmp_path: Path, fake_gh: FakeGitHub, run_script: ScriptRunner
) -> None:
    out = make_rundir(tmp_path, "out", code=2, markdown="## Plan\n+ create empr_1/MEC")
    fake_gh.set("comments.json", [{"id": 1, "body": "LGTM", "user": {"login": "alice"}}])
    result = run_script("pr-comment.sh", "42", str(out), env={"PR_HEAD_SHA": "f" * 40})
    assert result.returncode == 0, result.stderr
    assert "created plan comment on #42" in result.stdout
    (write,) = fake_gh.writes()
    assert write["argv"][:4] == [
        "api",
        "--method",
        "POST",
        "repos/acme/benefits/issues/42/comments",
    ]
    body = write["input"]["body"]
    assert body.startswith(MARKER)
    assert "+ create empr_1/MEC" in body and "`ffffffffffff`" in body


def test_pr_comment_updates_the_bots_previous_comment_only(
    tmp_path: Path, fake_gh: FakeGitHub, run_script: ScriptRunner
) -> None:
    out = make_rundir(tmp_path, "out", code=0)
    page1 = [
        {"id": 10, "body": MARKER + "\nold plan", "user": BOT},
        {"id": 11, "body": MARKER + "\nsomeone pasted it", "user": {"login": "alice"}},
    ]
    page2 = [{"id": 12, "body": "thanks", "user": {"login": "bob"}}]
    import json

    fake_gh.set("comments.json", json.dumps(page1) + json.dumps(page2))  # --paginate output
    result = run_script("pr-comment.sh", "42", str(out))
    assert result.returncode == 0, result.stderr
    (write,) = fake_gh.writes()
    assert write["argv"][:4] == [
        "api",
        "--method",
        "PATCH",
        "repos/acme/benefits/issues/comments/10",
    ]
    assert "No changes" in write["input"]["body"]


def test_pr_comment_with_key_leaves_other_plans_comment_alone(
    tmp_path: Path, fake_gh: FakeGitHub, run_script: ScriptRunner
) -> None:
    out = make_rundir(tmp_path, "out", code=2, markdown="uat plan")
    fake_gh.set("comments.json", [{"id": 10, "body": MARKER + "\nprod plan", "user": BOT}])
    result = run_script("pr-comment.sh", "7", str(out), "--", "--key", "uat")
    assert result.returncode == 0, result.stderr
    (write,) = fake_gh.writes()
    assert write["argv"][2] == "POST"
    assert write["input"]["body"].startswith(marker_for("uat"))


def test_pr_comment_fails_loudly_when_github_is_down(
    tmp_path: Path, fake_gh: FakeGitHub, run_script: ScriptRunner
) -> None:
    out = make_rundir(tmp_path, "out", code=2, markdown="x")
    fake_gh.set("fail", "")
    result = run_script("pr-comment.sh", "42", str(out))
    assert result.returncode != 0
    assert "502" in result.stderr


def test_pr_comment_body_of_huge_plan_stays_under_limit(
    tmp_path: Path, fake_gh: FakeGitHub, run_script: ScriptRunner
) -> None:
    rows = "\n".join(f"| empr_{i:06d} | MEC | 2027-01-01 | update |" for i in range(6_000))
    out = make_rundir(tmp_path, "out", code=2, markdown="| a | b | c | d |\n|-|-|-|-|\n" + rows)
    fake_gh.set("comments.json", [])
    result = run_script("pr-comment.sh", "42", str(out))
    assert result.returncode == 0, result.stderr
    body = fake_gh.writes()[0]["input"]["body"]
    assert len(rows) > 200_000
    assert 60_000 < len(body) <= 65_000
    assert "Plan truncated" in body


def test_drift_opens_then_updates_then_closes_the_issue(
    tmp_path: Path, fake_gh: FakeGitHub, run_script: ScriptRunner
) -> None:
    drift = make_rundir(tmp_path, "drift", code=2, markdown="~ empr_1 employer 100 -> 120")
    fake_gh.set("issues.json", [{"number": 3, "id": 333, "body": "unrelated", "user": BOT}])
    opened = run_script("drift-report.sh", str(drift))
    assert opened.returncode == 0, opened.stderr
    (write,) = fake_gh.writes()
    assert write["argv"][2:4] == ["POST", "repos/acme/benefits/issues"]
    assert write["input"]["title"].startswith("vitable-config:")
    assert write["input"]["body"].startswith(marker_for("drift"))
    assert "Drift detected" in write["input"]["body"]
    listing = next(c for c in fake_gh.calls() if "--paginate" in c["argv"])
    assert listing["argv"][-1] == "repos/acme/benefits/issues?state=open&per_page=100"

    fake_gh.log.unlink()
    existing = {"number": 9, "id": 999, "body": write["input"]["body"], "user": BOT}
    impostor = {"number": 10, "id": 1000, "body": write["input"]["body"], "user": {"login": "eve"}}
    fake_gh.set("issues.json", [existing, impostor])
    updated = run_script("drift-report.sh", str(drift))
    assert updated.returncode == 0, updated.stderr
    (write,) = fake_gh.writes()
    assert write["argv"][2:4] == ["PATCH", "repos/acme/benefits/issues/9"]

    fake_gh.log.unlink()
    synced = make_rundir(tmp_path, "synced", code=0)
    closed = run_script("drift-report.sh", str(synced))
    assert closed.returncode == 0, closed.stderr
    comment, close = fake_gh.writes()
    assert comment["argv"][3] == "repos/acme/benefits/issues/9/comments"
    assert close["argv"][2:4] == ["PATCH", "repos/acme/benefits/issues/9"]
    assert close["fields"] == {"state": "closed", "state_reason": "completed"}


def test_drift_fail_flag_and_errors_fail_the_job(
    tmp_path: Path, fake_gh: FakeGitHub, run_script: ScriptRunner
) -> None:
    fake_gh.set("issues.json", [])
    drift = make_rundir(tmp_path, "drift", code=2, markdown="x")
    assert run_script("drift-report.sh", str(drift), env={"DRIFT_FAIL": "true"}).returncode == 1
    fake_gh.log.unlink()
    broken = make_rundir(tmp_path, "broken", code=1, log="error: 401 unauthenticated")
    result = run_script("drift-report.sh", str(broken))
    assert result.returncode == 1
    assert fake_gh.writes() == []  # an error opens no issue and closes none
    in_sync = make_rundir(tmp_path, "in-sync", code=0)
    result = run_script("drift-report.sh", str(in_sync))
    assert result.returncode == 0 and "no drift issue to close" in result.stdout


def test_fetch_pr_plan_downloads_the_reviewed_plan(
    tmp_path: Path, fake_gh: FakeGitHub, run_script: ScriptRunner
) -> None:
    artifact = fake_gh.state / "artifact"
    artifact.mkdir()
    (artifact / "plan.json").write_text('{"format_version": 1}')
    fake_gh.set("pr_head", "abc123\n")
    fake_gh.set("pr_labels", "needs-review\nvitable-config:force\n")
    fake_gh.set("run_id", "555\n")
    dest = tmp_path / "reviewed"
    result = run_script("fetch-pr-plan.sh", "merge-sha", str(dest))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{dest}/plan.json"
    labels = (dest / "pr-labels.txt").read_text().splitlines()
    assert labels == ["needs-review", "vitable-config:force"]
    run_list = next(c for c in fake_gh.calls() if c["argv"][:2] == ["run", "list"])
    assert run_list["argv"][run_list["argv"].index("--commit") + 1] == "abc123"
    assert "success" in run_list["argv"]


def test_fetch_pr_plan_without_pr_or_run_prints_nothing(
    tmp_path: Path, fake_gh: FakeGitHub, run_script: ScriptRunner
) -> None:
    result = run_script("fetch-pr-plan.sh", "direct-push", str(tmp_path / "d"))
    assert result.returncode == 0 and result.stdout == ""
    assert "no pull request" in result.stderr
    fake_gh.set("pr_head", "abc123\n")
    result = run_script("fetch-pr-plan.sh", "sha", str(tmp_path / "d"))
    assert result.returncode == 0 and result.stdout == ""
    assert "no successful plan.yml run for PR head abc123" in result.stderr
