"""--sandbox: the quick start with no account, state kept in .vitable-sandbox/state.db."""

from __future__ import annotations

from tests.e2e.e2e_support import REPO, run_cli

QUICKSTART = REPO / "examples" / "quickstart"


def test_quickstart_with_embedded_sandbox(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"VITABLE_SANDBOX_TODAY": "2026-11-21", "VITABLE_CONNECT_API_KEY": None}

    first = run_cli(["plan", QUICKSTART, "--sandbox", "--detailed-exitcode"], env=env)
    assert first.code == 2, first.err
    assert first.out.startswith("Plan: 2 to create")
    assert (tmp_path / ".vitable-sandbox" / "state.db").is_file()

    saved = tmp_path / "plan.json"
    assert run_cli(["plan", QUICKSTART, "--sandbox", "--out", saved], env=env).code == 0
    applied = run_cli(
        ["apply", saved, "--sandbox", "--auto-approve"], env=env
    )  # port differs; label matches
    assert applied.code == 0, applied.err
    assert "Apply: 2 created, 0 updated, 0 failed, 0 skipped" in applied.out

    again = run_cli(["plan", QUICKSTART, "--sandbox", "--detailed-exitcode"], env=env)
    assert again.code == 0, again.out
    assert "0 to create, 0 to update, 0 blocked, 2 unchanged" in again.out
    noop = run_cli(["apply", QUICKSTART, "--sandbox", "--auto-approve"], env=env)
    assert noop.code == 0 and "No changes to apply." in noop.out

    reset = run_cli(["sandbox", "reset"], env=env)
    assert reset.code == 0, reset.err
    fresh = run_cli(["plan", QUICKSTART, "--sandbox", "--detailed-exitcode"], env=env)
    assert fresh.code == 2 and fresh.out.startswith("Plan: 2 to create")


def test_sandbox_and_base_url_conflict(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = run_cli(
        ["plan", QUICKSTART, "--sandbox", "--base-url", "http://127.0.0.1:1"],
        env={"VITABLE_CONNECT_BASE_URL": None},
    )
    assert r.code == 1 and "cannot be combined" in r.err


def test_every_command_help_has_an_example() -> None:
    for command in ("plan", "apply", "export"):
        r = run_cli([command, "--help"])
        assert r.code == 0
        assert "Examples:" in r.out and f"vitable-config {command}" in r.out
