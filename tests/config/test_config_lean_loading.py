"""Loading does each piece of work once ("validate once") and makes locations only when
asked, with the same results: what these tests pin is what the speed relies on.

* every amount text is read once per load, not by the schema pass and again by the
  builder (a bounded memo of text -> cents);
* provenance keeps the parser's marks: a load builds no SourceLocation per value,
  and a location read later is the same file:line:col as before;
* a deep location in a flat (template-free) export is still reported exactly.
"""

from __future__ import annotations

import gc
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from vitable_config.cli.main import main
from vitable_config.config import build, money
from vitable_config.config.money import parse_cents
from vitable_config.desired import Source
from vitable_config.errors import SourceLocation

from .config_helpers import errors, load, write

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

TIERS = ("EE", "ES", "EC", "EF")


def flat_file(employer: str, base: int, bad: str | None = None) -> str:
    """One employer of a flat export: two plan years, 2 x 4 classes each, literal
    amounts; ``bad`` replaces the last employer amount of the second plan year."""
    lines = ["version: 1", "employers:", f"  {employer}:", "    name: Flat", "    plan_years:"]
    for p, product in enumerate(("MEC", "VD")):
        lines += [
            f"    - benefit_product: {product}",
            "      coverage:",
            "        start: 2027-01-01",
            "        end: 2027-12-31",
            "      open_enrollment:",
            "        start: 2026-12-01",
            "        end: 2026-12-15",
            "      contribution_classes:",
        ]
        for employment in ("full_time", "part_time"):
            lines.append(f"        {employment}:")
            for t, tier in enumerate(TIERS):
                employer_amount = f"${base + 10 * t + p}.00"
                if bad is not None and p == 1 and employment == "part_time" and tier == "EF":
                    employer_amount = bad
                lines += [
                    f"          {tier}:",
                    f"            employee: ${base // 10 + t}.00",
                    f"            employer: {employer_amount}",
                ]
    return "\n".join(lines) + "\n"


def run_main(args: list[str]) -> tuple[int, str]:
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = main(args)
        return code, out.getvalue().decode() + err.getvalue().decode()


def flat_export(directory: Path, employers: int) -> Path:
    for n in range(employers):
        write(directory, f"empr_f{n:03d}.yaml", flat_file(f"empr_f{n:03d}", 300 + n % 3))
    return directory


# --- amounts are read once --------------------------------------------------------------


def test_each_amount_text_is_parsed_once_per_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = flat_export(tmp_path / "flat", 20)  # 20 x 2 x 8 x 2 = 640 amounts
    money._CENTS_MEMO.clear()
    reads: list[str] = []
    pattern = money._DOLLARS

    class Counting:
        def fullmatch(self, text: str) -> re.Match[str] | None:
            reads.append(text)
            return pattern.fullmatch(text)

    monkeypatch.setattr(money, "_DOLLARS", Counting())
    state = load(directory)
    amounts = [
        c
        for py in state.plan_years
        for cls in py.contribution_classes.values()
        for c in (cls.employee_contribution_cents, cls.employer_contribution_cents)
    ]
    assert len(amounts) == 640
    # Each distinct text is read once (the schema pass); the builder reuses the result.
    assert len(reads) == len(set(reads))
    assert len(reads) < 40


def test_the_amount_memo_is_bounded_and_changes_no_result() -> None:
    money._CENTS_MEMO.clear()
    for n in range(money.CENTS_MEMO_MAX + 500):
        assert parse_cents(f"${n}.{n % 100:02d}") == n * 100 + n % 100
    assert len(money._CENTS_MEMO) == money.CENTS_MEMO_MAX
    # Past the bound, texts are still read (correctly), just not kept.
    assert parse_cents("$123456.78") == 12345678
    assert len(money._CENTS_MEMO) == money.CENTS_MEMO_MAX
    # Long texts (surrounding blanks) are never kept.
    money._CENTS_MEMO.clear()
    padded = " " * 40 + "$1.00"
    assert parse_cents(padded) == 100
    assert padded not in money._CENTS_MEMO
    # A remembered text reads the same rendered or not, and errors are never remembered.
    assert parse_cents("$450.00") == parse_cents("$450.00", rendered=True) == 45000
    for text in ("045000", "450.00", "$0450.00", "36000"):
        with pytest.raises(ValueError):
            parse_cents(text)
        assert text not in money._CENTS_MEMO
    assert parse_cents("36000", rendered=True) == 36000
    with pytest.raises(ValueError):
        parse_cents("36000")  # rendered digits are not remembered as a literal amount


def test_an_amount_refused_after_a_good_one_is_still_reported(tmp_path: Path) -> None:
    money._CENTS_MEMO.clear()
    write(tmp_path / "a", "empr_f000.yaml", flat_file("empr_f000", 300))
    write(tmp_path / "a", "empr_f001.yaml", flat_file("empr_f001", 300, bad='"$311.0"'))
    text = errors(tmp_path / "a")
    assert "empr_f001.yaml:" in text and "'$311.0'" in text


# --- locations are made when asked --------------------------------------------------------


def _count_locations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the SourceLocations made from now on (the count is ``made[0]``)."""
    made = [0]
    init = SourceLocation.__init__

    def counting(self: SourceLocation, *args: Any, **kwargs: Any) -> None:
        made[0] += 1
        init(self, *args, **kwargs)

    monkeypatch.setattr(SourceLocation, "__init__", counting)
    return made


def test_a_load_makes_no_location_per_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = flat_export(tmp_path / "flat", 10)  # 20 plan years, 21 values each
    made = _count_locations(monkeypatch)
    state = load(directory)
    values = sum(len(py.provenance) for py in state.plan_years)
    assert values == 20 * 21
    assert made[0] <= 2 * len(state.plan_years)  # the plan years' own locations
    # Reading them makes them, once each.
    before = made[0]
    first = [src.location for py in state.plan_years for src in py.provenance.values()]
    again = [src.location for py in state.plan_years for src in py.provenance.values()]
    assert made[0] - before == values
    assert all(a is b for a, b in zip(first, again, strict=True))


def _text_locations(path: Path) -> dict[tuple[str, ...], tuple[int, int]]:
    """Line and column (1-based) of every amount of a flat file, found from its text."""
    found: dict[tuple[str, ...], tuple[int, int]] = {}
    product = employment = tier = ""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("- benefit_product:"):
            product = stripped.split(":")[1].strip()
        elif stripped.endswith(":") and line.startswith(" " * 8 + stripped):
            employment = stripped[:-1]
        elif stripped.endswith(":") and stripped[:-1] in TIERS:
            tier = stripped[:-1]
        elif stripped.startswith(("employee:", "employer:")):
            key = stripped.split(":")[0]
            column = line.index(":") + 3
            found[(product, employment, tier, key)] = (number, column)
    return found


def test_lazy_locations_are_the_written_places(tmp_path: Path) -> None:
    directory = flat_export(tmp_path / "flat", 3)
    state = load(directory)
    for py in state.plan_years:
        assert py.location is not None
        expected = _text_locations(Path(py.location.file))
        for (employment, tier), _cls in py.contribution_classes.items():
            for name, key in (
                ("employee_contribution_cents", "employee"),
                ("employer_contribution_cents", "employer"),
            ):
                src = py.provenance[("contribution_classes", employment, tier, name)]
                loc = src.location
                assert loc is not None
                line, column = expected[(py.benefit_product, employment, tier, key)]
                assert (loc.file, loc.line, loc.column) == (py.location.file, line, column)


@pytest.mark.parametrize("example", ["rollout", "quickstart"])
def test_lazy_and_eager_sources_are_equal_on_the_examples(example: str) -> None:
    state = load(EXAMPLES / example)
    assert state.plan_years
    for py in state.plan_years:
        for src in py.provenance.values():
            eager = Source(src.kind, src.name, src.location, src.variables)
            assert src == eager and hash(src) == hash(eager)
            assert src.describe() == eager.describe()
            assert src.describe(column=False) == eager.describe(column=False)
            assert repr(src) == repr(eager)


def test_a_source_is_immutable() -> None:
    src = Source("template", "t", SourceLocation("f.yaml", 3, 5))
    with pytest.raises(AttributeError):
        src.kind = "rollout"  # type: ignore[misc]
    assert src.with_variables(("x",)) == Source("template", "t", src.location, ("x",))


def test_a_deep_location_in_a_flat_export_is_reported_exactly(tmp_path: Path) -> None:
    directory = tmp_path / "flat"
    flat_export(directory, 3)
    bad = write(directory, "empr_f009.yaml", flat_file("empr_f009", 300, bad="450.00"))
    line, column = _text_locations(bad)[("VD", "part_time", "EF", "employer")]
    assert line > 60
    code, text = run_main(["validate", str(directory), "--format", "json"])
    assert code == 1, text
    assert f'"line": {line},\n      "column": {column},' in text
    code, text = run_main(["validate", str(directory)])
    assert code == 1
    assert f"{bad}:{line}:{column}: error:" in text


def test_render_sources_shows_deep_locations(tmp_path: Path) -> None:
    directory = flat_export(tmp_path / "flat", 2)
    path = directory / "empr_f001.yaml"
    line, column = _text_locations(path)[("VD", "part_time", "EF", "employer")]
    code, text = run_main(["render", str(directory), "--employer", "empr_f001", "--sources"])
    assert code == 0, text
    assert f"{path}:{line}:{column}" in text


def test_validate_makes_no_location_per_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`validate` (load, employment-name warnings, summary) of a clean flat export."""
    directory = flat_export(tmp_path / "flat", 10)
    made = _count_locations(monkeypatch)
    code, text = run_main(["validate", str(directory)])
    assert code == 0, text
    assert "OK: 20 plan years for 10 employers (10 files)" in text
    assert made[0] <= 2 * 20


def test_a_near_miss_warning_is_at_the_first_place_written(tmp_path: Path) -> None:
    directory = flat_export(tmp_path / "flat", 3)
    path = directory / "empr_f001.yaml"
    lines = path.read_text().splitlines()
    # The second plan year's part_time becomes a near miss of the name used widely.
    at = [n for n, line in enumerate(lines) if line.strip() == "part_time:"][1]
    lines[at] = lines[at].replace("part_time", "parttime")
    path.write_text("\n".join(lines) + "\n")
    code, text = run_main(["validate", str(directory)])
    assert code == 0, text
    employee = _text_locations(path)[("VD", "parttime", "EE", "employee")]
    assert f"{path}:{employee[0]}:{employee[1]}: warning: employment name 'parttime'" in text


# --- the cyclic collector ---------------------------------------------------------------


def test_a_large_load_leaves_nothing_for_the_young_collections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = flat_export(tmp_path / "flat", 20)  # ~3,500 objects: "large" here
    monkeypatch.setattr(build, "PROMOTE_AFTER_OBJECTS", 1_000)
    assert gc.isenabled()
    gc.collect()
    state = load(directory)
    assert gc.isenabled()
    # What loading made was moved to the oldest generation, not left for the first
    # young collections to scan (they ran paused during loading).
    assert len(gc.get_objects(generation=0)) < 200
    assert len(state.plan_years) == 40
    gc.disable()
    try:
        load(directory)
        assert not gc.isenabled()  # a caller's paused collector stays paused
    finally:
        gc.enable()


def test_a_small_load_leaves_the_generations_alone(tmp_path: Path) -> None:
    """Below the bound nothing is moved: a process loading many small configs keeps
    collecting its cyclic garbage on the usual schedule."""
    directory = flat_export(tmp_path / "flat", 20)
    assert build.PROMOTE_AFTER_OBJECTS >= 100_000
    gc.collect()
    state = load(directory)
    assert len(gc.get_objects(generation=0)) > 1_000
    assert len(state.plan_years) == 40


# --- the loader skips the merge-key search only when a text cannot have one --------------

MERGES = [
    "base: &b {a: 1}\nx:\n  <<: *b\n  c: 2\n",
    'base: &b {a: 1}\nx:\n  !!merge "": *b\n  c: 2\n',  # a tagged merge key, no "<<"
    '%TAG !m! tag:yaml.org,2002:mer\n---\nbase: &b {a: 1}\nx:\n  !m!ge "": *b\n  c: 2\n',
    "base: &b {a: 1}\nx: {<<: [*b], a: 3}\n",
    "x: {a: 1, b: [1, {c: 2}]}\n",
]


@pytest.mark.parametrize("text", MERGES)
def test_merge_keys_are_found_as_pyyaml_finds_them(text: str) -> None:
    from .test_yaml_one_pass import _locations, _outcome, _reference

    ref, ours = _reference(text), _outcome(text)
    assert ours == ref and repr(ours) == repr(ref)
    if ours[0] == "ok":
        assert _locations(ours[1]) == _locations(ref[1])
    if "mer" in text:
        assert ours[1]["x"]["a"] == (3 if "a: 3" in text else 1)


# --- Jinja2 is loaded only for a config that uses it ------------------------------------


def _modules_after_validate(directory: Path) -> tuple[int, str, set[str]]:
    script = (
        "import sys\n"
        "from vitable_config.cli.main import main\n"
        f"code = main(['validate', {str(directory)!r}])\n"
        "print('MODULES', ','.join(m for m in sys.modules if m.startswith('jinja')))\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    line = next(x for x in proc.stdout.splitlines() if x.startswith("MODULES"))
    return proc.returncode, proc.stdout + proc.stderr, set(filter(None, line[8:].split(",")))


def test_a_config_without_jinja_does_not_import_jinja2(tmp_path: Path) -> None:
    code, text, modules = _modules_after_validate(flat_export(tmp_path / "flat", 2))
    assert code == 0, text
    assert "OK: 4 plan years for 2 employers (2 files)" in text
    assert not modules


def test_a_config_with_jinja_renders_it(tmp_path: Path) -> None:
    directory = tmp_path / "jinja"
    text = flat_file("empr_f000", 300).replace("employee: $30.00", "employee: '{{ 15 * 200 }}'")
    write(directory, "empr_f000.yaml", text)
    code, out, modules = _modules_after_validate(directory)
    assert code == 0, out
    assert "jinja2" in modules
    state = load(directory)
    assert (
        state.plan_years[0].contribution_classes[("full_time", "EE")].employee_contribution_cents
        == 3000
    )


def test_equal_contribution_classes_are_one_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vitable_config.config import finish

    monkeypatch.setattr(finish, "_CLASSES", {})
    write(tmp_path, "a.yaml", flat_file("empr_a", 400))
    write(tmp_path, "b.yaml", flat_file("empr_b", 400))
    write(tmp_path, "c.yaml", flat_file("empr_c", 500))
    state = load(tmp_path)
    a, b, c = (
        next(py for py in state.plan_years if py.employer_id == e and py.benefit_product == "MEC")
        for e in ("empr_a", "empr_b", "empr_c")
    )
    assert a.contribution_classes == b.contribution_classes != c.contribution_classes
    for key, cls in a.contribution_classes.items():
        assert b.contribution_classes[key] is cls  # built once, shared (immutable)
        assert c.contribution_classes[key] is not cls
    assert len(finish._CLASSES) == 2 * 2 * 2 * len(TIERS)  # 2 bases x 2 products x classes


def test_the_class_memo_is_bounded_and_changes_no_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vitable_config.config import finish

    write(tmp_path, "a.yaml", flat_file("empr_a", 400))
    write(tmp_path, "b.yaml", flat_file("empr_b", 400))
    monkeypatch.setattr(finish, "_CLASSES", {})
    shared = load(tmp_path)
    monkeypatch.setattr(finish, "_CLASSES", {})
    monkeypatch.setattr(finish, "_CLASSES_MAX", 0)
    unshared = load(tmp_path)
    assert shared == unshared and repr(shared) == repr(unshared)
    assert finish._CLASSES == {}
    a, b = (py for py in unshared.plan_years if py.benefit_product == "MEC")
    assert all(
        a.contribution_classes[k] is not b.contribution_classes[k] for k in a.contribution_classes
    )


def test_the_field_paths_of_a_class_are_shared_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from vitable_config.config import layers

    monkeypatch.setattr(layers, "_CLASS_PATHS", {})
    paths = layers.class_paths("full_time", "EE")
    assert paths == (
        ("contribution_classes", "full_time", "EE", "employee_contribution_cents"),
        ("contribution_classes", "full_time", "EE", "employer_contribution_cents"),
    )
    assert layers.class_paths("full_time", "EE") is paths
    monkeypatch.setattr(layers, "_CLASS_PATHS_MAX", 1)
    other = layers.class_paths("part_time", "EE")
    assert other == layers.class_paths("part_time", "EE") and other[0][1] == "part_time"
    assert list(layers._CLASS_PATHS) == ["full_time"]


def test_a_source_made_from_a_mark_is_an_immutable_source() -> None:
    from dataclasses import FrozenInstanceError

    class Mark:
        line, column = 2, 4

    src = Source.at_mark("template", "t", "f.yaml", Mark())
    assert type(src) is Source and src == Source("template", "t", SourceLocation("f.yaml", 3, 5))
    for name in ("kind", "name", "variables", "_where", "_file", "other"):
        with pytest.raises(FrozenInstanceError):
            setattr(src, name, None)

    class Named(Source):
        __slots__ = ()

    named = Named.at_mark("rollout", "r", "g.yaml", None)
    assert type(named) is Named and named.location is None and named.name == "r"


def test_the_file_of_a_source_is_its_location_file_without_making_the_location() -> None:
    class Mark:
        line, column = 0, 0

    lazy = Source.at_mark("plan_year", "empr_a", "a.yaml", Mark())
    assert lazy.file == "a.yaml" and lazy._where.__class__ is Mark  # not made
    assert lazy.location == SourceLocation("a.yaml", 1, 1) and lazy.file == "a.yaml"
    at_location = Source.at_mark("defaults", None, "ignored.yaml", SourceLocation("d.yaml", 4))
    assert at_location.file == "d.yaml"
    assert Source.at_mark("defaults", None, "x.yaml", None).file is None
    assert Source("template", "t", SourceLocation("t.yaml", 2)).file == "t.yaml"
    assert Source("variable", "v").file is None
    assert lazy.with_variables(("x",)).file == "a.yaml"
