"""The PR comment body: marker, status, messages, truncation within 65,000 characters."""

from __future__ import annotations

import json
import re

import pytest

from vitable_config.errors import UserError
from vitable_config.gitops.comment import (
    DEFAULT_MAX_CHARS,
    MARKER,
    PLAN_TITLE,
    build_comment_body,
    decide_upsert,
    marker_for,
    parse_listing,
)
from vitable_config.gitops.rundir import PlanRun
from vitable_config.gitops.truncate import truncate_markdown


def _run(markdown: str = "", code: int | None = 2, log: str = "", label: str = "out") -> PlanRun:
    return PlanRun(label=label, exit_code=code, markdown=markdown, log=log)


def _huge_plan(rows: int) -> str:
    lines = [f"## Plan: 0 to create, {rows} to update", "", "<details><summary>All</summary>", ""]
    lines.append("```diff")
    for i in range(rows):
        lines.append(f"~ empr_{i:06d}/MEC/2027-01-01 employer_contribution_cents 10000 -> 12000")
    lines.append("```")
    lines.append("</details>")
    return "\n".join(lines)


def test_body_starts_with_marker_and_states_outcome() -> None:
    body = build_comment_body([_run("## Plan\n+ create empr_1", code=2)], commit="a" * 40)
    assert body.startswith(MARKER + "\n")
    assert "Changes pending" in body
    assert "## Plan\n+ create empr_1" in body
    assert "commit `aaaaaaaaaaaa`" in body  # shortened to 12


@pytest.mark.parametrize(
    ("code", "expected"),
    [(0, "No changes"), (2, "Changes pending"), (1, "Plan failed"), (None, "Plan failed")],
)
def test_headline_follows_exit_code(code: int | None, expected: str) -> None:
    assert expected in build_comment_body([_run("x", code=code)])


def test_error_log_is_shown_open_and_cannot_break_out_of_its_fence() -> None:
    log = "config/a.yaml:3:5: error: unknown field 'employer_contribution'\n```\n# not a heading"
    body = build_comment_body([_run("", code=1, log=log)])
    assert "<details open><summary>Messages</summary>" in body
    assert "config/a.yaml:3:5" in body
    # The log contains ``` so the fence around it must be longer.
    assert "````text\n" in body


def test_api_key_is_redacted_from_plan_and_log() -> None:
    key = "vc_test_SECRET123456"
    body = build_comment_body(
        [_run(f"plan mentions {key}", code=1, log=f"auth {key} failed")], secrets=[key]
    )
    assert key not in body
    assert "***" in body


def test_keyed_marker_does_not_match_plain_marker() -> None:
    keyed = marker_for("production")
    assert keyed == "<!-- vitable-config-plan: production -->"
    assert MARKER not in keyed
    with pytest.raises(UserError):
        marker_for("bad -->")


def test_huge_plan_is_truncated_within_limit_with_note() -> None:
    plan = _huge_plan(5_000)
    assert len(plan) > 300_000
    body = build_comment_body([_run(plan, code=2)], run_url="https://example.test/run/1")
    assert len(body) <= DEFAULT_MAX_CHARS
    assert len(body) > DEFAULT_MAX_CHARS - 500  # the budget is used, not thrown away
    assert "Plan truncated" in body
    assert body.startswith(MARKER)
    assert "[workflow run](https://example.test/run/1)" in body  # footer survives
    # The cut closed the open code fence and <details>.
    assert body.count("```diff") == 1
    assert len(re.findall(r"^```$", body, flags=re.M)) == 1
    assert body.count("<details>") == body.count("</details>")


def test_small_plans_keep_everything_when_shards_share_the_budget() -> None:
    small = _run("## shard small\nonly one change", code=2, label="shard 1/3")
    big1 = _run(_huge_plan(3_000), code=2, label="shard 2/3")
    big2 = _run(_huge_plan(3_000), code=0, label="shard 3/3")
    body = build_comment_body([small, big1, big2])
    assert len(body) <= DEFAULT_MAX_CHARS
    assert "## shard small\nonly one change" in body
    assert body.count("Plan truncated") == 2
    for label in ("shard 1/3", "shard 2/3", "shard 3/3"):
        assert f"{label} (" in body


def test_overall_outcome_is_the_worst_shard() -> None:
    body = build_comment_body([_run("a", code=0, label="s1"), _run("b", code=1, label="s2")])
    assert "Plan failed" in body.splitlines()[3]
    assert body.splitlines()[1].startswith("## ❌")


def test_max_chars_respected_for_many_shards_with_big_logs() -> None:
    runs = [
        _run(_huge_plan(50), code=1, log="E" * 20_000, label=f"shard {i}/40") for i in range(40)
    ]
    body = build_comment_body(runs, max_chars=20_000)
    assert len(body) <= 20_000
    assert body.startswith(MARKER)


def test_max_chars_above_github_limit_is_refused() -> None:
    with pytest.raises(UserError, match="65,536"):
        build_comment_body([_run("x")], max_chars=70_000)


def test_truncate_markdown_keeps_short_text_and_cuts_on_a_line() -> None:
    assert truncate_markdown("abc", 10, "{shown}/{total}").text == "abc"
    text = "\n".join(f"line {i}" for i in range(100))
    cut = truncate_markdown(text, 100, "[{shown} of {total}]")
    assert cut.truncated
    assert len(cut.text) <= 100
    kept = cut.text.split("\n\n[")[0]
    assert text.startswith(kept) and kept.endswith(
        ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
    )
    assert f"of {len(text):,}]" in cut.text


def test_decide_upsert_updates_latest_marked_comment_by_author() -> None:
    comments = [
        {"id": 1, "body": "looks good", "user": {"login": "alice"}},
        {"id": 2, "body": MARKER + "\nold", "user": {"login": "github-actions[bot]"}},
        {"id": 3, "body": "> " + MARKER + "\nquoted", "user": {"login": "bob"}},
        {"id": 4, "body": MARKER + "\nnot the bot", "user": {"login": "mallory"}},
        {"id": 5, "body": MARKER + "\nnewer", "user": {"login": "github-actions[bot]"}},
    ]
    decision = decide_upsert(comments, author="github-actions[bot]")
    assert (decision.action, decision.target) == ("update", 5)
    assert decide_upsert(comments).target == 5
    assert decide_upsert(comments[:1]).action == "create"
    assert decide_upsert(comments[2:3]).action == "create"  # quoted marker does not count


def test_decide_upsert_keeps_keyed_comments_apart() -> None:
    comments = [
        {"id": 7, "body": marker_for("production") + "\n..."},
        {"id": 8, "body": marker_for("uat") + "\n..."},
    ]
    assert decide_upsert(comments).action == "create"
    assert decide_upsert(comments, marker=marker_for("uat")).target == 8
    issues = [{"number": 12, "id": 999, "body": marker_for("drift")}]
    assert decide_upsert(issues, marker=marker_for("drift"), id_field="number").target == 12


def test_parse_listing_reads_paginated_gh_output() -> None:
    page1 = json.dumps([{"id": 1, "body": "a"}, {"id": 2, "body": "b"}])
    page2 = json.dumps([{"id": 3, "body": "c"}])
    assert [c["id"] for c in parse_listing(page1 + page2)] == [1, 2, 3]
    assert [c["id"] for c in parse_listing(page1 + "\n" + page2 + "\n")] == [1, 2, 3]
    assert parse_listing("") == []
    with pytest.raises(UserError, match="not JSON"):
        parse_listing("[{")
    with pytest.raises(UserError, match="array of objects"):
        parse_listing('{"message": "Bad credentials"}')


def test_renderer_title_is_not_repeated_under_the_comment_header() -> None:
    from vitable_config.engine.render.markdown import TITLE

    assert TITLE == PLAN_TITLE
    body = build_comment_body([_run(f"{TITLE}\n\n**Plan: 1 to create**", code=2)])
    assert TITLE not in body
    assert body.count("vitable-config plan") == 1
    assert "**Plan: 1 to create**" in body
