"""Exact money: one literal means one amount, whether it is written in YAML, a CSV
cell, ``--var`` or ``--var-file``; YAML 1.1 readings (octal, hex, sexagesimal,
``_``, ``+``, yes/no) never turn into numbers or booleans."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitable_config.cli.main import main
from vitable_config.config.cli_vars import collect_variables
from vitable_config.config.money import format_dollars
from vitable_config.config.yaml_loader import parse_yaml
from vitable_config.errors import UserError

from .config_helpers import cents, errors, load, one, write

PLAN = """
version: 1
templates:
  t:
    benefit_product: MEC
    coverage: {{start: 2027-01-01, end: 2027-12-31}}
    open_enrollment: {{start: 2026-12-01, end: 2026-12-15}}
    contribution_classes:
      full_time:
        EE: {{employee: {employee}, employer: 100}}
rollouts:
  - name: wave-1
    template: t
    employers: {{{targets}}}
"""


def plan_dir(directory: Path, employee: str, targets: str = "list: [empr_r001]") -> Path:
    write(directory, "c.yaml", PLAN.format(employee=employee, targets=targets))
    return directory


def run_main(args: list[str]) -> tuple[int, str]:
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = main(args)
        return code, out.getvalue().decode() + err.getvalue().decode()


# YAML 1.1 would read each of these as a different number (or a boolean).
MISREAD = [
    ("045000", 'write 45000 or "$450.00"'),  # octal 18944
    ("0450", 'write 450 or "$4.50"'),  # octal 296
    ("010", 'write 10 or "$0.10"'),  # octal 8
    ("1:30", "whole cents (45000) or as dollars"),  # sexagesimal 90
    ("0x10", "whole cents (45000) or as dollars"),  # 16
    ("0o10", "whole cents (45000) or as dollars"),
    ("0b101", "whole cents (45000) or as dollars"),
    ("1_000", 'write 1000 or "$10.00"'),
    ("+4500", 'write 4500 or "$45.00"'),
    ("450.00", 'write "$450.00" (dollars) or 45000 (cents)'),
    ("1e3", "whole cents (45000) or as dollars"),
    ('"$0450.00"', 'write 45000 or "$450.00"'),
]


@pytest.mark.parametrize(("literal", "hint"), MISREAD)
def test_cli_validate_refuses_yaml_1_1_numbers_with_a_hint(
    tmp_path: Path, literal: str, hint: str
) -> None:
    code, text = run_main(["validate", str(plan_dir(tmp_path, literal))])
    assert code == 1, text
    assert f"{tmp_path / 'c.yaml'}:9:24: error: expected a whole number of cents" in text
    assert hint in text
    assert "Traceback" not in text


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "NO"])
def test_yes_no_on_off_are_text_not_booleans(word: str) -> None:
    assert parse_yaml(f"a: {word}\n", "x.yaml") == {"a": word}


def test_only_true_false_null_dates_and_decimal_ints_resolve() -> None:
    data = parse_yaml(
        "a: true\nb: FALSE\nc: ~\nd: null\ne: 0\nf: 45000\ng: -3\nh: 2027-01-01\ni: 0.5\n",
        "x.yaml",
    )
    assert [data[k] for k in "abcdefg"] == [True, False, None, None, 0, 45000, -3]
    assert str(data["h"]) == "2027-01-01"
    assert data["i"] == 0.5


@pytest.mark.parametrize("text", ["!!int 0x10", "!!int 045000", "!!bool yes", "!!float 1e3"])
def test_explicit_tags_cannot_bring_back_yaml_1_1(text: str) -> None:
    with pytest.raises(UserError) as info:
        parse_yaml(f"a: {text}\n", "x.yaml")
    assert "x.yaml:1:4: error: YAML tag" in info.value.format()


@pytest.mark.parametrize(("literal", "hint"), MISREAD[:4])
def test_csv_cell_is_read_like_yaml(tmp_path: Path, literal: str, hint: str) -> None:
    write(tmp_path, "e.csv", f"employer_id,ee\nempr_r001,{literal}\n")
    directory = plan_dir(tmp_path, '"{{ ee }}"', "csv: e.csv")
    code, text = run_main(["validate", str(directory)])
    assert code == 1, text
    assert hint in text and "Traceback" not in text
    assert "for employer empr_r001 via rollout wave-1" in text


@pytest.mark.parametrize(("literal", "hint"), MISREAD[:4])
def test_var_and_var_file_are_read_like_yaml(tmp_path: Path, literal: str, hint: str) -> None:
    directory = plan_dir(tmp_path / "cfg", '"{{ ee }}"')
    code, text = run_main(["validate", str(directory), "--var", f"ee={literal}"])
    assert code == 1 and hint in text, text
    var_file = write(tmp_path, "vars.yaml", f"ee: {literal}\n")
    code, text = run_main(["validate", str(directory), "--var-file", str(var_file)])
    assert code == 1 and hint in text, text


def test_the_same_amount_through_every_route(tmp_path: Path) -> None:
    write(tmp_path, "e.csv", "employer_id,ee\nempr_r001,45000\n")
    yaml_state = load(plan_dir(tmp_path / "y", "45000") / "c.yaml")
    csv_state = load(plan_dir(tmp_path, '"{{ ee }}"', "csv: e.csv") / "c.yaml")
    var_state = load(
        plan_dir(tmp_path / "v", '"{{ ee }}"') / "c.yaml", collect_variables((), ("ee=45000",))
    )
    for state in (yaml_state, csv_state, var_state):
        assert cents(one(state, "empr_r001"), "full_time", "EE") == (45000, 100)


def test_a_decimal_variable_is_a_number_for_arithmetic_not_an_amount(tmp_path: Path) -> None:
    directory = plan_dir(tmp_path, '"{{ (40000 * share) | round | int }}"')
    state = load(directory / "c.yaml", collect_variables((), ("share=0.5",)))
    assert cents(one(state, "empr_r001"), "full_time", "EE") == (20000, 100)
    direct = plan_dir(tmp_path / "d", '"{{ share }}"')
    text = errors(direct / "c.yaml", collect_variables((), ("share=450.00",)))
    assert "got '450.00'" in text and 'write "$450.00" (dollars) or 45000 (cents)' in text


# --- property: an accepted amount is the amount a person reads ------------------------

SPELLINGS = st.sampled_from(
    ["plain", "dollars", "dollars_short", "leading_zero", "underscore", "plus", "hex", "octal"]
)


def spell(amount: int, how: str) -> tuple[str, int | None]:
    """``amount`` written one way, and the cents a person reads (None: ambiguous)."""
    if how == "plain":
        return str(amount), amount
    if how == "dollars":
        return f'"{format_dollars(amount)}"', amount
    if how == "dollars_short":
        return f'"${amount // 100}"', (amount // 100) * 100
    if how == "leading_zero":
        return f"0{amount}", amount
    if how == "underscore":
        text = f"{amount:_}"
        return text, amount
    if how == "plus":
        return f"+{amount}", amount
    if how == "hex":
        return hex(amount), None
    return f"0o{amount:o}", None


def _accepted(directory: Path, variables: dict[str, object] | None = None) -> int | None:
    try:
        state = load(directory / "c.yaml", variables)
    except UserError:
        return None
    return cents(one(state, "empr_r001"), "full_time", "EE")[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amount=st.integers(min_value=0, max_value=10**9), how=SPELLINGS)
def test_property_accepted_money_is_what_a_person_reads(amount: int, how: str) -> None:
    literal, reads = spell(amount, how)
    bare = literal.strip('"')
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        results = [_accepted(plan_dir(base / "yaml", literal))]
        write(base / "csv", "e.csv", f"employer_id,ee\nempr_r001,{bare}\n")
        results.append(_accepted(plan_dir(base / "csv", '"{{ ee }}"', "csv: e.csv")))
        templated = plan_dir(base / "var", '"{{ ee }}"')
        results.append(_accepted(templated, collect_variables((), (f"ee={bare}",))))
        write(base, "vars.yaml", f"ee: {literal}\n")
        results.append(_accepted(templated, collect_variables((str(base / "vars.yaml"),), ())))
    for result in results:
        assert result is None or result == reads, (literal, results)
    # the canonical spellings are always accepted, and the same through every route
    if how in ("plain", "dollars"):
        assert results[0] == amount
    if how == "plain":
        assert results == [amount] * 4
    # a spelling YAML 1.1 reads differently is refused everywhere
    if how in ("leading_zero", "underscore", "plus", "hex", "octal") and bare != str(amount):
        assert results == [None] * 4, (literal, results)
