"""Many config files are parsed on two cores (config/parallel.py): a forked helper
parses the last share of them. Whatever the helper does, the result is exactly what
one process builds: the same values, every file:line:col, the same problems in the
same order, the same exit code. Differential: each case runs with the helper and with
``VITABLE_CONFIG_PARALLEL_PARSE=0``."""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from tests.config.test_yaml_one_pass import _locations, documents
from tests.e2e.e2e_support import run_cli
from vitable_config.config import parallel as P
from vitable_config.config import yaml_loader as Y
from vitable_config.config.build import load_config
from vitable_config.errors import UserError

REPO = Path(__file__).resolve().parents[2]


def _round_trip(data: Any) -> Any:
    [back] = pickle.loads(P.dumps([P.ParsedFile(data=data)]))
    return back.data


def _same_tree(data: Any) -> None:
    back = _round_trip(data)
    assert back == data, (back, data)
    assert repr(back) == repr(data)
    assert _locations(back) == _locations(data)


@settings(max_examples=200, deadline=None)
@given(text=documents())
def test_the_helpers_answer_keeps_every_value_and_location(text: str) -> None:
    try:
        data = Y.parse_yaml(text + "\n", "f.yaml")
    except UserError:
        return
    _same_tree(data)


def _repo_yaml() -> list[Path]:
    found = [*REPO.glob("examples/**/*.yaml"), *REPO.glob("tests/**/*.yaml")]
    return sorted(p for p in found if p.stat().st_size < Y.MAX_FILE_BYTES)


def test_the_helpers_answer_keeps_every_file_of_the_repository() -> None:
    checked = 0
    for path in _repo_yaml():
        try:
            data = Y.parse_yaml(path.read_text(encoding="utf-8"), str(path))
        except (UserError, UnicodeDecodeError):
            continue
        _same_tree(data)
        checked += 1
    assert checked > 50


def test_a_merge_key_mapping_keeps_its_locations() -> None:
    # Mappings with << are built by PyYAML's own constructor: their marks are
    # SourceLocations, not parser marks.
    data = Y.parse_yaml("b: &b {employee: 1, employer: 2}\nEE: {<<: *b, employer: 3}\n", "m.yaml")
    _same_tree(data)
    assert str(Y.value_location(_round_trip(data)["EE"], "employer")) == "m.yaml:2:24"


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the helpers started (the real fork, counted)."""
    started: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            started.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    monkeypatch.delenv(P.ENV_SWITCH, raising=False)
    yield started


def _employer(i: int) -> str:
    return f"""version: 1
employers:
  empr_p{i:04d}:
    name: Employer {i}
    plan_years:
      - benefit_product: MEC
        coverage: {{start: 2027-01-01, end: 2027-12-31}}
        open_enrollment: {{start: 2026-12-01, end: 2026-12-15}}
        contribution_classes:
          full_time:
            EE: {{employee: {4500 + i}, employer: 38000}}
            ES: {{employee: "${55 + i % 7}.00", employer: 46000}}
"""


def _estate(directory: Path, n: int, broken: dict[int, str] | None = None) -> Path:
    directory.mkdir()
    for i in range(n):
        text = (broken or {}).get(i, _employer(i))
        (directory / f"e{i:04d}.yaml").write_text(text)
    return directory


def _both(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    parallel = run_cli(args)
    monkeypatch.setenv(P.ENV_SWITCH, "0")
    single = run_cli(args)
    monkeypatch.delenv(P.ENV_SWITCH)
    return parallel, single


def test_a_valid_flat_estate_validates_the_same(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _estate(tmp_path / "c", 240)
    parallel, single = _both(["validate", config, "--format", "json"], monkeypatch)
    assert len(forks) == 1
    assert (parallel.code, parallel.out, parallel.err) == (single.code, single.out, single.err)
    assert parallel.code == 0


def _provenance(paths: list[Path]) -> list[Any]:
    state = load_config(paths)
    return [
        (
            py.key,
            repr(py),
            [(path, src.kind, src.name, str(src.location)) for path, src in py.provenance.items()],
        )
        for py in state.plan_years
    ]


def test_every_provenance_location_is_the_same(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _estate(tmp_path / "c", 230)
    parallel = _provenance([config])
    monkeypatch.setenv(P.ENV_SWITCH, "0")
    single = _provenance([config])
    assert len(forks) == 1
    assert parallel == single
    last = next(p for p in parallel if p[0].employer_id == "empr_p0229")
    assert any(loc.endswith("e0229.yaml:12:28") for *_, loc in last[2]), last[2]


BROKEN = {
    3: "version: 1\nemployers: [\n",  # a parse error, in this process's share
    5: "version: 1\nemployers:\n  empr_p0005:\n    nmae: x\n",  # a schema error
    200: "version: 1\nemployers:\n  empr_p0200: {name: a, plan_years: 7}\n",  # the helper's
    210: "- just\n- a list\n",  # not a mapping, in the helper's share
    230: "version: 1\nemployers:\n  empr_p0230:\n    name: x\n    name: y\n",  # duplicate key
    233: "version: 1\nemployers: {empr_p0233: {name: \x01}}\n",  # a control character
}


def test_problems_are_the_same_in_the_same_order(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _estate(tmp_path / "c", 240, BROKEN)
    parallel, single = _both(["validate", config], monkeypatch)
    assert len(forks) == 1
    assert (parallel.code, parallel.out, parallel.err) == (single.code, single.out, single.err)
    assert parallel.code == 1
    for i in (3, 5, 200, 210, 230, 233):
        assert f"e{i:04d}.yaml:" in parallel.err, (i, parallel.err)


def test_an_employer_defined_in_both_shares_is_reported_the_same(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    twice = {220: _employer(1).replace("Employer 1", "Twice")}
    config = _estate(tmp_path / "c", 240, twice)
    parallel, single = _both(["validate", config], monkeypatch)
    assert len(forks) == 1
    assert (parallel.code, parallel.out, parallel.err) == (single.code, single.out, single.err)
    assert "defined twice" in parallel.err and "e0220.yaml:3:3" in parallel.err, parallel.err


def _helper_fails(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    def answer(*_args: Any) -> bytes:
        if how == "raises":
            raise RuntimeError("a bug in the helper")
        if how == "exits":
            os._exit(0)  # leaves without an answer
        return b"not a pickle"

    monkeypatch.setattr(P, "_answer", answer)


@pytest.mark.parametrize("how", ["raises", "exits", "garbage"])
def test_a_failing_helper_changes_nothing(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    config = _estate(tmp_path / "c", 240, BROKEN)
    monkeypatch.setenv(P.ENV_SWITCH, "0")
    single = run_cli(["validate", config])
    monkeypatch.delenv(P.ENV_SWITCH)
    _helper_fails(monkeypatch, how)
    parallel = run_cli(["validate", config])
    assert len(forks) == 1  # it was started, failed, and its files were parsed here
    assert (parallel.code, parallel.out, parallel.err) == (single.code, single.out, single.err)


def test_no_helper_while_another_thread_runs(tmp_path: Path, forks: list[int]) -> None:
    config = _estate(tmp_path / "c", 240)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert run_cli(["validate", config]).code == 0
    finally:
        stop.set()
        thread.join()
    assert forks == []  # a fork would copy only this thread


def test_few_files_are_parsed_here(tmp_path: Path, forks: list[int]) -> None:
    config = _estate(tmp_path / "c", P.MIN_FILES - 1)
    assert run_cli(["validate", config]).code == 0
    assert forks == []


def test_an_error_here_stops_and_reaps_the_helper(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _estate(tmp_path / "c", 240)
    real = P.parse_one
    calls = 0

    def failing(path: Path, display: str) -> P.ParsedFile:
        nonlocal calls
        calls += 1
        if calls == 50 and forks:  # in this process, while the helper works
            raise KeyboardInterrupt
        return real(path, display)

    monkeypatch.setattr(P, "parse_one", failing)
    with pytest.raises(KeyboardInterrupt):
        load_config([config])
    [pid] = forks
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no process left behind
