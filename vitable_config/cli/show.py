"""`vitable-config show PLANFILE`: look at a saved plan without applying it (no API calls)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from vitable_config.cli.style import no_color_option
from vitable_config.errors import EXIT_OK


def _age(made: datetime, now: datetime) -> str:
    seconds = max(0, int((now - made).total_seconds()))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


@click.command("show")
@click.argument("plan_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output format (the same renderers as `plan`).",
)
@no_color_option
def command(plan_file: Path, fmt: str) -> int:
    """Show a saved plan (made with `plan --out FILE`) without applying it.

    Prints when and against which API it was made, then the plan itself.
    Makes no API calls and writes nothing.

    \b
    Example:
      vitable-config show plan.json --format markdown
    """
    from vitable_config.cli.options import text_style
    from vitable_config.engine.render import render_json, render_markdown, render_text
    from vitable_config.engine.saved import load_plan

    plan = load_plan(plan_file)
    made = plan.created_at if plan.created_at.tzinfo else plan.created_at.replace(tzinfo=UTC)
    header = (
        f"Saved plan {plan_file}: made {made.isoformat(timespec='seconds')} "
        f"({_age(made, datetime.now(UTC))}) against {plan.base_url}"
    )
    if fmt == "json":
        click.echo(render_json(plan), nl=False)
        click.echo(header, err=True)
        return EXIT_OK
    click.echo(header, err=fmt == "markdown")
    text = render_markdown(plan) if fmt == "markdown" else render_text(plan, style=text_style())
    click.echo(text, nl=not text.endswith("\n"))
    return EXIT_OK
