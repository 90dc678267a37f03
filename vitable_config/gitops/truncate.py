"""Cut Markdown to a character budget without leaving it broken.

A cut falls on a line boundary; a code fence or ``<details>`` block left open by
the cut is closed again, and a note saying what was left out is appended. The
result, note included, never exceeds the budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_DETAILS_OPEN = re.compile(r"<details[\s>]", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Truncated:
    text: str
    truncated: bool
    shown_chars: int  # characters of the original kept
    total_chars: int


def _closers(prefix: str) -> str:
    """What must be appended to ``prefix`` to close its open fences and <details>."""
    fence: str | None = None
    open_details = 0
    for line in prefix.splitlines():
        match = _FENCE.match(line)
        if fence is not None:
            closes = (
                match is not None
                and match.group(1)[0] == fence[0]
                and len(match.group(1)) >= len(fence)
                and line.strip() == match.group(1)
            )
            if closes:
                fence = None
            continue
        if match:
            fence = match.group(1)
            continue
        open_details += len(_DETAILS_OPEN.findall(line)) - len(_DETAILS_CLOSE.findall(line))
    text = ""
    if fence is not None:
        text += f"\n{fence}"
    if open_details > 0:
        text += "\n</details>" * open_details
    return text


def truncate_markdown(text: str, limit: int, note: str) -> Truncated:
    """Return ``text`` if it fits in ``limit`` characters, else a cut copy plus ``note``.

    ``note`` is formatted with ``{shown}`` and ``{total}`` (character counts).
    """
    total = len(text)
    if total <= limit:
        return Truncated(text, False, total, total)
    if limit <= 0:
        return Truncated("", True, 0, total)
    cut = limit
    while cut > 0:
        head = text[:cut]
        newline = head.rfind("\n")
        if newline > 0:
            head = head[:newline]
        rendered_note = note.format(shown=f"{len(head):,}", total=f"{total:,}")
        candidate = f"{head}{_closers(head)}\n\n{rendered_note}"
        if len(candidate) <= limit:
            return Truncated(candidate, True, len(head), total)
        # Shrink by what we are over (at least one character) and try again.
        cut = min(len(head), cut) - max(1, len(candidate) - limit)
    rendered_note = note.format(shown="0", total=f"{total:,}")
    return Truncated(rendered_note[:limit], True, 0, total)
