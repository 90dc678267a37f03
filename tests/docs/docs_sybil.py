"""Sybil parsers and evaluators for the documentation tests (see test_docs.py).

* ```` ```console ```` blocks are terminal sessions: every ``$ command`` line runs in
  bash, in the document's own working directory (a copy of ``examples/`` with its own
  embedded sandbox state), and the lines after it up to the next ``$`` are compared
  with what the command printed (stdout and stderr, as a terminal shows them). A line
  that is only ``…`` stands for any number of lines. Ids (``plyr_…``), timestamps and
  durations are normalised on both sides. ``$ echo $?`` prints the previous exit code.
* ``<!-- invisible-code-block: python … -->`` blocks prepare a step without showing it
  to the reader (``edit(path, old, new)``, ``env["NAME"] = value``).
* ``<!-- skip: next "reason" -->`` skips the next block (it needs a real account or
  secrets); the reason is shown by pytest.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sybil import Example, Sybil
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser

BIN_DIR = Path(sys.executable).parent
PROMPT = "$ "
ELLIPSIS = "…"

_NORMALISE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bplyr_[0-9a-f]{16}\b"), "plyr_…"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"), "<ts>"),
    (re.compile(r"\b\d+(?:\.\d+)? ?(?:ms|s)\b"), "<duration>"),
    (re.compile(r"`[0-9a-f]{12}`"), "`<commit>`"),
    (re.compile(r"\bsha256:[0-9a-f]{64}\b"), "sha256:…"),
]


def normalise(line: str) -> str:
    for pattern, replacement in _NORMALISE:
        line = pattern.sub(replacement, line)
    return line.rstrip()


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; a line that is only … matches any number of lines."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head.strip() == ELLIPSIS:
        return any(_matches(rest, actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and normalise(head) == normalise(actual[0]) and _matches(rest, actual[1:])


def _strip_blank_tail(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def parse_session(text: str) -> list[tuple[str, list[str]]]:
    """``[(command, expected output lines), ...]`` of a console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith(PROMPT):
            steps.append((line[len(PROMPT) :], []))
        elif steps:
            steps[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"a console block must start with '{PROMPT}': {line!r}")
    return [(cmd, _strip_blank_tail(out)) for cmd, out in steps]


def run_console(example: Example) -> str | None:
    ns: dict[str, Any] = example.namespace
    cwd: Path = ns["cwd"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VITABLE_", "GITHUB_"))}
    env.update(ns["env"])
    for command, expected in parse_session(example.parsed):
        last = ns.get("last_exit", 0)
        result = subprocess.run(
            ["bash", "-c", f"(exit {last}); {command}"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
        ns["last_exit"] = result.returncode
        actual = _strip_blank_tail(result.stdout.replace(str(cwd) + os.sep, "").splitlines())
        if not _matches(expected, actual):
            return (
                f"\n$ {command}\n--- documented ---\n"
                + "\n".join(expected)
                + f"\n--- printed (exit {result.returncode}) ---\n"
                + "\n".join(actual)
                + "\n"
            )
    return None


def edit(cwd: Path) -> Callable[[str, str, str], None]:
    def replace(path: str, old: str, new: str) -> None:
        file = cwd / path
        text = file.read_text()
        if old not in text:
            raise AssertionError(f"{path} does not contain {old!r}")
        file.write_text(text.replace(old, new, 1))

    return replace


def make_sybil() -> Sybil:
    return Sybil(
        parsers=[
            CodeBlockParser(language="console", evaluator=run_console),
            PythonCodeBlockParser(),
            SkipParser(),
        ],
        path=str(Path(__file__).resolve().parents[2]),
        patterns=["*.md"],
    )


def prepare_namespace(namespace: dict[str, Any], cwd: Path, today: str) -> None:
    namespace.update(
        cwd=cwd,
        env={
            "PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
            "VITABLE_SANDBOX_TODAY": today,
            "NO_COLOR": "1",
            "COLUMNS": "200",
        },
        edit=edit(cwd),
        last_exit=0,
    )
