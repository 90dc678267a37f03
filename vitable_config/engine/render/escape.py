"""Escaping for text the server supplied (ids, names, statuses, error messages).

A plan shows strings that come from the API: employer names, plan-year ids,
employment names, error text. A lying server must not be able to add lines to a
plan, start a heading, mention a team, insert a link, image or HTML, or close
the code block a plan is shown in. One helper per context:

* :func:`one_line` — terminal text: control characters (ANSI escapes, bells, CR)
  and bidi overrides removed, newlines made spaces;
* :func:`md_text` — Markdown inline text: backticks, ``[``/``]``, ``#``, ``\\``
  backslash-escaped; ``<``, ``>``, ``&`` as entities; ``@mentions``, ``#123``
  references and bare URLs broken with a zero-width space;
* :func:`html_text` — text inside an HTML block (``<summary>``), where Markdown
  escapes would show literally: entities and the mention/link breaks only;
* :func:`md_code` — an inline code span the text cannot break out of;
* :func:`fence_line` — one line inside a fenced code block.

Code spans and blocks get the mention/link breaks too (GitHub does not link inside
them today; a renderer that does must not notify anyone either).
"""

from __future__ import annotations

import html
import re

from vitable_config.api.redaction import strip_controls

_ZWSP = "\u200b"
_MD_SPECIAL = re.compile(r"([\\`\[\]#])")
# @name (users, teams), #123 (issue references), scheme:// and www. (autolinks)
_AUTOLINKS = re.compile(r"(@)(?=\w)|(#)(?=\d)|(:)(?=//)|(\bwww)(?=\.)", re.IGNORECASE)


def one_line(text: object) -> str:
    """``text`` on one line, without control characters."""
    return strip_controls(str(text))


def _break_autolinks(text: str) -> str:
    return _AUTOLINKS.sub(lambda m: (m.group(0) or "") + _ZWSP, text)


def html_text(text: object) -> str:
    """Text for inside an HTML element of a Markdown document."""
    return _break_autolinks(html.escape(one_line(text), quote=False))


def md_text(text: object) -> str:
    """Markdown inline text that renders as exactly ``text`` and nothing more."""
    escaped = _MD_SPECIAL.sub(r"\\\1", one_line(text))
    return _break_autolinks(html.escape(escaped, quote=False))


def md_code(text: object) -> str:
    """``text`` as an inline code span (CommonMark: a fence longer than any run of
    backticks inside; padded when the text starts or ends with a backtick)."""
    body = one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    if body.startswith("`") or body.endswith("`") or not body.strip():
        body = f" {body} "
    return f"{fence}{_break_autolinks(body)}{fence}"


def fence_line(text: object) -> str:
    """One line of a fenced code block: no line breaks, no run of three backticks
    (the plan's fence is three backticks)."""
    return _break_autolinks(re.sub(r"`{3,}", lambda m: "ʼ" * len(m.group(0)), one_line(text)))
