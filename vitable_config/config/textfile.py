"""Reading a config or CSV file as text: size-limited, UTF-8 only, with a clear message
for binary, UTF-16/UTF-32 and mis-encoded files (the YAML loader and the CSV reader
both read through :func:`read_text`)."""

from __future__ import annotations

import os
from pathlib import Path

from vitable_config.errors import Problem, SourceLocation, UserError

MAX_FILE_BYTES = 2 * 1024 * 1024  # YAML: a file this size took ~2.4 s and ~300 MB to validate
MAX_CSV_BYTES = 10 * 1024 * 1024


def read_text(path: Path, display: str, limit: int = MAX_FILE_BYTES) -> str:
    """Read a config file as UTF-8 text, refusing huge, binary or mis-encoded files."""
    try:
        size = os.stat(path).st_size
        if size > limit:
            raise file_problem(
                display,
                f"file is too large ({size:,} bytes; the limit is {limit:,})",
                "split the configuration into several files in one directory, and keep "
                "long employer lists in a rollout CSV",
            )
        # os calls rather than pathlib and a buffered file: thousands of small files.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            chunks: list[bytes] = []
            want = limit + 1
            while want > 0:
                chunk = os.read(fd, want)
                if not chunk:
                    break
                chunks.append(chunk)
                want -= len(chunk)
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        finally:
            os.close(fd)
    except OSError as exc:
        raise file_problem(display, f"cannot read file: {exc.strerror or exc}", None) from None
    except RuntimeError as exc:  # pathlib reports symlink loops this way
        raise file_problem(display, f"cannot read file: {exc}", None) from None
    if len(data) > limit:
        raise file_problem(display, f"file is too large (limit {limit:,} bytes)", None)
    if b"\x00" in data[:65536]:
        encoding = _wide_encoding(data)
        if encoding:
            raise file_problem(
                display, f"file is encoded as {encoding}, not UTF-8", "save the file as UTF-8"
            )
        raise file_problem(
            display, "file looks binary (contains NUL bytes), not text", "check the path"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError.from_problems(
            [
                Problem(
                    f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                    SourceLocation(display, line),
                    hint="save the file as UTF-8",
                )
            ]
        ) from None


def _wide_encoding(data: bytes) -> str | None:
    """``UTF-16``/``UTF-32`` when the bytes look like text in one of them (a BOM, or
    ASCII with NUL bytes in the matching positions), else None."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    sample = data[:4096]

    def all_nul(start: int, step: int) -> bool:
        part = sample[start::step]
        return bool(part) and part.count(0) == len(part)

    if len(sample) >= 8:
        if all(all_nul(i, 4) for i in (1, 2, 3)) or all(all_nul(i, 4) for i in (0, 1, 2)):
            return "UTF-32"
        if all_nul(1, 2) or all_nul(0, 2):
            return "UTF-16"
    return None


def file_problem(display: str, message: str, hint: str | None) -> UserError:
    """A problem with a whole file (reported at its line 1)."""
    return UserError.from_problems([Problem(message, SourceLocation(display, 1), hint=hint)])
