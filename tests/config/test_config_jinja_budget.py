"""The render budget: every intermediate value of a template is bounded (not only
its result), and so is the work per template; a bomb is an error at file:line, fast,
in bounded memory. Plus the strict ``int``/``float`` filters (no silent ``0``)."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .config_helpers import cents, errors, load, one, write

DOC = """
version: 1
templates:
  t:
    benefit_product: MEC
    coverage: {start: 2027-01-01, end: 2027-12-31}
    open_enrollment: {start: 2026-12-01, end: 2026-12-15}
    contribution_classes:
      full_time:
        EE: {employee: 0, employer: 100}
rollouts:
  - name: wave-1
    template: t
    variables: {s: xyz, n: 3, big: VALUE}
    employers: {list: [empr_r001]}
employers:
  empr_r001:
    plan_years:
      - benefit_product: MEC
        coverage: {start: 2027-01-01}
        contribution_classes:
          full_time:
            EE:
              employee: 'EXPR'
"""


def config(tmp_path: Path, expr: str, big: str = "x") -> Path:
    return write(
        tmp_path, "c.yaml", DOC.replace("EXPR", expr.replace("'", "''")).replace("VALUE", big)
    )


def squares(n: int, op: str = "a*a", start: str = "n") -> str:
    return "{% set a = " + start + " %}" + ("{% set a = " + op + " %}") * n + "{{ 0 }}"


BOMBS = {
    "join_of_repeats": ("{% set b = ([s]*3000)|join(s*3000) %}{{ 0 }}", "10,000 characters"),
    "join_of_split": (
        "{% set b = ((s ~ ' ')*2000).split() %}{{ b|join(s*3000) }}",
        "the result of join would be longer",
    ),
    "square_int_23": (squares(23), "larger than 16,384 bits"),
    "square_int_29": (squares(29), "larger than 16,384 bits"),
    "concat_doubling": (squares(29, "a ~ a", "s"), "the result of '~' would be longer"),
    "plus_doubling": (squares(29, "a + a", "s"), "the result of '+' would be longer"),
    "list_doubling": (squares(29, "a + a", "[s]"), "the result of '+' would be longer"),
    "nested_list": (squares(29, "[a, a]", "[s]"), "a value would be longer"),
    "nested_dict": (squares(29, "{'k': a, 'j': a}", "{}"), "a value would be longer"),
    "replace_doubling": (squares(29, "a|replace('x', 'xx')", "'x'"), "replace would be longer"),
    "list_of_long_strings": ("{% set a = [s*3000]*4 %}{{ 0 }}", "repetition would exceed"),
    "work_budget": ("{% set a = 'x'*9999 %}" + "{% set b = a|upper %}" * 120 + "{{ 0 }}", "work"),
    "deep_filters": ("{{ s" + "|upper" * 300 + " }}", "too complex"),
    "deep_parens": ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "nests too deeply"),
    "long_sum": ("{{ 1" + "+1" * 4000 + " }}", "too complex"),
    "sum_of_lists": ("{{ [[s], [s]]|sum(start=[]) }}", "sum(start=...) must be a number"),
    "string_of_big": ("{{ big|string|length }}", "longer than 10,000"),
}


# refused before rendering (syntax stage), or needing the `big` variable
SYNTAX_BOMBS = {"deep_filters", "deep_parens", "long_sum", "string_of_big"}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_template_bomb_is_an_error_at_its_line_fast(tmp_path: Path, name: str) -> None:
    expr, message = BOMBS[name]
    big = "[" + ", ".join(["xxxxxxxxxx"] * 2000) + "]" if name == "string_of_big" else "x"
    path = config(tmp_path, expr, big)
    started = time.perf_counter()
    text = errors(path)
    elapsed = time.perf_counter() - started
    assert f"{path}:23:25: error: " in text, text[:2000]
    assert message in text, text[:2000]
    assert len(text) < 3000  # the message quotes the template shortened
    assert elapsed < 10, f"{name} took {elapsed:.1f} s"


def test_cli_refuses_every_bomb_in_one_run_within_time_and_memory(tmp_path: Path) -> None:
    """All bombs found while rendering, in one config, through the real CLI in a
    subprocess (the too-deep ones are refused earlier, before any rendering)."""
    runtime = [n for n in sorted(BOMBS) if n not in SYNTAX_BOMBS]
    lines = [
        "version: 1",
        "variables: {s: xyz, n: 3}",
        "employers:",
    ]
    for i, name in enumerate(runtime):
        expr = BOMBS[name][0].replace("'", "''")
        lines += [
            f"  empr_b{i:03d}:",
            "    plan_years:",
            "      - benefit_product: MEC",
            "        coverage: {start: 2027-01-01, end: 2027-12-31}",
            "        open_enrollment: {start: 2026-12-01, end: 2026-12-15}",
            "        contribution_classes:",
            f"          full_time: {{EE: {{employer: 1, employee: '{expr}'}}}}",
        ]
    path = tmp_path / "bombs.yaml"
    path.write_text("\n".join(lines) + "\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "vitable_config", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count(f"{path}:") == len(runtime), proc.stderr
    assert f"{len(runtime)} errors found" in proc.stderr
    assert elapsed < 20, f"validate took {elapsed:.1f} s"
    # ru_maxrss of children is a high-water mark: only meaningful if this child set it
    if rss_mb * 1024 > before:
        assert rss_mb < 400, f"validate used {rss_mb:.0f} MB"


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("{{ '045000'|int }}", "'045000'|int is not a number: write 45000 or \"$450.00\""),
        ("{{ '1:30'|int }}", "'1:30'|int is not a number"),
        ("{{ 'abc'|int }}", "'abc'|int is not a number"),
        ("{{ '0x10'|int }}", "'0x10'|int is not a number"),
        ("{{ true|int }}", "a boolean is not a number"),
        ("{{ 'abc'|float|int }}", "'abc'|float is not a number"),
        ("{{ d|int }}", "450.00|int: a decimal as written is not an amount"),
    ],
)
def test_strict_int_and_float_filters(tmp_path: Path, expr: str, message: str) -> None:
    path = config(tmp_path, expr.replace("d|", "dd|"))
    text = errors(path, {"dd": load_decimal("450.00")})
    assert f"{path}:23:25:" in text and message in text, text


def load_decimal(text: str) -> object:
    from vitable_config.config.money import scalar_from_text

    return scalar_from_text(text)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("{{ '45000'|int }}", 45000),
        ("{{ ('0.5'|float * 300)|int }}", 150),
        ("{{ (n * 2.5)|int }}", 7),
        ("{{ [s, s]|join('')|length }}", 6),
        ("{{ ([1, 2]|sum) * 100 }}", 300),
        ("{% set a = s ~ s %}{{ a|length }}", 6),
        ("{{ ('x' * 9999)|length }}", 9999),
    ],
)
def test_ordinary_templates_still_render(tmp_path: Path, expr: str, expected: int) -> None:
    state = load(config(tmp_path, expr))
    assert cents(one(state, "empr_r001"), "full_time", "EE") == (expected, 100)
