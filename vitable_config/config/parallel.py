"""Parsing many config files on two cores: a forked helper parses a share of them.

A flat config of thousands of files spends most of its loading time in the YAML parser,
one file after another, while the machine's other core is idle. With enough files (at
least :data:`MIN_FILES`), a second CPU, ``os.fork`` and no other thread running (a
fork copies only the calling thread), :func:`parse_files` forks once: the helper
process parses and schema-checks the last share of the files and sends back what it
built; this process does the rest meanwhile. The helper's results are exactly what
this process would have built (the same values, the same problems with the same
locations); only a value's location is carried as one number until it is read (see
:func:`~vitable_config.config.yaml_loader.pack_where`).

Nothing depends on the helper. If it cannot be started, fails in any way (an
unexpected error, killed, a truncated answer), its files are parsed here after all,
so a bug surfaces in this process with its usual crash report. The answer travels
as a pickle over an anonymous pipe made before the fork: only that helper, a copy of
this process, can write to it. The helper never touches the API, stdout or stderr,
and leaves with ``os._exit`` (no exit handlers, no buffers flushed twice).
"""

from __future__ import annotations

import contextlib
import copyreg
import io
import os
import pickle
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vitable_config.config.yaml_loader import (
    LocDict,
    LocList,
    parse_yaml,
    read_text,
    reduce_located,
)
from vitable_config.errors import Problem, UserError

# Below this many files one process parses them all (a fork and the answer's transfer
# cost ~10 ms, gained back from about this many files of a flat export).
MIN_FILES = 200
# The helper's share of the files: it also packs its answer, which this process then
# unpacks, so an even split would leave this process waiting.
HELPER_SHARE = 0.42
# Set to "0" to parse every file in this process (to compare, or to debug).
ENV_SWITCH = "VITABLE_CONFIG_PARALLEL_PARSE"

Check = Callable[[LocDict, str], list[Problem]]


@dataclass(slots=True)
class ParsedFile:
    """One file's parse: its data, or the problems that stopped it; and, when the
    helper checked it already, the schema problems of the data (empty = valid)."""

    data: Any = None
    problems: list[Problem] | None = None
    checked: list[Problem] | None = None


def parse_one(path: Path, display: str) -> ParsedFile:
    try:
        return ParsedFile(data=parse_yaml(read_text(path, display), display))
    except UserError as exc:
        return ParsedFile(problems=exc.problems or [Problem(exc.message)])


def parse_files(files: Sequence[tuple[Path, str]], check: Check) -> list[ParsedFile]:
    """Parse ``(path, display)`` files in order; on two cores, a forked helper parses
    (and ``check``s) the last share of them."""
    split = _split(len(files))
    if split is None:
        return [parse_one(path, display) for path, display in files]
    helper = _start_helper(files[split:], check)
    if helper is None:
        return [parse_one(path, display) for path, display in files]
    try:
        mine = [parse_one(path, display) for path, display in files[:split]]
        theirs = helper.result()
    except BaseException:  # an error of this process, or Ctrl-C: the helper goes too
        helper.abandon()
        raise
    if theirs is None or len(theirs) != len(files) - split:
        theirs = [parse_one(path, display) for path, display in files[split:]]
    return mine + theirs


def _split(n: int) -> int | None:
    if n < MIN_FILES or os.environ.get(ENV_SWITCH) == "0" or not hasattr(os, "fork"):
        return None
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    if cpus < 2 or threading.active_count() != 1:
        return None
    return n - int(n * HELPER_SHARE)


class _Helper:
    def __init__(self, pid: int, read_fd: int) -> None:
        self.pid = pid
        self.read_fd = read_fd

    def result(self) -> list[ParsedFile] | None:
        """The helper's files, or None when it failed (they are then parsed here)."""
        try:
            with open(self.read_fd, "rb", closefd=True) as answer:
                payload = answer.read()
        except OSError:
            payload = b""
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:  # pragma: no cover - reaped elsewhere
            status = -1
        if status != 0 or not payload:
            return None
        try:
            parsed = pickle.loads(payload)
        except Exception:
            return None
        if not isinstance(parsed, list) or not all(isinstance(p, ParsedFile) for p in parsed):
            return None
        return parsed

    def abandon(self) -> None:
        """Stop and reap the helper (this process is leaving the load)."""
        with contextlib.suppress(OSError):
            os.close(self.read_fd)
        with contextlib.suppress(OSError):  # already gone or reaped
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)


def _start_helper(files: Sequence[tuple[Path, str]], check: Check) -> _Helper | None:
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the helper
        code = 1
        try:
            os.close(read_fd)
            payload = _answer(files, check)
            with open(write_fd, "wb", closefd=True) as out:
                out.write(payload)
            code = 0
        except BaseException:
            pass
        finally:
            os._exit(code)
    os.close(write_fd)
    return _Helper(pid, read_fd)


def _answer(files: Sequence[tuple[Path, str]], check: Check) -> bytes:
    parsed = [parse_one(path, display) for path, display in files]
    for item, (_path, display) in zip(parsed, files, strict=True):
        if item.data.__class__ is LocDict:
            item.checked = check(item.data, display)
    return dumps(parsed)


def dumps(parsed: list[ParsedFile]) -> bytes:
    """The helper's answer: what it parsed, every location kept (packed)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    table = copyreg.dispatch_table.copy()
    table[LocDict] = reduce_located
    table[LocList] = reduce_located
    pickler.dispatch_table = table
    pickler.dump(parsed)
    return buffer.getvalue()
