"""The escaping helpers, rendered with a CommonMark parser (what the PR comment becomes)."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from vitable_config.engine.render.escape import fence_line, html_text, md_code, md_text, one_line

HOSTILE = [
    "plain name",
    "back`tick``s```",
    "line\nbreak\r\n## heading",
    "@octo-org/team and @user",
    "[click](https://evil.example) ![img](x) https://bare.example www.example.com",
    "<img src=x onerror=alert(1)> <b>bold</b> &amp; </details>",
    "# heading at start",
    "see #123",
    "trailing backslash \\",
    "\x1b[31mred\x1b[0m\x07\u202eevil",
]
MD = MarkdownIt("commonmark", {"html": True})


@pytest.mark.parametrize("text", HOSTILE)
def test_md_text_renders_as_one_plain_paragraph(text: str) -> None:
    html = MD.render(f"- **x** {md_text(text)} tail")
    assert html.count("<li>") == 1 and "<h" not in html and "<a " not in html
    assert "<img" not in html and "<b>" not in html and "</details>" not in html
    # mentions, issue references and autolinks are broken by a zero-width space
    assert not re.search(r"@\w|#\d|https?://|www\.", html), html
    assert "<code>" not in html and html.rstrip().endswith("tail</li>\n</ul>")


@pytest.mark.parametrize("text", HOSTILE)
def test_md_code_cannot_be_broken_out_of(text: str) -> None:
    html = MD.render(f"a {md_code(text)} b")
    assert html.count("<code>") == 1 and html.strip().endswith("</code> b</p>")
    assert "<h" not in html and "<a " not in html and "<img" not in html


@pytest.mark.parametrize("text", HOSTILE)
def test_html_text_in_a_summary_stays_text(text: str) -> None:
    html = MD.render(
        f"<details><summary><b>{html_text(text)}</b>: 1 to create</summary>\n\nbody\n\n</details>"
    )
    assert html.count("<details>") == 1 and html.count("</details>") == 1
    assert "<img" not in html and "<h" not in html
    assert not re.search(r"@\w", html) and "https://" not in html


@pytest.mark.parametrize("text", HOSTILE)
def test_fence_and_terminal_lines_are_single_lines(text: str) -> None:
    for clean in (fence_line(text), one_line(text)):
        assert "\n" not in clean and "\r" not in clean and "\x1b" not in clean
        assert "\u202e" not in clean and "\x07" not in clean
    assert "```" not in fence_line(text)
    html = MD.render("```diff\n" + fence_line(text) + "\n```\nafter")
    assert html.count("<pre>") == 1 and html.strip().endswith("<p>after</p>")


def test_ordinary_ids_and_names_are_unchanged() -> None:
    for text in ("empr_r007", "Harbor Light Cafe (empr_r007)", "full_time/EE", "$45.00 → $50.00"):
        assert one_line(text) == text and html_text(text) == text and fence_line(text) == text
        assert MD.render(md_text(text)).strip() == f"<p>{text}</p>"
