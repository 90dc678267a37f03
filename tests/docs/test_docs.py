"""Every console block of README.md, docs/ and examples/README.md runs against the sandbox.

Each document runs in its own directory (a copy of ``examples/``, a fresh embedded
sandbox) with the sandbox clock at DOCS_TODAY, its blocks in order; see docs_sybil.py
for the block syntax. A documented output that drifts from what the tool prints
fails here.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from unittest import SkipTest

import pytest

from tests.docs.docs_sybil import make_sybil, prepare_namespace

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS_TODAY = "2026-12-20"
DOCUMENTS = [
    REPO_ROOT / "README.md",
    REPO_ROOT / "examples" / "README.md",
    REPO_ROOT / "examples" / "github-actions" / "README.md",
    *sorted((REPO_ROOT / "docs").rglob("*.md")),
]
SYBIL = make_sybil()


def _id(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


@pytest.mark.parametrize("path", DOCUMENTS, ids=_id)
def test_console_blocks_print_what_the_document_says(path: Path, tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples")
    shutil.copytree(REPO_ROOT / "schemas", tmp_path / "schemas")
    document = SYBIL.parse(path)
    prepare_namespace(document.namespace, tmp_path, DOCS_TODAY)
    ran = skipped = 0
    failures: list[str] = []
    for example in document.examples():
        try:
            example.evaluate()
        except SkipTest:
            skipped += 1
            continue
        except Exception as exc:  # an output mismatch or a failing setup block
            failures.append(f"{_id(path)}:{example.line}: {exc}")
            break  # later blocks depend on this one
        ran += 1
    assert not failures, "\n".join(failures)
    if ran == 0 and skipped == 0:
        pytest.skip("no console blocks")


def test_a_drifted_output_fails(tmp_path: Path) -> None:
    doc = tmp_path / "drift.md"
    doc.write_text(
        "```console\n$ vitable-config validate examples/quickstart\n"
        "OK: 3 plan years for 1 employer (1 file)\n```\n"
    )
    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples")
    document = SYBIL.parse(doc)
    prepare_namespace(document.namespace, tmp_path, DOCS_TODAY)
    (example,) = document.examples()
    with pytest.raises(Exception, match=r"OK: 2 plan years for 1 employer"):
        example.evaluate()


@pytest.mark.parametrize("path", DOCUMENTS, ids=_id)
def test_no_terminal_session_hides_in_a_text_block(path: Path) -> None:
    """Sessions are ```console (executed); a ```text block starting with $ would not run."""
    fenced = r"^```(?:text|sh|shell|bash)\n(.*?)^```"
    for block in re.findall(fenced, path.read_text(), re.S | re.M):
        first = block.lstrip().splitlines()[0] if block.strip() else ""
        assert not first.startswith("$ "), f"{_id(path)}: make this a ```console block:\n{block}"
