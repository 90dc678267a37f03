"""Jinja rendering: native types, and every failure reported with file:line and context."""

from __future__ import annotations

from pathlib import Path

import pytest

from .config_helpers import cents, errors, load, one, write

DOC = """
version: 1
variables: {{plan_year: 2027, label: "x", n: 38000}}
templates:
  t:
    benefit_product: MEC
    coverage: {{start: "{{{{ plan_year }}}}-01-01", end: 2027-12-31}}
    open_enrollment: {{start: 2026-12-01, end: 2026-12-15}}
    contribution_classes:
      full_time:
        EE: {{employee: 0, employer: "{expr}"}}
rollouts:
  - name: wave-1
    template: t
    employers: {{list: [empr_r001, empr_r002]}}
"""


def doc(tmp_path: Path, expr: str) -> Path:
    return write(tmp_path, "c.yaml", DOC.format(expr=expr.replace('"', '\\"')))


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("{{ n }}", 38000),
        ("{{ n * 2.5 }}", 95000),  # a float that is a whole number of cents becomes int
        ("{{ (n * 1.7) | round | int }}", 64600),
        ("{{ n // 3 }}", 12666),
        ("{{ n }}00", 3800000),  # text output of digits
        ("$400.00", 40000),
        ("{{ '$%d.00' | replace('%d', plan_year) }}", 202700),
    ],
)
def test_native_values(tmp_path: Path, expr: str, expected: int) -> None:
    state = load(doc(tmp_path, expr))
    assert cents(one(state, "empr_r001"), "full_time", "EE") == (0, expected)
    assert one(state, "empr_r001").coverage_start.year == 2027


def test_undefined_variable_names_location_and_context(tmp_path: Path) -> None:
    path = doc(tmp_path, "{{ ee_share }}")
    text = errors(path)
    assert (
        f"{path}:10:37: error: contribution_classes.full_time.EE.employer: "
        "undefined variable: 'ee_share' is undefined" in text
    )
    assert "for employer empr_r001 via rollout wave-1 (template t) (and 1 more)" in text
    assert "--var NAME=VALUE" in text
    assert "1 error found" in text  # the same error for two employers is reported once


def test_cli_variable_fills_undefined(tmp_path: Path) -> None:
    state = load(doc(tmp_path, "{{ ee_share }}"), {"ee_share": 123})
    assert cents(one(state, "empr_r002"), "full_time", "EE") == (0, 123)


@pytest.mark.parametrize(
    "expr",
    [
        "{{ ''.__class__ }}",
        "{{ label.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ namespace }}",
        "{{ joiner() }}",
        "{{ range(10**9) | length }}",
        "{{ 'x' * 10**9 }}",
        "{{ 9 ** 99999999 }}",
        "{{ '%0999999999d' % 1 }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ label.ljust(999999999) }}",
        "{{ request.environ }}",
    ],
)
def test_sandbox_escapes_fail_cleanly(tmp_path: Path, expr: str) -> None:
    path = doc(tmp_path, expr)
    text = errors(path)
    assert f"{path}:10:37: error: contribution_classes.full_time.EE.employer:" in text
    assert "for employer empr_r001 via rollout wave-1 (template t)" in text
    assert "Traceback" not in text
    assert "object at 0x" not in text


def test_unsafe_attribute_message(tmp_path: Path) -> None:
    text = errors(doc(tmp_path, "{{ ''.__class__ }}"))
    assert "not allowed in a template: access to attribute '__class__'" in text


def test_output_size_is_bounded(tmp_path: Path) -> None:
    text = errors(doc(tmp_path, "{{ big }}{{ big }}{{ big }}"), {"big": "x" * 4000})
    assert "not allowed in a template: output is longer than 10,000 characters" in text


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("{{ n * }}", "Jinja syntax error: unexpected 'end of print statement'"),
        ("{{ label | attr('__class__') }}", "Jinja syntax error: No filter named 'attr'"),
        ("{{ label | map('upper') }}", "Jinja syntax error: No filter named 'map'"),
        (
            "{% for i in label %}{% for j in label %}{% endfor %}{% endfor %}",
            "Jinja syntax error: 'for' statements are not supported in config values",
        ),
        ("{% macro m() %}{% endmacro %}", "Jinja syntax error: 'macro' statements are not"),
        ("{% include 'x' %}", "Jinja syntax error: 'include' statements are not"),
    ],
)
def test_syntax_errors_found_before_rendering(tmp_path: Path, expr: str, message: str) -> None:
    path = doc(tmp_path, expr)
    text = errors(path)
    assert f"{path}:10:37: error: {message}" in text
    assert "1 error found" in text


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("{{ n + label }}", "expression failed: TypeError"),
        ("{{ n / 0 }}", "expression failed: ZeroDivisionError"),
        ("{{ n * 1.001 }}", "expected a whole number of cents"),
        ("{{ label }}", "expected a whole number of cents, e.g. 45000 or \"$450.00\", got 'x'"),
        ("{{ -n }}", "(at least 0), got -38000"),
        ("{{ [n] }}", "got [38000]"),
    ],
)
def test_type_errors(tmp_path: Path, expr: str, message: str) -> None:
    path = doc(tmp_path, expr)
    text = errors(path)
    assert f"{path}:10:37:" in text and message in text
    assert "rendered from" in text or "expression failed" in text


def test_rendered_date_and_status_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        DOC.format(expr="$1").replace('"{{ plan_year }}-01-01"', '"{{ plan_year }}-13-01"'),
    )
    text = errors(path)
    assert "coverage.start: expected a date written YYYY-MM-DD" in text
    assert "'2027-13-01'" in text


def test_status_rendered_must_be_known(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        DOC.format(expr="$1").replace(
            "    benefit_product: MEC\n", '    benefit_product: MEC\n    status: "{{ label }}"\n'
        ),
    )
    text = errors(path)
    assert f"{path}:6:13: error: status: expected one of draft, open_enrollment" in text
