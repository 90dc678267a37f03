"""``--var`` / ``--var-file``: the one definition, shared by every command that loads config.

Kept apart from :mod:`vitable_config.cli.options` so ``validate`` and ``render``
do not import the HTTP client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from click_option_group import optgroup

F = TypeVar("F", bound=Callable[..., Any])


def var_options(f: F) -> F:
    """Add ``--var K=V`` and ``--var-file FILE`` (both repeatable; --var wins)."""
    f = optgroup.option(
        "--var-file",
        "var_files",
        multiple=True,
        metavar="FILE",
        type=click.Path(dir_okay=False),
        help="A YAML file of variables (repeatable; --var wins over it).",
    )(f)
    f = optgroup.option(
        "--var",
        "var_pairs",
        multiple=True,
        metavar="K=V",
        help="Set a config variable (repeatable; highest precedence), e.g. --var plan_year=2027.",
    )(f)
    return optgroup.group("Variables")(f)


def variables_from(kwargs: dict[str, Any]) -> dict[str, object] | None:
    """``--var-file`` files then ``--var`` on top (pops both from a command's kwargs)."""
    from vitable_config.config.cli_vars import collect_variables

    pairs: tuple[str, ...] = kwargs.pop("var_pairs")
    files: tuple[str, ...] = kwargs.pop("var_files")
    return collect_variables(tuple(files), tuple(pairs)) or None
