"""``--no-color``: the flag form of ``NO_COLOR`` (https://no-color.org), for any command."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _no_color(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        os.environ["NO_COLOR"] = "1"  # read by use_color(); inherited by child processes


def no_color_option(f: F) -> F:
    """Add ``--no-color`` (same as setting ``NO_COLOR``)."""
    return click.option(
        "--no-color",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_no_color,
        help="No ANSI colours in the output (same as setting NO_COLOR).",
    )(f)
