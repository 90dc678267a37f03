"""Hostile and broken input: every case through the real CLI, ``apply --auto-approve``.

Each case (a file or a directory under ``corpus/``, plus a few generated at test
time: a 50 MB file, alias bombs, binary junk, deep nesting, symlink loops) must:

* exit 1, with no traceback and no exception escaping ``main``;
* print at least one ``FILE:LINE[:COL]: error: ...`` naming a file of the case;
* say something about the right problem (a word list per case family): among them
  YAML 1.1 numbers where cents are expected (``cents_octal_*``, ``cents_hex``,
  ``cents_sexagesimal``, ``cents_underscore``, ``cents_plus_sign``, ``cents_yes``,
  ``csv_*_cell``), confusable or case-duplicate names (``name_*``), a product code and
  id mixed for one employer (``identity_*``) and template bombs (``jinja_budget_*``);
* send no POST or PUT to the sandbox (its request log).
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.rel_support import api_args, run_cli
from vitable_config.sandbox import SandboxHandle

CORPUS = Path(__file__).parent / "corpus"
LOCATION = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::\d+)?: error: ", re.M)

# What the first error must talk about, by the case name's prefix.
EXPECTED_WORDS: dict[str, str] = {
    "alias_": r"alias",
    "cents_": r"cents|contribution classes",
    "csv_": r"CSV|UTF-8|binary|employer|cents|column|row",
    "date_": r"date|coverage|open_enrollment",
    "dupkey_": r"duplicate key",
    "dupyear_": r"twice|two plan years|rollouts",
    "enc_": r"UTF-8|binary|UTF-16|UTF-32",
    "gen_": r".",  # generated cases state their own pattern
    "identity_": r"names benefit products both by code \(MEC.*\) and by id \(bprd_",
    "jinja_budget_": r"longer than|larger than|too much work|too complex|nests too deeply|"
    r"repetition would exceed",
    "jinja_escape_": r"not allowed|undefined|No filter|syntax error",
    "jinja_syntax_": r"Jinja syntax error",
    "key_": r"unknown key|missing required key",
    "name_": r"contains U\+[0-9A-F]{4}|only by case|is not a valid name",
    "overlap_": r"overlaps",
    "tag_": r"YAML tag .* is not allowed",
    "type_": r"expected|unknown family status|at least 1 character|has no",
    "unknown_": r"unknown template|undefined|No filter|No test",
    "yaml_": r"YAML|mapping|list",
}

CASES = sorted(p.name for p in CORPUS.iterdir() if not p.name.startswith("."))


def expected_words(name: str) -> str:
    for prefix, words in EXPECTED_WORDS.items():
        if name.startswith(prefix):
            return words
    raise AssertionError(f"corpus case {name} has no known prefix")


def check_rejected(sb: SandboxHandle, case: Path, words: str) -> str:
    """Run apply on ``case``; assert the rejection rules; return stderr."""
    sb.clear_request_log()
    result = run_cli(["apply", case, "--auto-approve", *api_args(sb.base_url, sb.api_key)])
    assert result.exception is None, f"exception escaped main: {result.exception!r}"
    assert result.code == 1, f"exit {result.code}\n{result.text}"
    assert "Traceback" not in result.text
    writes = [r for r in sb.request_log if r.method in ("POST", "PUT")]
    assert writes == [], f"the sandbox saw writes: {writes}"
    located = list(LOCATION.finditer(result.err))
    assert located, f"no FILE:LINE: error: in\n{result.err}"
    root = Path(os.path.abspath(case))  # not resolve(): some cases are symlink loops
    files = {Path(os.path.abspath(m["file"])) for m in located}
    assert any(f == root or root in f.parents for f in files), (
        f"no error names a file of {case.name}: {sorted(map(str, files))}"
    )
    assert all(int(m["line"]) >= 1 for m in located)
    assert re.search(words, result.err), f"expected /{words}/ in\n{result.err}"
    return result.err


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 100


@pytest.mark.parametrize("name", CASES)
def test_corpus_case_rejected_without_writes(module_sandbox: SandboxHandle, name: str) -> None:
    check_rejected(module_sandbox, CORPUS / name, expected_words(name))


# --- generated at test time (too big or too odd to commit) ---------------------------


def _fifty_megabytes(path: Path) -> Path:
    target = path / "huge.yaml"
    line = b"# " + b"x" * 1021 + b"\n"
    with target.open("wb") as fh:
        fh.write(b"version: 1\n")
        for _ in range(50 * 1024):
            fh.write(line)
    assert target.stat().st_size >= 50 * 1024 * 1024
    return target


def _billion_laughs(path: Path) -> Path:
    lines = ["version: 1", "variables:", '  a0: &a0 ["lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"  a{i}: &a{i} [{', '.join([prev] * 10)}]")
    target = path / "bomb.yaml"
    target.write_text("\n".join(lines) + "\n")
    return target


def _wide_alias_bomb(path: Path) -> Path:
    mapping = ", ".join(f"k{i}: {i}" for i in range(1000))
    lines = ["version: 1", "variables:", "  x: &x {" + mapping + "}"]
    lines.append("  y: [" + ", ".join(["*x"] * 2000) + "]")
    target = path / "wide.yaml"
    target.write_text("\n".join(lines) + "\n")
    return target


def _binary_junk(path: Path) -> Path:
    target = path / "junk.yaml"
    target.write_bytes(random.Random(5).randbytes(64 * 1024))
    return target


def _binary_junk_without_nul(path: Path) -> Path:
    rng = random.Random(6)
    target = path / "junk_no_nul.yaml"
    target.write_bytes(bytes(rng.randrange(128, 256) for _ in range(4096)))
    return target


def _deep_nesting(path: Path) -> Path:
    target = path / "deep.yaml"
    target.write_text("version: 1\nvariables:\n  x: " + "[" * 20000 + "]" * 20000 + "\n")
    return target


def _symlink_loop_dir(path: Path) -> Path:
    d = path / "loopdir"
    d.mkdir()
    (d / "a.yaml").symlink_to(d / "b.yaml")
    (d / "b.yaml").symlink_to(d / "a.yaml")
    return d


def _self_symlink_file(path: Path) -> Path:
    target = path / "self.yaml"
    target.symlink_to(target)
    return target


def _symlink_loop_csv(path: Path) -> Path:
    d = path / "csvloop"
    d.mkdir()
    (d / "vitable.yaml").write_text(
        "version: 1\ntemplates:\n  t:\n    benefit_product: MEC\n"
        "    coverage: {start: 2027-01-01, end: 2027-12-31}\n"
        "    open_enrollment: {start: 2026-12-01, end: 2026-12-15}\n"
        "    contribution_classes: {full_time: {EE: {employee: 1, employer: 2}}}\n"
        "rollouts:\n  - name: a\n    template: t\n    employers: {csv: employers.csv}\n"
    )
    (d / "employers.csv").symlink_to(d / "employers.csv")
    return d


def _huge_csv(path: Path) -> Path:
    d = path / "hugecsv"
    d.mkdir()
    (d / "vitable.yaml").write_text(
        "version: 1\ntemplates:\n  t:\n    benefit_product: MEC\n"
        "    coverage: {start: 2027-01-01, end: 2027-12-31}\n"
        "    open_enrollment: {start: 2026-12-01, end: 2026-12-15}\n"
        "    contribution_classes: {full_time: {EE: {employee: 1, employer: 2}}}\n"
        "rollouts:\n  - name: a\n    template: t\n    employers: {csv: employers.csv}\n"
    )
    with (d / "employers.csv").open("w") as fh:
        fh.write("employer_id,note\n")
        row = "empr_r001," + "n" * 1000 + "\n"
        fh.write(row * (11 * 1024))
    return d


GENERATED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "gen_50mb_file": (_fifty_megabytes, r"too large"),
    "gen_billion_laughs": (_billion_laughs, r"alias"),
    "gen_wide_alias_bomb": (_wide_alias_bomb, r"alias"),
    "gen_binary_junk": (_binary_junk, r"binary"),
    "gen_binary_junk_without_nul": (_binary_junk_without_nul, r"UTF-8"),
    "gen_deep_nesting": (_deep_nesting, r"too deep|nesting|YAML"),
    "gen_symlink_loop_dir": (_symlink_loop_dir, r"cannot read|symlink|loop"),
    "gen_self_symlink_file": (_self_symlink_file, r"cannot read|symlink|loop"),
    "gen_symlink_loop_csv": (_symlink_loop_csv, r"cannot read|symlink|loop|CSV"),
    "gen_huge_csv": (_huge_csv, r"too large"),
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_case_rejected_without_writes(
    module_sandbox: SandboxHandle, tmp_path: Path, name: str
) -> None:
    make, words = GENERATED[name]
    check_rejected(module_sandbox, make(tmp_path), words)
