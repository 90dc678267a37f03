"""The pull-request comment: one comment per PR, found again by a hidden marker.

Like Atlantis, the workflow keeps exactly one plan comment on a pull request and
edits it on every push instead of piling up new ones. The comment starts with a
hidden HTML marker (``<!-- vitable-config-plan -->``); :func:`decide_upsert`
finds the previous comment by that marker in the JSON list the GitHub API returns.

GitHub refuses comment bodies over 65,536 characters; :func:`build_comment_body`
keeps the whole body (header, every run's plan, messages, footer) within
``max_chars`` (65,000 by default), cutting the plans fairly and saying so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from vitable_config import __version__
from vitable_config.api.redaction import redact as shared_redact
from vitable_config.api.redaction import strip_controls
from vitable_config.engine.render.markdown import DEFAULT_MAX_CHARS as DEFAULT_MAX_CHARS
from vitable_config.engine.render.markdown import TITLE as PLAN_TITLE
from vitable_config.errors import UserError
from vitable_config.gitops.outcome import PlanOutcome, combine
from vitable_config.gitops.rundir import PlanRun
from vitable_config.gitops.truncate import truncate_markdown

MARKER = "<!-- vitable-config-plan -->"
# The comment has its own header, so a plan starting with the renderer's title loses
# that line; the size limit is the renderer's.
GITHUB_COMMENT_LIMIT = 65_536
LOG_MAX_CHARS = 6_000
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/ :-]{0,63}$")

PLAN_TRUNCATED_NOTE = (
    "> ⚠️ **Plan truncated** to fit GitHub's comment size limit: showing {shown} of "
    "{total} characters. The full plan is in the job log and the saved-plan artifact."
)
DRIFT_HEADLINES: Mapping[PlanOutcome, str] = {
    PlanOutcome.IN_SYNC: "No drift: the live API matches the configuration on the default branch.",
    PlanOutcome.CHANGES: (
        "Drift detected: the live API differs from the configuration on the default branch. "
        "Apply the configuration, or change it to match, to close this issue."
    ),
    PlanOutcome.ERROR: "Drift check failed: errors or blocked changes; see the messages below.",
}
LOG_TRUNCATED_NOTE = "… (showing {shown} of {total} characters; the rest is in the job log)"


def marker_for(key: str | None = None) -> str:
    """The hidden marker for a comment; ``key`` tells apart several plans on one PR
    (e.g. ``production`` and ``uat``), each keeping its own comment."""
    if key is None or key == "":
        return MARKER
    if not _KEY.match(key) or "--" in key:
        raise UserError(
            f"invalid comment key {key!r}: use 1-64 letters, digits, spaces or . _ / : - "
            "(and no '--'), e.g. 'production' or 'shard 1/4'"
        )
    return f"<!-- vitable-config-plan: {key} -->"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value (of 4+ characters; any case, URL-encoded or
    JSON-escaped) in ``text`` by ``***``: :func:`vitable_config.api.redaction.redact`."""
    return shared_redact(text, tuple(secrets), marker="***")


def _strip_plan_title(markdown: str) -> str:
    """Drop the renderer's own ``## vitable-config plan`` title: the comment has one."""
    lines = markdown.strip().splitlines()
    if lines and lines[0].strip() == PLAN_TITLE:
        lines = lines[1:]
    return "\n".join(lines).strip()


def _fenced(text: str) -> str:
    """A fenced code block that ``text`` cannot break out of."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def _log_block(run: PlanRun, secrets: Sequence[str]) -> str:
    # The log is the CLI's stderr: no terminal control sequences in a comment.
    log = strip_controls(redact(run.log, secrets), newlines=True).strip()
    if not log:
        if run.outcome is PlanOutcome.ERROR and not run.markdown.strip():
            return "_The plan step printed no messages; see the job log._"
        return ""
    cut = truncate_markdown(log, LOG_MAX_CHARS, LOG_TRUNCATED_NOTE)
    is_open = " open" if run.outcome is PlanOutcome.ERROR else ""
    return f"<details{is_open}><summary>Messages</summary>\n\n{_fenced(cut.text)}\n\n</details>"


def _run_heading(run: PlanRun) -> str:
    code = "no exit code" if run.exit_code is None else f"exit {run.exit_code}"
    return f"### {run.outcome.icon} {run.label} ({run.outcome.value}, {code})"


def _fair_shares(lengths: Sequence[int], budget: int) -> list[int]:
    """Split ``budget`` so small items keep everything and big ones share the rest."""
    shares = [0] * len(lengths)
    remaining = max(0, budget)
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for n, i in enumerate(order):
        fair = remaining // (len(order) - n)
        shares[i] = min(lengths[i], fair)
        remaining -= shares[i]
    return shares


def build_comment_body(
    runs: Sequence[PlanRun],
    *,
    key: str | None = None,
    commit: str | None = None,
    run_url: str | None = None,
    title: str = "vitable-config plan",
    secrets: Sequence[str] = (),
    max_chars: int = DEFAULT_MAX_CHARS,
    headlines: Mapping[PlanOutcome, str] | None = None,
) -> str:
    """The full comment body for one or more plan runs, at most ``max_chars`` long.

    ``headlines`` replaces the pull-request wording of each outcome (see
    :data:`DRIFT_HEADLINES` for the drift issue)."""
    if not runs:
        raise UserError("no plan runs to report; pass at least one run directory")
    if max_chars > GITHUB_COMMENT_LIMIT or max_chars < 1_000:
        raise UserError(
            f"--max-chars {max_chars} is out of range: GitHub accepts comment bodies of at most "
            f"{GITHUB_COMMENT_LIMIT:,} characters; use a value between 1,000 and that"
        )
    overall = combine(r.outcome for r in runs)
    name = f"{title} ({key})" if key else title
    headline = (headlines or {}).get(overall, overall.headline)
    header = f"{marker_for(key)}\n## {overall.icon} {name}\n\n{headline}\n"
    footer_bits = []
    if commit:
        footer_bits.append(f"commit `{commit[:12]}`")
    if run_url:
        footer_bits.append(f"[workflow run]({run_url})")
    footer_bits.append(f"vitable-config {__version__}")
    footer = "\n---\n<sub>Updated for " + " · ".join(footer_bits) + "</sub>\n"

    single = len(runs) == 1
    headings = ["" if single else _run_heading(r) + "\n\n" for r in runs]
    logs = [_log_block(r, secrets) for r in runs]
    plans = [_strip_plan_title(redact(r.markdown, secrets)) for r in runs]

    def assemble(plan_texts: Sequence[str]) -> str:
        parts = [header]
        for heading, plan, log in zip(headings, plan_texts, logs, strict=True):
            section = heading + "\n\n".join(p for p in (plan, log) if p)
            parts.append("\n" + section.rstrip() + "\n")
        parts.append(footer)
        return "".join(parts)

    fixed = len(assemble(["" for _ in runs]))
    # Each non-empty plan costs up to two separator characters more than its text.
    budget = max_chars - fixed - 2 * len(runs)
    shares = _fair_shares([len(p) for p in plans], budget)
    cut_plans = [
        truncate_markdown(plan, share, PLAN_TRUNCATED_NOTE).text if plan else ""
        for plan, share in zip(plans, shares, strict=True)
    ]
    body = assemble(cut_plans)
    if len(body) > max_chars:  # pathological: the fixed parts alone are too big
        body = truncate_markdown(body, max_chars, PLAN_TRUNCATED_NOTE).text
    return body


CommentActionKind = Literal["create", "update"]


@dataclass(frozen=True, slots=True)
class CommentAction:
    """Whether to create a new comment or update an existing one (by id)."""

    action: CommentActionKind
    target: int | None = None


def parse_listing(text: str) -> list[Mapping[str, Any]]:
    """Parse a GitHub list response, including ``gh api --paginate`` output, which is
    several JSON arrays written back to back (``[...][...]``)."""
    decoder = json.JSONDecoder()
    items: list[Mapping[str, Any]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise UserError(
                f"comment listing is not JSON at character {exc.pos}: {exc.msg}; expected the "
                "output of `gh api --paginate repos/OWNER/REPO/issues/N/comments`"
            ) from None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise UserError("comment listing must be a JSON array of objects (GitHub comments)")
        items.extend(value)
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return items


def _author(item: Mapping[str, Any]) -> str | None:
    user = item.get("user")
    if isinstance(user, Mapping):
        login = user.get("login")
        return login if isinstance(login, str) else None
    return None


def decide_upsert(
    items: Iterable[Mapping[str, Any]],
    *,
    marker: str = MARKER,
    author: str | None = None,
    id_field: str = "id",
) -> CommentAction:
    """Update the most recent item whose body starts with ``marker`` (optionally written
    by ``author``), else create one. ``id_field`` is ``id`` for comments and ``number``
    for issues. A quoted copy of the marker (``> <!-- ... -->``) does not count."""
    found: int | None = None
    for item in items:
        body = item.get("body")
        if not isinstance(body, str) or not body.lstrip().startswith(marker):
            continue
        if author is not None and _author(item) != author:
            continue
        ident = item.get(id_field)
        if isinstance(ident, int) and not isinstance(ident, bool):
            found = ident
    if found is None:
        return CommentAction("create")
    return CommentAction("update", found)
